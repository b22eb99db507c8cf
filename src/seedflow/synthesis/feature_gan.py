"""The feature GAN: a conditional WGAN-GP on the DE grid (as in BCGAN), measured per class.

Training examples are the DE windows of the training trials (the first ``train_trials``
trials of each session, :func:`load_de`, which mixup reads too); quality is measured
against the held-out trials' windows.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedflow.channels import grid_positions, to_grid
from seedflow.errors import SeedflowError
from seedflow.history import write_history
from seedflow.stores import samples as sample_store
from seedflow.stores.features import FeatureStore
from seedflow.synthesis import quality
from seedflow.synthesis.training import GanSpec, sample, train_gan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FeatureGanSpec:
    """What a feature GAN group's outputs depend on (config sections ``synthesis`` and
    ``synthesis.feature_gan``, and the trials it trains on)."""

    gan: GanSpec
    samples_per_class: int
    quality_folds: int
    train_trials: int  # config key recognition.train_trials

    @classmethod
    def from_config(cls, config: dict) -> "FeatureGanSpec":
        section = config["synthesis"]
        return cls(GanSpec.from_config(config),
                   section["feature_gan"]["samples_per_class"], section["quality_folds"],
                   config["recognition"]["train_trials"])


def load_de(feature_paths: list[Path], train_trials: int):
    """DE (n, channels, bands) and labels of training and held-out trials, metadata, and
    what damaged data cost (``data_quality``: per part, windows left out and imputed).

    The models' NaN policy: a window without any finite DE is left out; the other
    non-finite values are imputed with the training windows' mean of their (channel, band)
    entry, or of their band where the entry has no finite training value, so no held-out
    value informs them.
    """
    parts = {"train": ([], []), "heldout": ([], [])}
    left_out = dict.fromkeys(parts, 0)
    attrs = None
    for path in feature_paths:
        store = FeatureStore.open(path)
        if attrs and store.attrs["ch_names"] != attrs["ch_names"]:
            raise SeedflowError(f"{path}: channels differ from {feature_paths[0]}")
        attrs = attrs or store.attrs
        usable = np.isfinite(store.de).any(axis=(1, 2))
        train = store.trial_index < train_trials
        for part, mask in (("train", train), ("heldout", ~train)):
            parts[part][0].append(store.de[mask & usable])
            parts[part][1].append(store.label[mask & usable].astype(np.int32))
            left_out[part] += int((mask & ~usable).sum())
    data = {part: (np.concatenate(x), np.concatenate(y)) for part, (x, y) in parts.items()}
    if not len(data["train"][1]) or not len(data["heldout"][1]):
        raise SeedflowError(f"feature synthesis: recognition.train_trials = {train_trials} "
                            f"leaves no training or no held-out window with a finite DE")
    fill = _training_means(data["train"][0])
    quality = {}
    for part, (x, y) in data.items():
        missing = ~np.isfinite(x)
        quality[part] = {"left_out_windows": left_out[part],
                         "imputed_windows": int(missing.any(axis=(1, 2)).sum()),
                         "imputed_values": int(missing.sum())}
        data[part] = (np.where(missing, fill, x).astype(x.dtype), y)
    if any(q["left_out_windows"] or q["imputed_windows"] for q in quality.values()):
        log.warning("feature synthesis: non-finite DE: %s", "; ".join(
            f"{part}: {q['left_out_windows']} windows left out (no finite value), "
            f"{q['imputed_values']} values of {q['imputed_windows']} windows imputed"
            for part, q in quality.items()))
    return data, attrs, quality


def _training_means(x: np.ndarray) -> np.ndarray:
    """(channels, bands) mean of the finite training values of each entry, or of its band
    where the entry has none."""
    finite = np.isfinite(x)
    total, count = np.where(finite, x, 0).sum(axis=0), finite.sum(axis=0)
    band = total.sum(axis=0) / np.maximum(count.sum(axis=0), 1)
    return np.where(count > 0, total / np.maximum(count, 1), band)


class GridScaler:
    """DE (n, channels, bands) <-> standardised grid (n, rows, cols, bands); empty cells 0."""

    def __init__(self, de_train: np.ndarray, ch_names):
        self.ch_names = ch_names
        self.positions = grid_positions(ch_names)
        grid = to_grid(de_train, ch_names)
        self.mean = grid.mean(axis=0)
        self.std = grid.std(axis=0) + 1e-6

    def to_grid(self, de: np.ndarray) -> np.ndarray:
        return ((to_grid(de, self.ch_names) - self.mean) / self.std).astype(np.float32)

    def to_de(self, grid: np.ndarray) -> np.ndarray:
        grid = grid * self.std + self.mean
        return grid[:, self.positions[:, 0], self.positions[:, 1], :].astype(np.float32)


def train_feature_gan(x: np.ndarray, y: np.ndarray, ch_names, n_classes: int, spec: GanSpec,
                      checkpoint: Path):
    """A feature GAN trained on DE ``x``; returns (trainer, scaler, losses)."""
    from seedflow.synthesis import networks

    scaler = GridScaler(x, ch_names)
    grid = scaler.to_grid(x)
    trainer, history = train_gan(
        grid, y, spec,
        lambda: (networks.build_feature_generator(spec.latent_dim, n_classes, grid.shape[1:]),
                 networks.build_feature_critic(grid.shape[1:], n_classes)),
        checkpoint)
    return trainer, scaler, history


def synthesize(trainer, scaler: GridScaler, n_classes: int, per_class: int, seed: int):
    """DE samples (n, channels, bands) and their labels from a trained feature GAN."""
    grid, labels = sample(trainer, n_classes, per_class, seed)
    return scaler.to_de(grid), labels


def measured(samples, data, class_names, *, folds: int, seed: int) -> dict:
    """Feature-level quality of synthetic DE ``samples`` against the held-out windows."""
    return quality.report(samples, data["train"], data["heldout"], class_names,
                          quality.feature_distances, folds=folds, seed=seed)


def run(*, features: list[Path], out_dir: Path, spec: FeatureGanSpec, checkpoint: Path,
        group: str) -> dict:
    """The feature GAN of ``group`` on the feature stores ``features``: generator.keras,
    losses.csv, samples.zarr and quality.json in ``out_dir``."""
    data, attrs, data_quality = load_de(features, spec.train_trials)
    x, y = data["train"]
    class_names = attrs["class_names"]
    n_classes = len(class_names)
    log.info("feature GAN %s: %d training windows, %d channels x %d bands", group, len(x),
             x.shape[1], x.shape[2])
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer, scaler, history = train_feature_gan(x, y, attrs["ch_names"], n_classes,
                                                 spec.gan, checkpoint)
    trainer.generator.save(out_dir / "generator.keras")
    write_history(out_dir / "losses.csv", history)
    samples = synthesize(trainer, scaler, n_classes, spec.samples_per_class, spec.gan.seed)
    sample_store.write_de(out_dir / "samples.zarr", *samples, ch_names=attrs["ch_names"],
                          class_names=class_names, bands=attrs["bands"])
    result = {"generator": "feature_wgan_gp", "level": "features", "group": group,
              "n_train_windows": int(len(x)),
              "n_heldout_windows": int(len(data["heldout"][1])),
              "data_quality": data_quality,
              **measured(samples, data, class_names, folds=spec.quality_folds,
                         seed=spec.gan.seed),
              "losses": history}
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("feature_wgan_gp %s: TSTR accuracy %.3f (TRTR %.3f)", group,
             result["train_synthetic_test_real"]["accuracy"],
             result["train_real_test_real"]["accuracy"])
    return result
