"""Critical frequency bands and channels of a trained fold (the question of Zheng & Lu 2015,
*Investigating critical frequency bands and channels for EEG-based emotion recognition*),
measured on the fold's test samples only, after training.

- **Bands**: test accuracy with one band removed and with only that band kept. Feature
  models (DE or log-PSD grids, flat DE, DE per channel and band, sequences, 4D segments):
  removed = the band's values permuted across the test samples (``repeats`` permutations,
  mean accuracy); kept alone = every other band's values masked as missing, which the
  model imputes with its training mean. Raw-window models: removed = each window
  band-stop filtered, kept alone = band-pass filtered (the features' zero-phase
  Butterworth, ``scipy.signal.sosfiltfilt``).
- **Channels**: permutation importance, the accuracy lost when one channel's values (all
  bands; a raw model: its trace) are permuted across the test samples (mean over
  ``repeats``).
- **Best k channels** (k = 4, 6, 9, 12, SEED's montages): test accuracy with only the k
  highest-ranked channels, the others masked as missing, next to all channels. The ranking
  never reads a test label: it is the same permutation importance (rise in cross-entropy)
  measured on the fold's validation samples, or on its training samples when it has none
  (``ranked_on`` says which).

Why permutation and masking rather than retraining per band or montage (as the paper did):
it needs no training, so it costs a few forward passes per fold. A permuted value is
another real window's value, so the model sees inputs of the data's distribution.
Every permutation draws from its own generator seeded with (``seed``, stage, item,
repeat): the same seed gives the same numbers, also after a resumed training.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Callable

import numpy as np
from scipy import signal

from seedflow.recognition.representations import RawWindows, Samples, arranged

log = logging.getLogger(__name__)

BEST_K = (4, 6, 9, 12)
# Ranking samples (validation, else training) read at most: each costs one forward pass per
# channel and repeat (62 x 180 = 11,160 per repeat); evenly spaced, so every trial contributes.
RANK_SAMPLES = 180
CHUNK_BYTES = 256 * 2**20  # perturbed copies predicted per call
BAND_FILTER_ORDER = 4      # as the feature stage's band-pass filters


def entry_map(kind: str, ch_names: list[str], n_bands: int, sample_shape: tuple,
              order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """(channel index, band index) of every entry of one sample; -1 where an entry holds
    no channel (empty grid cells). Raw windows: electrode e is channel ``order[e]``, and
    there is no band axis (None)."""
    if kind == "raw":
        return np.broadcast_to(np.asarray(order)[:, None, None], sample_shape), None
    n_ch = len(ch_names)
    chan = np.repeat(np.arange(n_ch)[:, None], n_bands, axis=1)
    band = np.repeat(np.arange(n_bands)[None, :], n_ch, axis=0)
    if kind == "grid4d":  # DE then log PSD of every band (representations._channel_values)
        chan, band = np.concatenate([chan, chan], 1), np.concatenate([band, band], 1)
    # laid out as the representation lays out a window's values; +1: empty grid cells -> -1
    chan, band = (arranged(a[None] + 1, kind, ch_names)[0] - 1 for a in (chan, band))
    return (np.broadcast_to(chan, sample_shape), np.broadcast_to(band, sample_shape))


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng([seed, *key])


def _permuted(x: np.ndarray, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``x`` with the entries ``where`` (a mask over one sample) taken from another sample
    (one permutation of the samples for all of them)."""
    return np.where(where, x[rng.permutation(len(x))], x)


def _masked(x: np.ndarray, where: np.ndarray) -> np.ndarray:
    """``x`` with the entries ``where`` missing (NaN): the model imputes its training mean."""
    return np.where(where, np.float32(np.nan), x).astype(x.dtype)


