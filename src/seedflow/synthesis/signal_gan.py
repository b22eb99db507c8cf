"""The signal GAN (:mod:`seedflow.synthesis.spectral`): trained on real windows, sampled,
measured, exported.

The GAN trains on random crops, at any sample offset, of the training trials only (the
first ``train_trials`` of each session): every window they offer, drawn afresh each step.
Quality is measured against windows of the held-out trials, next to the same distances
between ``windows_per_trial`` real windows of each training trial and the held-out windows
(what "as close as real" looks like). Trials are used at the recording's own rate, or at a
lower ``sfreq`` after anti-aliased polyphase resampling of each whole trial
(``scipy.signal.resample_poly``), never by interpolation. Windows with a non-finite sample
(damaged data) are never drawn. Windows are standardised per channel with the training
trials' statistics for the GAN; samples are written back in volts.
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
from seedflow.synthesis.training import SpectralGanSpec, fingerprint, train_spectral

log = logging.getLogger(__name__)

FRECHET_CROPS = 1200  # training crops the Fréchet distance's embedding network learns from


@dataclass(frozen=True)
class SignalGanSpec:
    """What a signal GAN group's outputs depend on (config section ``synthesis``, the bands
    its quality measures compare, and the trials it trains on)."""

    gan: SpectralGanSpec
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
        return cls(SpectralGanSpec.from_config(config), float(section["window_seconds"]),
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
    """Windows (n, time, channels) in volts and labels, split into training/held-out trials;
    the recordings' meta data; the training trials (time, channels) in volts with labels."""
    rng = np.random.default_rng(seed)
    out = {"train": ([], []), "heldout": ([], [])}
    trials = ([], [])
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
            if part == "train":
                trials[0].append(np.ascontiguousarray(trial.T))
                trials[1].append(label)
            for w in chosen:
                out[part][0].append(trial[:, w * win:(w + 1) * win].T)
                out[part][1].append(label)
    if not out["train"][0] or not out["heldout"][0]:
        raise SeedflowError(f"synthesis: recognition.train_trials = {train_trials} leaves no "
                            f"training or no held-out window")
    stacked = {part: (np.stack(x).astype(np.float32), np.array(y, dtype=np.int32))
               for part, (x, y) in out.items()}
    return stacked, meta, trials


class Crops:
    """Random windows of ``n_times`` samples, at any offset, of ``trials`` ((time, channels),
    volts), standardised per channel with the trials' statistics; a window holding a
    non-finite sample is never drawn."""

    def __init__(self, trials: list[np.ndarray], labels: list[int], n_times: int):
        self.n_times = n_times
        cat = np.concatenate(trials)
        self.mean = np.nanmean(cat, axis=0).astype(np.float32)
        self.std = (np.nanstd(cat, axis=0) + 1e-12).astype(np.float32)
        self.trials = [self.standardise(t) for t in trials]
        self.labels = np.asarray(labels, np.int32)
        self.starts = []
        for trial in trials:  # starts of the windows with only finite samples
            bad = np.concatenate([[0], np.cumsum(~np.isfinite(trial).all(axis=1))])
            n = len(trial) - n_times + 1
            self.starts.append(np.flatnonzero(bad[n_times:n_times + max(n, 0)]
                                              == bad[:max(n, 0)]))
        self.cumulative = np.cumsum([len(s) for s in self.starts])
        if not len(self.cumulative) or self.cumulative[-1] == 0:
            raise SeedflowError(f"synthesis: no training trial holds a complete window of "
                                f"{n_times} finite samples")

    def standardise(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.std).astype(np.float32)

    def to_volts(self, x: np.ndarray) -> np.ndarray:
        return (x * self.std + self.mean).astype(np.float32)

    def batch(self, rng: np.random.Generator, n: int):
        """``n`` windows (n, time, channels) drawn uniformly from every complete window of
        the training trials, and their labels."""
        draw = rng.integers(self.cumulative[-1], size=n)
        trial = np.searchsorted(self.cumulative, draw, side="right")
        offset = draw - np.concatenate([[0], self.cumulative])[trial]
        x = np.stack([self.trials[t][self.starts[t][o]:self.starts[t][o] + self.n_times]
                      for t, o in zip(trial, offset)])
        return x, self.labels[trial]


