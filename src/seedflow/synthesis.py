"""Synthesis stage: train the conditional GAN on real windows, sample, measure quality.

Training windows come only from training trials (the first ``train_trials`` of each
session); quality is measured against windows of the held-out trials, next to the same
distances between real training and held-out windows (what "as close as real" looks like).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import scipy.signal
import zarr

from seedflow import backend
from seedflow.io.zarr_store import COMPRESSOR, SessionStore, atomic_directory

log = logging.getLogger(__name__)


def real_windows(store_paths: list[Path], train_trials: int, window_seconds: float,
                 windows_per_trial: int, seed: int):
    """Windows (n, time, channels) in volts and labels, split into training/held-out trials."""
    rng = np.random.default_rng(seed)
    out = {"train": ([], []), "heldout": ([], [])}
    meta = None
    for path in store_paths:
        store = SessionStore.open(path)
        meta = meta or {"sfreq": store.sfreq, "ch_names": store.ch_names,
                        "class_names": store.class_names}
        win = int(round(window_seconds * store.sfreq))
        for index, label in enumerate(store.labels):
            n_windows = (store.trial_stop[index] - store.trial_start[index]) // win
            chosen = np.sort(rng.choice(n_windows, min(n_windows, windows_per_trial),
                                        replace=False))
            trial = store.trial(index)
            part = "train" if index < train_trials else "heldout"
            for w in chosen:
                out[part][0].append(trial[:, w * win:(w + 1) * win].T)
                out[part][1].append(label)
    stacked = {part: (np.stack(x).astype(np.float32), np.array(y, dtype=np.int32))
               for part, (x, y) in out.items()}
    return stacked, meta


def _band_log_power(windows: np.ndarray, sfreq: float, bands: dict) -> np.ndarray:
    """Mean log10 band power per channel and band: (channels, bands)."""
    freqs, psd = scipy.signal.welch(windows, fs=sfreq, axis=1,
                                    nperseg=min(windows.shape[1], int(sfreq)))
    power = [psd[:, (freqs >= lo) & (freqs < hi), :].mean(axis=1) for lo, hi in bands.values()]
    return np.log10(np.stack(power, axis=-1) + 1e-30).mean(axis=0)


def _mean_correlation(windows: np.ndarray) -> np.ndarray:
    return np.mean([np.corrcoef(w.T) for w in windows], axis=0)


def distances(a: np.ndarray, b: np.ndarray, sfreq: float, bands: dict) -> dict:
    """Band log-power distance (mean |difference|, decades) and correlation-matrix distance."""
    band = np.abs(_band_log_power(a, sfreq, bands) - _band_log_power(b, sfreq, bands))
    corr = _mean_correlation(a) - _mean_correlation(b)
    return {"band_log_power": float(band.mean()),
            "channel_correlation": float(np.sqrt((corr**2).mean()))}


def quality(synthetic: dict, real_train: dict, heldout: dict, sfreq: float,
            bands: dict, class_names: list[str]) -> dict:
    """Per class: synthetic vs held-out, and real training vs held-out as the reference."""
    result = {}
    for k, name in enumerate(class_names):
        result[name] = {
            "synthetic_vs_heldout": distances(synthetic[k], heldout[k], sfreq, bands),
            "real_vs_heldout": distances(real_train[k], heldout[k], sfreq, bands),
        }
    return result


def run(store_paths: list[Path], out_dir: Path, settings: dict, bands: dict,
        train_trials: int) -> dict:
    """Train the GAN, write generator.keras, losses.csv, samples.zarr and quality.json."""
    import keras

    from seedflow import gan

    backend.seed_everything(settings["seed"])
    data, meta = real_windows(store_paths, train_trials, settings["window_seconds"],
                              settings["windows_per_trial"], settings["seed"])
    x, y = data["train"]
    n_classes = len(meta["class_names"])
    mean = x.mean(axis=(0, 1), keepdims=True)
    std = x.std(axis=(0, 1), keepdims=True) + 1e-12
    log.info("GAN: %d training windows of %d samples x %d channels, %d classes",
             len(x), x.shape[1], x.shape[2], n_classes)

    latent = settings["latent_dim"]
    model = gan.ConditionalWGANGP(
        gan.build_generator(latent, n_classes, x.shape[1], x.shape[2]),
        gan.build_critic(x.shape[1], x.shape[2], n_classes),
        latent_dim=latent, n_critic=settings["n_critic"],
        gp_weight=settings["gradient_penalty"], seed=settings["seed"])
    adam = dict(learning_rate=settings["learning_rate"], beta_1=0.0, beta_2=0.9)
    model.compile(keras.optimizers.Adam(**adam), keras.optimizers.Adam(**adam))
    out_dir.mkdir(parents=True, exist_ok=True)
    model.fit((x - mean) / std, y, epochs=settings["epochs"], batch_size=settings["batch_size"],
              shuffle=True, verbose=2,
              callbacks=[keras.callbacks.CSVLogger(str(out_dir / "losses.csv"))])
    model.generator.save(out_dir / "generator.keras")

    n = settings["samples_per_class"]
    labels = np.repeat(np.arange(n_classes, dtype=np.int32), n)
    noise = np.random.default_rng(settings["seed"]).standard_normal((len(labels), latent))
    samples = model.generator.predict([noise.astype(np.float32), labels], verbose=0)
    samples = (samples * std + mean).astype(np.float32)
    write_samples(out_dir / "samples.zarr", samples, labels, meta)

    by_class = lambda xs, ys: {k: xs[ys == k] for k in range(n_classes)}  # noqa: E731
    result = quality(by_class(samples, labels), by_class(x, y), by_class(*data["heldout"]),
                     meta["sfreq"], bands, meta["class_names"])
    (out_dir / "quality.json").write_text(json.dumps(result, indent=2))
    log.info("GAN quality: %s", json.dumps(result))
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
