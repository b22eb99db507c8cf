"""Features: DE and PSD per band and window, Dask over the ingest store, or SEED's official
features (dataset.features: official) in the same feature-store layout."""

from seedflow.features.spec import FeatureSpec

if not datasets.official_features(config):

    rule features:
        input:
            RESULTS / "ingest" / "sub-{subject}" / "ses-{session}.zarr",
        output:
            directory(RESULTS / "features" / "sub-{subject}" / "ses-{session}.zarr"),
        log:
            RESULTS / "logs" / "features" / "sub-{subject}_ses-{session}.log",
        threads: 1 if config["features"]["scheduler"] == "slurm" else 2  # slurm: workers are jobs
        # Before the signal GAN and the folds: on 2 cores a features job waiting for both
        # while the GAN holds one would leave the other idle.
        priority: 2
        resources:
            mem_mb=config["features"]["mem_mb"],
            runtime=io_runtime,
            slurm_partition=partition("cpu"),
        params:
            spec=as_param(FeatureSpec.from_config(config)),
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/features.py"

else:

    rule official_features:
        input:
            ingest=RESULTS / "ingest" / "sub-{subject}" / "ses-{session}.zarr",
            features=lambda w: RECORDINGS[(w.subject, w.session)].feature_file,
        output:
            directory(RESULTS / "features" / "sub-{subject}" / "ses-{session}.zarr"),
        log:
            RESULTS / "logs" / "features" / "sub-{subject}_ses-{session}.log",
        resources:
            runtime=io_runtime,
            slurm_partition=partition("cpu"),
        params:
            smoothing=config["dataset"]["official_smoothing"],
        conda:
            "../../envs/seedflow.yaml"
        script:
            "../scripts/official_features.py"
