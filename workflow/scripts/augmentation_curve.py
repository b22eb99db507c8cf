"""Snakemake adapter: one cell of the augmentation learning curve (fold × size × seed)."""

from pathlib import Path

from seedflow import keras_backend
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.recognition.protocols import Fold
from seedflow.recognition.representations import Session
from seedflow.recognition.train import TrainSpec
from seedflow.synthesis import learning_curve

fold = from_param(Fold, snakemake.params.fold)
sessions = [Session(s, k, Path(snakemake.input.features[i]), Path(snakemake.input.ingest[i]))
            for i, (s, k) in enumerate(fold.sessions)]
train_spec = from_param(TrainSpec, snakemake.params.spec)
curve = from_param(learning_curve.CurveSpec, snakemake.params.curve)
keras_backend.use(*(part and part.backend
                    for part in (train_spec.fit, curve.signal_gan, curve.feature_gan)),
                  cache=Path(snakemake.params.cache))
from seedflow import backend  # noqa: E402  (imports Keras: after its backend is set)

backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], lambda: learning_curve.run_cell(
    model=snakemake.wildcards.model, fold=fold, sessions=sessions,
    out_dir=Path(snakemake.output[0]), train_spec=train_spec, spec=curve,
    size=snakemake.wildcards.size, seed=int(snakemake.wildcards.seed),
    checkpoint_dir=Path(snakemake.params.checkpoints)))
