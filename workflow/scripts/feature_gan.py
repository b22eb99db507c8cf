"""Snakemake adapter: the feature-level GAN and mixup of one group, measured."""

from pathlib import Path

from seedflow import backend, feature_synthesis
from seedflow.logs import run_step

backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], lambda: feature_synthesis.run(
    [Path(p) for p in snakemake.input], Path(snakemake.output[0]).parent,
    Path(snakemake.output.mixup_quality).parent, snakemake.params.synthesis,
    snakemake.params.train_trials, checkpoint=Path(snakemake.params.checkpoint),
    group=snakemake.wildcards.group))
