"""Ingest: one recording (subject × session) -> one chunked Zarr store."""


rule ingest:
    input:
        unpack(recording_inputs),
    output:
        directory(RESULTS / "zarr" / "sub-{subject}" / "ses-{session}.zarr"),
    log:
        RESULTS / "logs" / "ingest" / "sub-{subject}_ses-{session}.log",
    resources:
        mem_mb=io_mem_mb,
        runtime=io_runtime,
        slurm_partition=partition("cpu"),
    params:
        dataset=datasets.reader_dataset(config),
        channels=ingest_channels,
        simulation=config["simulation"],
        chunk_seconds=config["ingest"]["chunk_seconds"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/ingest.py"
