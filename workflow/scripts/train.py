"""Snakemake adapter: train and evaluate one model × protocol × fold."""

from pathlib import Path

from seedflow import keras_backend, models
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.recognition import train
from seedflow.recognition.preparation import Preparation
from seedflow.recognition.protocols import Fold
from seedflow.recognition.representations import Session

fold, ingest = from_param(Fold, snakemake.params.fold), snakemake.input.ingest
spec = from_param(train.TrainSpec, snakemake.params.spec)
preparation = from_param(Preparation, snakemake.params.preparation)
sessions = [
    Session(s, k, Path(snakemake.input.features[i]), Path(ingest[i]) if ingest else None)
    for i, (s, k) in enumerate(fold.sessions)
]


keras_model = models.spec(snakemake.wildcards.model).kind == "keras"
if keras_model:  # scikit-learn baselines never import Keras (saves ~10-20 s per job)
    keras_backend.use(spec.fit.backend, cache=Path(snakemake.params.cache))
    from seedflow import backend

    backend.limit_threads(snakemake.threads)


def step():
    if keras_model:
        backend.log_devices()
    train.train_fold(
        model=snakemake.wildcards.model, fold=fold, sessions=sessions,
        out_dir=Path(snakemake.output[0]).parent, spec=spec,
        checkpoint_dir=Path(snakemake.params.checkpoints), preprocessing=preparation.record())


run_step(snakemake.log[0], step)
