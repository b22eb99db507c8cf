"""Synthesis stage: train the conditional WGAN-GP on real windows, sample, measure, export.

Training windows come only from training trials (the first ``train_trials`` of each
session); quality is measured against windows of the held-out trials, next to the same
distances between real training and held-out windows (what "as close as real" looks like).
Windows are cut at the recording's own rate, or at a lower ``sfreq`` after anti-aliased
polyphase resampling of each whole trial (``scipy.signal.resample_poly``), never by
interpolation. Windows with a non-finite sample (damaged data) are never drawn. Windows are
standardised per channel with the training windows' statistics for the GAN; samples are
written back in volts.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
from fractions import Fraction
from functools import partial
from pathlib import Path

import numpy as np
import scipy.signal
import zarr

from seedflow import backend, synthetic_quality
from seedflow.errors import SeedflowError
from seedflow.io.zarr_store import COMPRESSOR, SessionStore, atomic_directory

log = logging.getLogger(__name__)


def resampler(source: float, target: float | None):
    """A function (channels, time) -> (channels, time) at ``target`` Hz (None: unchanged)."""
    if target is None or target == source:
        return lambda x: x
    if target > source:
        raise SeedflowError(f"config key synthesis.sfreq: {target} Hz is above the recording's "
                            f"{source} Hz (only lower rates, by anti-aliased resampling)")
    ratio = Fraction(target / source).limit_denominator(1000)
    if float(ratio) * source != target:
        raise SeedflowError(f"config key synthesis.sfreq: {target} Hz is not a rational "
                            f"fraction of {source} Hz")
    return lambda x: scipy.signal.resample_poly(x, ratio.numerator, ratio.denominator,
                                                axis=1).astype(np.float32)


def real_windows(store_paths: list[Path], train_trials: int, window_seconds: float,
                 windows_per_trial: int, seed: int, sfreq: float | None = None):
    """Windows (n, time, channels) in volts and labels, split into training/held-out trials."""
    rng = np.random.default_rng(seed)
    out = {"train": ([], []), "heldout": ([], [])}
    meta = None
    for path in store_paths:
        store = SessionStore.open(path)
        if meta and (store.sfreq != meta["source_sfreq"] or store.ch_names != meta["ch_names"]):
            raise SeedflowError(f"{path}: sampling rate or channels differ from "
                                f"{store_paths[0]}; cannot pool them in one GAN")
        meta = meta or {"sfreq": sfreq or store.sfreq, "source_sfreq": store.sfreq,
                        "ch_names": store.ch_names, "class_names": store.class_names}
        resample = resampler(store.sfreq, sfreq)
        win = int(round(window_seconds * meta["sfreq"]))
        for index, label in enumerate(store.labels):
            trial = resample(store.trial(index))
            n_windows = trial.shape[1] // win
            complete = np.flatnonzero(np.isfinite(
                trial[:, :n_windows * win].reshape(len(trial), n_windows, win)).all(axis=(0, 2)))
            if len(complete) < n_windows:
                log.warning("%s: trial %s: %d of %d windows hold non-finite samples and are "
                            "not drawn", path, store.trial_ids[index],
                            n_windows - len(complete), n_windows)
            chosen = np.sort(complete[rng.choice(len(complete),
                                                 min(len(complete), windows_per_trial),
                                                 replace=False)])
            part = "train" if index < train_trials else "heldout"
            for w in chosen:
                out[part][0].append(trial[:, w * win:(w + 1) * win].T)
                out[part][1].append(label)
    if not out["train"][0] or not out["heldout"][0]:
        raise SeedflowError(f"synthesis: recognition.train_trials = {train_trials} leaves no "
                            f"training or no held-out window")
    stacked = {part: (np.stack(x).astype(np.float32), np.array(y, dtype=np.int32))
               for part, (x, y) in out.items()}
    return stacked, meta


# The settings a checkpoint depends on besides the data (more epochs may follow it).
TRAINING_KEYS = ("seed", "batch_size", "latent_dim", "n_critic", "gradient_penalty",
                 "learning_rate", "beta_1", "beta_2", "width", "devices")


def fingerprint(x: np.ndarray, y: np.ndarray, settings: dict) -> str:
    """Identity of a training run for its checkpoint: data and training settings."""
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    kept = {k: settings.get(k) for k in TRAINING_KEYS}
    digest.update(json.dumps(kept, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def train_gan(x: np.ndarray, y: np.ndarray, n_classes: int, settings: dict, build,
              checkpoint: Path):
    """Build (inside the devices' scope) and train a WGAN-GP; returns it and its losses."""
    from seedflow import gan, gan_training

    backend.seed_everything(settings["seed"])
    devices = gan_training.Devices(settings.get("devices", 1))
    with devices.scope():
        generator, critic = build()
        trainer = gan.WGANGP(generator, critic, settings["latent_dim"],
                             n_critic=settings["n_critic"],
                             gp_weight=settings["gradient_penalty"],
                             learning_rate=settings["learning_rate"],
                             beta_1=settings.get("beta_1", 0.0),
                             beta_2=settings.get("beta_2", 0.9))
    history = gan_training.train(trainer, devices, x, y, epochs=settings["epochs"],
                                 batch_size=settings["batch_size"], seed=settings["seed"],
                                 checkpoint=checkpoint,
                                 fingerprint=fingerprint(x, y, settings))
    return trainer, history


def sample(trainer, n_classes: int, per_class: int, seed: int):
    """``per_class`` standardised samples of every class, from a fixed seed."""
    labels = np.repeat(np.arange(n_classes, dtype=np.int32), per_class)
    noise = np.random.default_rng([seed, 1]).standard_normal((len(labels), trainer.latent_dim))
    return trainer.generate(labels, noise), labels


def write_losses(path: Path, history: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(history[0]))
        writer.writeheader()
        writer.writerows(history)


def run(store_paths: list[Path], out_dir: Path, settings: dict, bands: dict,
        train_trials: int, checkpoint: Path | None = None, group: str = "pooled") -> dict:
    """Train the GAN, write generator.keras, losses.csv, samples.zarr, quality.json and the
    synthetic recording (recording.zarr in the ingest layout, recording_eeg.fif)."""
    from seedflow import gan, synthetic_export

    data, meta = real_windows(store_paths, train_trials, settings["window_seconds"],
                              settings["windows_per_trial"], settings["seed"],
                              settings.get("sfreq"))
    x, y = data["train"]
    n_classes = len(meta["class_names"])
    mean = x.mean(axis=(0, 1), keepdims=True)
    std = x.std(axis=(0, 1), keepdims=True) + 1e-12
    log.info("GAN %s: %d training windows of %d samples (%g Hz) x %d channels, %d classes",
             group, len(x), x.shape[1], meta["sfreq"], x.shape[2], n_classes)
    width = settings.get("width", 128)
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer, history = train_gan(
        (x - mean) / std, y, n_classes, settings,
        lambda: (gan.build_generator(settings["latent_dim"], n_classes, x.shape[1], x.shape[2],
                                     width),
                 gan.build_critic(x.shape[1], x.shape[2], n_classes, width)),
        checkpoint or out_dir / "checkpoint.npz")
    trainer.generator.save(out_dir / "generator.keras")
    write_losses(out_dir / "losses.csv", history)

    samples, labels = sample(trainer, n_classes, settings["samples_per_class"], settings["seed"])
    samples = (samples * std + mean).astype(np.float32)
    write_samples(out_dir / "samples.zarr", samples, labels, meta)
    synthetic_export.write_recording(
        samples, labels, meta, zarr_path=out_dir / "recording.zarr",
        fif_path=out_dir / "recording_eeg.fif",
        windows_per_trial=settings.get("export_windows_per_trial", 10),
        source=out_dir / "generator.keras",
        attrs={"subject": f"synthetic-{group}", "session": "1", "dataset": "synthetic"})

    distance = partial(synthetic_quality.signal_distances, sfreq=meta["sfreq"], bands=bands)
    result = synthetic_quality.report(
        (samples, labels), (x, y), data["heldout"], meta["class_names"], distance,
        folds=settings.get("quality_folds", 5), seed=settings["seed"],
        features=lambda w: synthetic_quality.band_log_power(w, meta["sfreq"], bands))
    result = {"generator": "wgan_gp", "level": "signal", "group": group,
              "sfreq": meta["sfreq"], "window_seconds": settings["window_seconds"],
              "n_train_windows": int(len(x)), "n_heldout_windows": int(len(data["heldout"][1])),
              **result, "losses": history}
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("GAN %s quality: TSTR accuracy %.3f (TRTR %.3f)", group,
             result["train_synthetic_test_real"]["accuracy"],
             result["train_real_test_real"]["accuracy"])
    return result


def write_samples(path: Path, samples: np.ndarray, labels: np.ndarray, meta: dict) -> None:
    """Synthetic windows as (n, channels, time) float32 volts with their class labels."""
    with atomic_directory(path) as tmp:
        group = zarr.open_group(tmp, mode="w")
        group.create_array("windows", data=samples.transpose(0, 2, 1).copy(),
                           compressors=COMPRESSOR)
        group.create_array("label", data=labels)
        group.attrs.update(sfreq=meta["sfreq"], ch_names=meta["ch_names"],
                           class_names=meta["class_names"], units="V")
