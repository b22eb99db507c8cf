"""Snakemake adapter: train and evaluate one model × protocol × fold."""

from pathlib import Path

from seedflow import models, train
from seedflow.logs import run_step
from seedflow.representations import Session

fold = snakemake.params.fold
raw = snakemake.input.raw
sessions = [
    Session(s, k, Path(snakemake.input.features[i]), Path(raw[i]) if raw else None)
    for i, (s, k) in enumerate(fold.sessions)
]


keras_model = models.spec(snakemake.wildcards.model).kind == "keras"
if keras_model:  # scikit-learn baselines never import Keras (saves ~10-20 s per job)
    from seedflow import backend

    backend.limit_threads(snakemake.threads)


def step():
    if keras_model:
        backend.log_devices()
    train.train_fold(
        snakemake.wildcards.model, fold, sessions, Path(snakemake.output[0]).parent,
        snakemake.params.recognition, checkpoint_dir=Path(snakemake.params.checkpoints),
        preprocessing=snakemake.params.preprocessing)


run_step(snakemake.log[0], step)
