"""Snakemake adapter: SEED's official features of one subject × session as a feature store."""

from pathlib import Path

from seedflow.io import seed_features
from seedflow.logs import run_step

run_step(snakemake.log[0], lambda: seed_features.write_store(
    Path(snakemake.input.features), Path(snakemake.input.store), Path(snakemake.output[0]),
    snakemake.params.smoothing))
