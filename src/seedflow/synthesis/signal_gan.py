"""The signal GAN: a conditional WGAN-GP trained on real windows, sampled, measured, exported.

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

import json
import logging
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from pathlib import Path

import numpy as np
import scipy.signal

from seedflow.errors import SeedflowError
from seedflow.history import write_history
from seedflow.stores import samples as sample_store
from seedflow.stores.ingest import IngestStore
from seedflow.synthesis import quality
from seedflow.synthesis.training import GanSpec, sample, train_gan

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignalGanSpec:
    """What a signal GAN group's outputs depend on (config section ``synthesis``, the bands
    its quality measures compare, and the trials it trains on)."""

    gan: GanSpec
    window_seconds: float
    windows_per_trial: int
    samples_per_class: int
    sfreq: float | None  # None: the recordings' own rate
    export_windows_per_trial: int
    quality_folds: int
    bands: dict          # config key features.bands
    train_trials: int    # config key recognition.train_trials

    @classmethod
    def from_config(cls, config: dict) -> "SignalGanSpec":
        section = config["synthesis"]
        return cls(GanSpec.from_config(config), float(section["window_seconds"]),
                   section["windows_per_trial"], section["samples_per_class"],
                   section["sfreq"], section["export_windows_per_trial"],
                   section["quality_folds"], dict(config["features"]["bands"]),
                   config["recognition"]["train_trials"])


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
        store = IngestStore.open(path)
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


def run(*, ingest: list[Path], out_dir: Path, spec: SignalGanSpec, checkpoint: Path,
        group: str) -> dict:
    """Train the GAN of ``group`` on the ingest stores ``ingest``; write generator.keras,
    losses.csv, samples.zarr, quality.json and the synthetic recording (recording.zarr in
    the ingest layout, recording_eeg.fif) under ``out_dir``."""
    from seedflow.synthesis import export, networks

    data, meta = real_windows(ingest, spec.train_trials, spec.window_seconds,
                              spec.windows_per_trial, spec.gan.seed, spec.sfreq)
    x, y = data["train"]
    n_classes = len(meta["class_names"])
    mean = x.mean(axis=(0, 1), keepdims=True)
    std = x.std(axis=(0, 1), keepdims=True) + 1e-12
    log.info("GAN %s: %d training windows of %d samples (%g Hz) x %d channels, %d classes",
             group, len(x), x.shape[1], meta["sfreq"], x.shape[2], n_classes)
    width, latent = spec.gan.width, spec.gan.latent_dim
    out_dir.mkdir(parents=True, exist_ok=True)
    trainer, history = train_gan(
        (x - mean) / std, y, spec.gan,
        lambda: (networks.build_generator(latent, n_classes, x.shape[1], x.shape[2], width),
                 networks.build_critic(x.shape[1], x.shape[2], n_classes, width)),
        checkpoint)
    trainer.generator.save(out_dir / "generator.keras")
    write_history(out_dir / "losses.csv", history)

    samples, labels = sample(trainer, n_classes, spec.samples_per_class, spec.gan.seed)
    samples = (samples * std + mean).astype(np.float32)
    sample_store.write_windows(out_dir / "samples.zarr", samples, labels, meta)
    export.write_recording(
        samples, labels, meta, zarr_path=out_dir / "recording.zarr",
        fif_path=out_dir / "recording_eeg.fif",
        windows_per_trial=spec.export_windows_per_trial,
        source=out_dir / "generator.keras",
        attrs={"subject": f"synthetic-{group}", "session": "1", "dataset": "synthetic"})

    distance = partial(quality.signal_distances, sfreq=meta["sfreq"], bands=spec.bands)
    result = quality.report(
        (samples, labels), (x, y), data["heldout"], meta["class_names"], distance,
        folds=spec.quality_folds, seed=spec.gan.seed,
        features=lambda w: quality.band_log_power(w, meta["sfreq"], spec.bands))
    result = {"generator": "wgan_gp", "level": "signal", "group": group,
              "sfreq": meta["sfreq"], "window_seconds": spec.window_seconds,
              "n_train_windows": int(len(x)), "n_heldout_windows": int(len(data["heldout"][1])),
              **result, "losses": history}
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("GAN %s quality: TSTR accuracy %.3f (TRTR %.3f)", group,
             result["train_synthetic_test_real"]["accuracy"],
             result["train_real_test_real"]["accuracy"])
    return result
