"""Snakemake adapter: train one conditional GAN group, measure and export its samples."""

from pathlib import Path

from seedflow import backend, synthesis
from seedflow.logs import run_step


def step():
    backend.log_devices()
    synthesis.run(
        [Path(p) for p in snakemake.input], Path(snakemake.output.fif).parent,
        snakemake.params.synthesis, snakemake.params.bands, snakemake.params.train_trials,
        checkpoint=Path(snakemake.params.checkpoint), group=snakemake.wildcards.group)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
