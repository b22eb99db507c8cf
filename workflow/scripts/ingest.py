"""Snakemake adapter: ingest one subject × session into Zarr."""

from pathlib import Path

from seedflow import datasets
from seedflow.config import from_param
from seedflow.datasets.base import Recording
from seedflow.logs import run_step
from seedflow.stores import ingest
from seedflow.stores.ingest import IngestSpec

w, spec = snakemake.wildcards, from_param(IngestSpec, snakemake.params.spec)
recording = Recording(w.subject, w.session, Path(snakemake.input.recording),
                      tuple(Path(p) for p in snakemake.input.labels))


def step():
    channels = None if spec.channels is None else list(spec.channels)
    source = datasets.open_source(spec.reader, recording, run_channels=channels)
    ingest.write(source, Path(snakemake.output[0]), chunk_seconds=spec.chunk_seconds,
                 attrs={"subject": w.subject, "session": w.session, "dataset": spec.dataset})


run_step(snakemake.log[0], step)
