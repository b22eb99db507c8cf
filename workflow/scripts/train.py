"""Snakemake adapter: train and evaluate one model × protocol × fold."""

from pathlib import Path

from seedflow import backend, train
from seedflow.logs import run_step
from seedflow.representations import Session

fold = snakemake.params.fold
raw = snakemake.input.raw
sessions = [
    Session(s, k, Path(snakemake.input.features[i]), Path(raw[i]) if raw else None)
    for i, (s, k) in enumerate(fold.sessions)
]


def step():
    backend.log_devices()
    train.train_fold(
        snakemake.wildcards.model, fold, sessions, Path(snakemake.output[0]).parent,
        snakemake.params.recognition, checkpoint_dir=Path(snakemake.params.checkpoints),
        preprocessing=snakemake.params.preprocessing)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