def train(crops: Crops, n_classes: int, sfreq: float, spec: SpectralGanSpec,
          checkpoint: Path):
    """Build and train the spectral GAN on ``crops``; returns it and its losses."""
    from seedflow import backend, keras_backend
    from seedflow.synthesis import spectral

    keras_backend.require(spec.backend)
    backend.seed_everything(spec.seed)
    if spec.devices != 1:
        raise SeedflowError(f"config key synthesis.devices: {spec.devices}; the signal GAN "
                            f"trains on one device (set 1)")
    n_times, n_channels = crops.n_times, crops.trials[0].shape[1]
    generator = spectral.build_generator(n_times, n_channels, n_classes, sfreq,
                                         latent_dim=spec.latent_dim)
    critic = spectral.build_critic(n_times, n_channels, n_classes, sfreq,
                                   hidden=spec.critic_width)
    target, layer = None, None
    if spec.feature_matching:
        target, layer = spectral.feature_targets(crops.batch, sfreq, n_times, n_channels,
                                                 n_classes,
                                                 np.random.default_rng([spec.seed, 11]))
    gan = spectral.SpectralGAN(generator, critic, latent_dim=spec.latent_dim,
                               total_steps=spec.steps, learning_rate=spec.learning_rate,
                               beta_2=spec.beta_2, r1_gamma=spec.r1_gamma,
                               fm_weight=spec.feature_matching, fm_target=target,
                               fm_layer=layer)
    identity = fingerprint(np.concatenate([t.ravel() for t in crops.trials]), crops.labels,
                           spec)
    history = train_spectral(gan, crops.batch, spec, checkpoint, identity)
    return gan, history


def run(*, ingest: list[Path], out_dir: Path, spec: SignalGanSpec, checkpoint: Path,
        group: str) -> dict:
    """Train the GAN of ``group`` on the ingest stores ``ingest``; write generator.keras,
    losses.csv, samples.zarr, quality.json and the synthetic recording (recording.zarr in
    the ingest layout, recording_eeg.fif) under ``out_dir``."""
    from seedflow.synthesis import export

    data, meta, (trials, trial_labels) = real_windows(
        ingest, spec.train_trials, spec.window_seconds, spec.windows_per_trial, spec.gan.seed,
        spec.sfreq)
    x, y = data["train"]
    n_classes = len(meta["class_names"])
    crops = Crops(trials, trial_labels, x.shape[1])
    log.info("GAN %s: %d training trials (%d windows of %d samples, %g Hz) x %d channels, "
             "%d classes", group, len(trials), crops.cumulative[-1], x.shape[1],
             meta["sfreq"], x.shape[2], n_classes)
    out_dir.mkdir(parents=True, exist_ok=True)
    gan, history = train(crops, n_classes, meta["sfreq"], spec.gan, checkpoint)
    gan.use_ema()
    gan.generator.save(out_dir / "generator.keras")
    write_history(out_dir / "losses.csv", history)

    labels = np.repeat(np.arange(n_classes, dtype=np.int32), spec.samples_per_class)
    samples = crops.to_volts(gan.generate(labels, np.random.default_rng([spec.gan.seed, 1])))
    sample_store.write_windows(out_dir / "samples.zarr", samples, labels, meta)
    export.write_recording(
        samples, labels, meta, zarr_path=out_dir / "recording.zarr",
        fif_path=out_dir / "recording_eeg.fif",
        windows_per_trial=spec.export_windows_per_trial,
        source=out_dir / "generator.keras",
        attrs={"subject": f"synthetic-{group}", "session": "1", "dataset": "synthetic"})

    # The embedding network learns from fresh crops of the training trials, not from the
    # real reference windows: fitted to those, it embeds them apart from any other window.
    fit_x, fit_y = crops.batch(np.random.default_rng([spec.gan.seed, 13]), FRECHET_CROPS)
    networks = quality.ConvMeasures(crops.to_volts(fit_x), fit_y, n_classes, spec.gan.seed)
    distance = partial(quality.signal_distances, sfreq=meta["sfreq"], bands=spec.bands,
                       networks=networks)
    result = quality.report(
        (samples, labels), (x, y), data["heldout"], meta["class_names"], distance,
        folds=spec.quality_folds, seed=spec.gan.seed,
        features=lambda w: quality.band_log_power(w, meta["sfreq"], spec.bands))
    result = {"generator": "signal_gan", "level": "signal", "group": group,
              "sfreq": meta["sfreq"], "window_seconds": spec.window_seconds,
              "n_train_windows": int(len(x)), "n_heldout_windows": int(len(data["heldout"][1])),
              "n_training_crops": int(crops.cumulative[-1]),
              **result, "losses": history}
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("GAN %s quality: TSTR accuracy %.3f (TRTR %.3f)", group,
             result["train_synthetic_test_real"]["accuracy"],
             result["train_real_test_real"]["accuracy"])
    return result
