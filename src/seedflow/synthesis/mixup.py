"""Mixup, the seeds' simple baseline of feature-level synthesis: within-class interpolation of
the DE windows of the training trials, measured per class as the feature GAN is."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedflow.stores import samples as sample_store
from seedflow.synthesis.feature_gan import load_de, measured

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MixupSpec:
    """What a mixup group's outputs depend on (``synthesis.mixup.alpha``; as many examples
    per class as the feature GAN makes, ``synthesis.feature_gan.samples_per_class``)."""

    alpha: float
    samples_per_class: int
    seed: int
    quality_folds: int
    train_trials: int  # config key recognition.train_trials

    @classmethod
    def from_config(cls, config: dict) -> "MixupSpec":
        section = config["synthesis"]
        return cls(float(section["mixup"]["alpha"]),
                   section["feature_gan"]["samples_per_class"], section["seed"],
                   section["quality_folds"], config["recognition"]["train_trials"])


def interpolate(x: np.ndarray, y: np.ndarray, per_class: int, alpha: float, seed: int):
    """Within-class interpolation: ``l x_i + (1 - l) x_j`` of two random examples of one
    class, ``l ~ Beta(alpha, alpha)``, labelled with that class."""
    rng = np.random.default_rng(seed)
    out_x, out_y = [], []
    for k in np.unique(y):
        members = x[y == k]
        i, j = rng.integers(len(members), size=(2, per_class))
        weight = rng.beta(alpha, alpha, size=(per_class,) + (1,) * (x.ndim - 1))
        out_x.append(weight * members[i] + (1 - weight) * members[j])
        out_y.append(np.full(per_class, k, dtype=np.int32))
    return np.concatenate(out_x).astype(x.dtype), np.concatenate(out_y)


def run(*, features: list[Path], out_dir: Path, spec: MixupSpec, group: str) -> dict:
    """Mixup of ``group`` on the feature stores ``features``: samples.zarr and quality.json
    in ``out_dir``."""
    data, attrs, data_quality = load_de(features, spec.train_trials)
    x, y = data["train"]
    class_names = attrs["class_names"]
    out_dir.mkdir(parents=True, exist_ok=True)
    samples = interpolate(x, y, spec.samples_per_class, spec.alpha, spec.seed)
    sample_store.write_de(out_dir / "samples.zarr", *samples, ch_names=attrs["ch_names"],
                          class_names=class_names, bands=attrs["bands"])
    result = {"generator": "mixup", "level": "features", "group": group,
              "n_train_windows": int(len(x)),
              "n_heldout_windows": int(len(data["heldout"][1])),
              "data_quality": data_quality,
              **measured(samples, data, class_names, folds=spec.quality_folds,
                         seed=spec.seed)}
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("mixup %s: TSTR accuracy %.3f (TRTR %.3f)", group,
             result["train_synthetic_test_real"]["accuracy"],
             result["train_real_test_real"]["accuracy"])
    return result
