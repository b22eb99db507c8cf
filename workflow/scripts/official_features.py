"""Snakemake adapter: SEED's official features of one subject × session as a feature store."""

from pathlib import Path

from seedflow.features import official
from seedflow.logs import run_step

run_step(snakemake.log[0], lambda: official.write_store(
    features=Path(snakemake.input.features), ingest=Path(snakemake.input.ingest),
    out=Path(snakemake.output[0]), smoothing=snakemake.params.smoothing))
