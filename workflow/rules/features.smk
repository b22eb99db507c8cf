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
        # One thread, as every other job: a job asking for two never starts while two
        # one-thread jobs hold the cores of a small machine (measured: a feature job of the
        # default run waited 10 minutes for the last fold's features). A session's DE takes
        # ~6 s either way; more threads: snakemake --set-threads features=N.
        threads: 1
        # Before the signal GAN and the folds: they need its stores.
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
