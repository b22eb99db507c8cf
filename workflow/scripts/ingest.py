"""Snakemake adapter: ingest one subject × session into Zarr."""

from pathlib import Path

from seedflow import datasets
from seedflow.io import zarr_store
from seedflow.logs import run_step

w = snakemake.wildcards
config = {"dataset": snakemake.params.dataset, "simulation": snakemake.params.simulation}
recording = datasets.Recording(w.subject, w.session, Path(snakemake.input.recording),
                               tuple(Path(p) for p in snakemake.input.labels))


def ingest():
    source = datasets.open_source(config, recording, run_channels=snakemake.params.channels)
    zarr_store.write_session(source, Path(snakemake.output[0]),
                             chunk_seconds=snakemake.params.chunk_seconds,
                             attrs={"subject": w.subject, "session": w.session,
                                    "dataset": config["dataset"]["kind"]})


run_step(snakemake.log[0], ingest)
