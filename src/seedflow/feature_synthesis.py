"""Feature-level synthesis: a conditional WGAN-GP on the DE grid (as in BCGAN), and the seeds'
within-class interpolation (mixup) as the simple baseline; both measured per class.

Training examples are the DE windows of the training trials (the first ``train_trials``
trials of each session); quality is measured against the held-out trials' windows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import zarr

from seedflow import synthetic_quality
from seedflow.channels import grid_positions
from seedflow.errors import SeedflowError
from seedflow.features import FeatureStore
from seedflow.grid import to_grid
from seedflow.io.zarr_store import COMPRESSOR, atomic_directory

log = logging.getLogger(__name__)


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


def train_feature_gan(x: np.ndarray, y: np.ndarray, ch_names, n_classes: int, settings: dict,
                      checkpoint: Path):
    """A feature GAN trained on DE ``x``; returns (trainer, scaler, losses)."""
    from seedflow import gan, synthesis

    scaler = GridScaler(x, ch_names)
    grid = scaler.to_grid(x)
    trainer, history = synthesis.train_gan(
        grid, y, n_classes, settings,
        lambda: (gan.build_feature_generator(settings["latent_dim"], n_classes, grid.shape[1:]),
                 gan.build_feature_critic(grid.shape[1:], n_classes)),
        checkpoint)
    return trainer, scaler, history


def synthesize(trainer, scaler: GridScaler, n_classes: int, per_class: int, seed: int):
    """DE samples (n, channels, bands) and their labels from a trained feature GAN."""
    from seedflow import synthesis

    grid, labels = synthesis.sample(trainer, n_classes, per_class, seed)
    return scaler.to_de(grid), labels


def feature_settings(synthesis_settings: dict) -> dict:
    """The feature GAN's settings: its own section over the shared synthesis keys."""
    return {**synthesis_settings, **synthesis_settings["feature_gan"]}


def _write_samples(path: Path, de: np.ndarray, labels: np.ndarray, attrs: dict) -> None:
    with atomic_directory(path) as tmp:
        group = zarr.open_group(tmp, mode="w")
        group.create_array("de", data=de, compressors=COMPRESSOR)
        group.create_array("label", data=labels)
        group.attrs.update(attrs)


def _quality(samples, data, class_names, settings) -> dict:
    return synthetic_quality.report(
        samples, data["train"], data["heldout"], class_names,
        synthetic_quality.feature_distances, folds=settings.get("quality_folds", 5),
        seed=settings["seed"])


def run(feature_paths: list[Path], gan_dir: Path, mixup_dir: Path, settings: dict,
        train_trials: int, checkpoint: Path | None = None, group: str = "pooled") -> dict:
    """Feature GAN and mixup: generator.keras, losses.csv, samples.zarr and quality.json in
    ``gan_dir``; samples.zarr and quality.json in ``mixup_dir``."""
    settings = feature_settings(settings)
    data, attrs, data_quality = load_de(feature_paths, train_trials)
    x, y = data["train"]
    class_names = attrs["class_names"]
    n_classes = len(class_names)
    log.info("feature GAN %s: %d training windows, %d channels x %d bands", group, len(x),
             x.shape[1], x.shape[2])
    gan_dir.mkdir(parents=True, exist_ok=True)
    mixup_dir.mkdir(parents=True, exist_ok=True)
    trainer, scaler, history = train_feature_gan(x, y, attrs["ch_names"], n_classes, settings,
                                                 checkpoint or gan_dir / "checkpoint.npz")
    trainer.generator.save(gan_dir / "generator.keras")
    from seedflow.synthesis import write_losses

    write_losses(gan_dir / "losses.csv", history)
    meta = {"ch_names": attrs["ch_names"], "class_names": class_names,
            "bands": attrs["bands"], "de_log_base": "e"}
    per_class = settings["samples_per_class"]
    results = {}
    for name, out_dir, samples in (
            ("feature_wgan_gp", gan_dir, synthesize(trainer, scaler, n_classes, per_class,
                                                    settings["seed"])),
            ("mixup", mixup_dir, interpolate(x, y, per_class, settings["mixup"]["alpha"],
                                             settings["seed"]))):
        _write_samples(out_dir / "samples.zarr", *samples, meta)
        result = {"generator": name, "level": "features", "group": group,
                  "n_train_windows": int(len(x)),
                  "n_heldout_windows": int(len(data["heldout"][1])),
                  "data_quality": data_quality,
                  **_quality(samples, data, class_names, settings)}
        if name == "feature_wgan_gp":
            result["losses"] = history
        (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
        log.info("%s %s: TSTR accuracy %.3f (TRTR %.3f)", name, group,
                 result["train_synthetic_test_real"]["accuracy"],
                 result["train_real_test_real"]["accuracy"])
        results[name] = result
    return results
