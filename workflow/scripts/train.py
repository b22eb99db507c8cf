"""Snakemake adapter: train and evaluate one model × protocol × fold."""

from pathlib import Path

from seedflow import backend, train
from seedflow.logs import run_step


def step():
    w = snakemake.wildcards
    backend.log_devices()
    train.train_fold(w.model, w.protocol, w.fold, [Path(p) for p in snakemake.input],
                     Path(snakemake.output[0]).parent, snakemake.params.recognition)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
