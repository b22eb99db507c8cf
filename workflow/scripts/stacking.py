"""Snakemake adapter: fit the stacking meta-model of one protocol × fold."""

from pathlib import Path

from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.recognition import stacking

w = snakemake.wildcards
spec = from_param(stacking.StackingSpec, snakemake.params.spec)
run_step(snakemake.log[0], lambda: stacking.train_fold(
    base_dirs={m: Path(d) for m, d in snakemake.params.base_dirs.items()}, protocol=w.protocol,
    fold=w.fold, out_dir=Path(snakemake.output[0]).parent, spec=spec))