def _filtered(x: np.ndarray, sfreq: float, band: tuple[float, float], btype: str) -> np.ndarray:
    """Raw windows (n, electrodes, samples, 1) band-stop or band-pass filtered, zero phase;
    non-finite samples stay missing (filtered as 0)."""
    sos = signal.butter(BAND_FILTER_ORDER, band, btype=btype, fs=sfreq, output="sos")
    finite = np.isfinite(x)
    out = signal.sosfiltfilt(sos, np.where(finite, x, 0), axis=2)
    return np.where(finite, out, np.nan).astype(x.dtype)


class _Scorer:
    """Predicts many perturbed copies of one sample set, a few at a time."""

    def __init__(self, predict: Callable[[np.ndarray], np.ndarray], labels: np.ndarray):
        self.predict, self.labels = predict, labels

    def __call__(self, copies) -> list[tuple[float, float]]:
        """(accuracy, mean cross-entropy) of each copy (an iterable of arrays)."""
        scores, batch, size = [], [], 0
        for copy in copies:
            batch.append(copy)
            size += copy.nbytes
            if size >= CHUNK_BYTES:
                scores += self._score(batch)
                batch, size = [], 0
        return scores + (self._score(batch) if batch else [])

    def _score(self, batch: list[np.ndarray]) -> list[tuple[float, float]]:
        p = np.asarray(self.predict(np.concatenate(batch)))
        n, y = len(self.labels), self.labels
        out = []
        for i in range(len(batch)):
            part = p[i * n:(i + 1) * n]
            true = np.clip(part[np.arange(n), y], 1e-7, 1)
            out.append((float((part.argmax(axis=1) == y).mean()), float(-np.log(true).mean())))
        return out


def _as_array(x) -> np.ndarray:
    return x[:] if isinstance(x, RawWindows) else np.asarray(x)


def _evenly(n: int, at_most: int) -> np.ndarray:
    return np.arange(n) if n <= at_most else np.linspace(0, n - 1, at_most).astype(int)


def fold_importance(predict: Callable[[np.ndarray], np.ndarray], test: Samples,
                    ranking: Samples, ranked_on: str, *, kind: str, ch_names: list[str],
                    bands: dict, repeats: int, seed: int) -> dict:
    """Bands, channels and best-k channels of one fold (see the module docstring).

    ``predict``: class probabilities of model inputs (an array); ``test``: the fold's test
    samples; ``ranking``: the samples that rank channels for the best-k montages (the
    validation samples, else the training samples: ``ranked_on``)."""
    started, cpu = time.perf_counter(), time.process_time()
    x, y = _as_array(test.x), np.asarray(test.label)
    rank_rows = _evenly(len(ranking), RANK_SAMPLES)
    xr, yr = _as_array(ranking.x[rank_rows]), np.asarray(ranking.label)[rank_rows]
    # raw windows: electrode e is channel order[e] (hemisphere order, RawWindows.order)
    order = test.x.order if isinstance(test.x, RawWindows) else np.arange(x.shape[1])
    chan_of, band_of = entry_map(kind, ch_names, len(bands), x.shape[1:], order)
    channels = [c for c in range(len(ch_names)) if (chan_of == c).any()]
    score, score_rank = _Scorer(predict, y), _Scorer(predict, yr)
    (base_accuracy, _), = score([x])

    band_names = list(bands)
    if kind == "raw":
        sfreq = float(test.options["sfreq"])
        removed = score(_filtered(x, sfreq, bands[b], "bandstop") for b in band_names)
        only = score(_filtered(x, sfreq, bands[b], "bandpass") for b in band_names)
        removed = [a for a, _ in removed]
    else:
        removed = score(_permuted(x, band_of == i, _rng(seed, 0, i, r))
                        for i in range(len(band_names)) for r in range(repeats))
        removed = [float(np.mean([a for a, _ in removed[i * repeats:(i + 1) * repeats]]))
                   for i in range(len(band_names))]
        only = score(_masked(x, (band_of != i) & (band_of >= 0))
                     for i in range(len(band_names)))

    def channel_scores(scorer, data, stage) -> np.ndarray:
        """(channels, 2): mean accuracy and cross-entropy with each channel permuted."""
        flat = scorer(_permuted(data, chan_of == c, _rng(seed, stage, c, r))
                      for c in channels for r in range(repeats))
        return np.array(flat).reshape(len(channels), repeats, 2).mean(axis=1)

    test_channels = channel_scores(score, x, 1)
    (_, rank_base), = score_rank([xr])
    rise = channel_scores(score_rank, xr, 2)[:, 1] - rank_base
    ranked = [channels[i] for i in np.argsort(-rise, kind="stable")]
    best_k = {}
    ks = [k for k in BEST_K if k < len(channels)]
    for k, (accuracy, _) in zip(ks, score(_masked(x, ~np.isin(chan_of, ranked[:k])
                                                  & (chan_of >= 0)) for k in ks)):
        best_k[str(k)] = {"accuracy": accuracy, "channels": [ch_names[c] for c in ranked[:k]]}
    result = {
        "accuracy": base_accuracy, "n_test_samples": int(len(x)), "repeats": repeats,
        "seed": seed,
        "band_removal": "band-stop filtered" if kind == "raw" else "permuted",
        "bands": {b: {"removed": float(removed[i]), "only": float(only[i][0])}
                  for i, b in enumerate(band_names)},
        "channels": {ch_names[c]: float(base_accuracy - test_channels[i, 0])
                     for i, c in enumerate(channels)},
        "channels_not_in_input": [ch_names[c] for c in range(len(ch_names))
                                  if c not in channels],
        "best_k": best_k, "ranked_on": ranked_on, "n_ranking_samples": int(len(xr)),
    }
    log.info("importance: %.1f s wall, %.1f s CPU (%d test, %d ranking samples, %d "
             "permutations per item)", time.perf_counter() - started,
             time.process_time() - cpu, len(x), len(xr), repeats)
    return result


