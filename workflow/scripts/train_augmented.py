"""Snakemake adapter: one augmentation arm × fold (the model on real + synthetic windows)."""

from pathlib import Path

from seedflow import keras_backend
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.recognition import train
from seedflow.recognition.preparation import Preparation
from seedflow.recognition.protocols import Fold
from seedflow.recognition.representations import Session
from seedflow.synthesis.augmentation import Augmentation, AugmentationSpec

fold = from_param(Fold, snakemake.params.fold)
spec = from_param(train.TrainSpec, snakemake.params.spec)
preparation = from_param(Preparation, snakemake.params.preparation)
sessions = [Session(s, k, Path(snakemake.input.features[i]))
            for i, (s, k) in enumerate(fold.sessions)]
checkpoints = Path(snakemake.params.checkpoints)
arm = from_param(AugmentationSpec, snakemake.params.augmentation)
augmentation = Augmentation(arm, checkpoints.with_name(checkpoints.name + ".feature_gan.npz"))
keras_backend.use(spec.fit and spec.fit.backend, arm.generator and arm.generator.backend,
                  cache=Path(snakemake.params.cache))
from seedflow import backend  # noqa: E402  (imports Keras: after its backend is set)


def step():
    backend.log_devices()
    train.train_fold(
        model=snakemake.wildcards.model, fold=fold, sessions=sessions,
        out_dir=Path(snakemake.output[0]).parent, spec=spec, checkpoint_dir=checkpoints,
        preprocessing=preparation.record(), augment=augmentation)
    augmentation.checkpoint.unlink(missing_ok=True)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
