"""Snakemake adapter: fit the stacking meta-model of one protocol × fold."""

from pathlib import Path

from seedflow import stacking
from seedflow.logs import run_step

w = snakemake.wildcards
run_step(snakemake.log[0], lambda: stacking.train_fold(
    {m: Path(d) for m, d in snakemake.params.base_dirs.items()}, w.protocol, w.fold,
    Path(snakemake.output[0]).parent, snakemake.params.recognition))