def summary(folds: list[dict]) -> dict | None:
    """A model × protocol's importance over its folds (their ``importance``): per band the
    mean and std of the accuracies, per channel the mean accuracy drop, per k the mean and
    std accuracy and how many folds chose each channel (most often first, then by mean
    rank); None without any."""
    items = [f["importance"] for f in folds if f.get("importance")]
    if not items:
        return None

    def stats(values):
        return {"mean": float(np.mean(values)), "std": float(np.std(values))}

    best_k = {}
    for k in items[0]["best_k"]:
        counts: dict[str, int] = {}
        ranks: dict[str, int] = {}  # summed rank: ties in count go by rank
        for item in items:
            for rank, ch in enumerate(item["best_k"].get(k, {}).get("channels", [])):
                counts[ch] = counts.get(ch, 0) + 1
                ranks[ch] = ranks.get(ch, 0) + rank
        order = sorted(counts, key=lambda ch: (-counts[ch], ranks[ch] / counts[ch], ch))
        best_k[k] = {**stats([i["best_k"][k]["accuracy"] for i in items if k in i["best_k"]]),
                     "chosen": {ch: counts[ch] for ch in order}}
    channels = list(dict.fromkeys(ch for i in items for ch in i["channels"]))
    return {
        "n_folds": len(items), "accuracy": stats([i["accuracy"] for i in items]),
        "band_removal": items[0]["band_removal"],
        "ranked_on": sorted({i["ranked_on"] for i in items}),
        "bands": {b: {what: stats([i["bands"][b][what] for i in items])
                      for what in ("removed", "only")} for b in items[0]["bands"]},
        "channels": {ch: float(np.mean([i["channels"][ch] for i in items
                                        if ch in i["channels"]])) for ch in channels},
        "channels_not_in_input": sorted({ch for i in items
                                         for ch in i["channels_not_in_input"]}),
        "best_k": best_k,
    }


def with_input(part: Samples, x: np.ndarray) -> Samples:
    """``part`` holding the model inputs ``x`` (labels 0: predicting reads only x)."""
    return dataclasses.replace(part, x=x, label=np.zeros(len(x), dtype=np.int64))
