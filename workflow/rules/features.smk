"""Features: DE and PSD per band and window, Dask over the ingested Zarr store."""


rule features:
    input:
        RESULTS / "zarr" / "sub-{subject}" / "ses-{session}.zarr",
    output:
        directory(RESULTS / "features" / "sub-{subject}" / "ses-{session}.zarr"),
    log:
        RESULTS / "logs" / "features" / "sub-{subject}_ses-{session}.log",
    threads: 1 if config["features"]["scheduler"] == "slurm" else 2  # slurm: workers are jobs
    resources:
        mem_mb=config["features"]["mem_mb"],
        runtime=io_runtime,
        slurm_partition=partition("cpu"),
    params:
        features=config["features"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/features.py"
