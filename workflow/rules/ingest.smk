"""Ingest: one recording (subject × session) -> one chunked Zarr store."""

from seedflow.stores.ingest import IngestSpec


rule ingest:
    input:
        unpack(recording_inputs),
    output:
        directory(RESULTS / "ingest" / "sub-{subject}" / "ses-{session}.zarr"),
    log:
        RESULTS / "logs" / "ingest" / "sub-{subject}_ses-{session}.log",
    priority: 2  # as the features jobs that wait for it (a late ingest leaves its fold last)
    resources:
        mem_mb=io_mem_mb,
        runtime=io_runtime,
        slurm_partition=partition("cpu"),
    params:
        spec=lambda w: as_param(IngestSpec.from_config(config, run_channels())),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/ingest.py"
