"""Snakemake adapter: mixup of one group, measured."""

from pathlib import Path

from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.synthesis import mixup

run_step(snakemake.log[0], lambda: mixup.run(
    features=[Path(p) for p in snakemake.input], out_dir=Path(snakemake.output[0]).parent,
    spec=from_param(mixup.MixupSpec, snakemake.params.spec), group=snakemake.wildcards.group))
