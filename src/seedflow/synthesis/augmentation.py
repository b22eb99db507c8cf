"""The augmentation experiment: a recognition model trained on a fold's real training windows
plus synthetic ones made only from those windows, under the same protocol and folds.

Arms (``ARMS``): ``feature_wgan_gp`` (the conditional WGAN-GP on the DE grid of
:mod:`seedflow.synthesis.feature_gan`, trained afresh on each fold's training windows) and
``mixup`` (within-class interpolation of them, :mod:`seedflow.synthesis.mixup`). The real
arm is the model's ordinary fold (:func:`seedflow.recognition.train.train_fold` without
synthetic windows), so the gain of an arm is its accuracy minus that fold's. ``ratio``
synthetic windows are added per real training window, balanced over classes. The generator
never sees a validation or test trial: it receives only the fold's training samples, and
:func:`seedflow.recognition.train.train_fold` checks the trials it reports against the test
and validation trials.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seedflow import models
from seedflow.errors import SeedflowError
from seedflow.synthesis.training import GanSpec

if TYPE_CHECKING:  # an annotation only: representations would pull in Keras
    from seedflow.recognition.representations import Samples

log = logging.getLogger(__name__)

ARMS = ("feature_wgan_gp", "mixup")
# Representations the feature GAN's single DE windows convert to (mixup works on any array).
DE_REPRESENTATIONS = ("grid", "flat", "channels_bands")


@dataclass
class Synthetic:
    """Synthetic training samples, the trials of the real samples they were made from, and
    what the fold's metrics record about them."""

    samples: Samples
    source_trials: np.ndarray
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class AugmentationSpec:
    """What one arm's synthetic windows depend on (config section
    ``synthesis.augmentation``; the mixup arm's ``synthesis.mixup.alpha``, the GAN arm's
    feature-GAN settings)."""

    arm: str
    ratio: float
    seed: int
    alpha: float | None      # mixup
    generator: GanSpec | None  # feature_wgan_gp

    @classmethod
    def from_config(cls, config: dict, arm: str) -> "AugmentationSpec":
        if arm not in ARMS:
            raise SeedflowError(f"unknown augmentation arm '{arm}' (known: {', '.join(ARMS)})")
        section = config["synthesis"]
        mixup = arm == "mixup"
        return cls(arm, float(section["augmentation"]["ratio"]), section["seed"],
                   float(section["mixup"]["alpha"]) if mixup else None,
                   None if mixup else GanSpec.from_config(config))


def check(config: dict) -> None:
    """Fail with the config key if the augmentation model cannot take synthetic windows."""
    name = config["synthesis"]["augmentation"]["model"]
    if name not in models.NAMES:
        raise SeedflowError(f"config key synthesis.augmentation.model: unknown model '{name}' "
                            f"(known: {', '.join(models.NAMES)})")
    spec = models.spec(name)
    if spec.kind == "stacking" or spec.representation not in DE_REPRESENTATIONS:
        raise SeedflowError(
            f"config key synthesis.augmentation.model: '{name}' reads "
            f"'{spec.representation}' inputs; augmentation needs a model on single DE windows "
            f"({', '.join(DE_REPRESENTATIONS)}), e.g. cnn4d, dgcnn, dnn, svm or logreg")


def to_de(x: np.ndarray, representation: str, ch_names: list[str]) -> np.ndarray:
    """Model inputs of a DE representation -> DE (n, channels, bands)."""
    if representation == "flat":
        return x.reshape(len(x), len(ch_names), -1)
    if representation == "channels_bands":
        return x
    from seedflow.channels import grid_positions

    positions = grid_positions(ch_names)
    return x[:, positions[:, 0], positions[:, 1], :]


def from_de(de: np.ndarray, representation: str, ch_names: list[str]) -> np.ndarray:
    """DE (n, channels, bands) -> model inputs of a DE representation."""
    from seedflow.channels import to_grid

    if representation == "flat":
        return de.reshape(len(de), -1)
    if representation == "channels_bands":
        return de
    return to_grid(de, ch_names)


class Augmentation:
    """One arm for :func:`seedflow.recognition.train.train_fold`: called with the model, the
    fold's training samples and a feature store of the fold (its channel names), returns
    the :class:`Synthetic` samples it makes from them (``checkpoint``: the feature GAN's
    checkpoint file)."""

    def __init__(self, spec: AugmentationSpec, checkpoint: Path):
        self.spec, self.checkpoint = spec, checkpoint

    def __call__(self, model: str, train, features_path: Path) -> Synthetic:
        from seedflow.recognition.representations import Samples
        from seedflow.stores.features import FeatureStore
        from seedflow.synthesis import feature_gan, mixup

        spec, arm = self.spec, self.spec.arm
        representation = models.spec(model).representation
        n_classes = len(train.class_names)
        per_class = math.ceil(spec.ratio * len(train) / n_classes)
        x, y = np.asarray(train.x, dtype=np.float32), train.label.astype(np.int32)
        info = {"augmentation": arm, "synthetic_ratio": spec.ratio}
        if arm == "mixup":
            fake, labels = mixup.interpolate(x, y, per_class, spec.alpha, spec.seed)
        else:
            ch_names = list(FeatureStore.open(features_path).attrs["ch_names"])
            trainer, scaler, history = feature_gan.train_feature_gan(
                to_de(x, representation, ch_names), y, ch_names, n_classes, spec.generator,
                self.checkpoint)
            de, labels = feature_gan.synthesize(trainer, scaler, n_classes, per_class,
                                                spec.generator.seed)
            fake = from_de(de, representation, ch_names)
            info["generator_losses"] = history
        n = len(labels)
        samples = Samples(fake.astype(np.float32), labels,
                          np.full(n, "synthetic", dtype="U32"), np.full(n, arm, dtype="U32"),
                          np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64),
                          train.class_names, train.options)
        source = np.unique(train.trial_keys())
        info.update(n_synthetic_windows=int(n), n_generator_trials=int(len(source)))
        log.info("%s: %d synthetic windows from %d training windows of %d trials", arm, n,
                 len(train), len(source))
        return Synthetic(samples, source, info)
