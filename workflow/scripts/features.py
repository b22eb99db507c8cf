"""Snakemake adapter: features of one subject × session."""

from pathlib import Path

from seedflow import features
from seedflow.logs import run_step

section = snakemake.params.features
run_step(snakemake.log[0], lambda: features.extract(
    Path(snakemake.input[0]), Path(snakemake.output[0]),
    features.FeatureSpec.from_config(section),
    scheduler=section["scheduler"], num_workers=snakemake.threads,
    memory_mb=snakemake.resources.mem_mb))
