"""Band features per window, computed out of core with Dask over an ingested Zarr store.

For each trial separately (windows never straddle two trials; the samples after the last
whole window of a trial are used for filtering but form no window):
- ``de``: differential entropy of the zero-phase band-passed signal, natural log,
  ``0.5 * ln(2 pi e var)``, with a Butterworth band-pass in second-order sections run
  forward and backward (``scipy.signal.sosfiltfilt``);
- ``psd``: mean one-sided power spectral density in the band (V^2/Hz): periodogram of
  the Hann-windowed, mean-removed window.
Each time chunk is filtered with enough neighbouring samples (the filter's impulse-response
length) that the result equals filtering the whole trial; at trial edges, sosfiltfilt's own
odd-extension padding applies, exactly as for a whole-trial reference.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import dask
import dask.array as da
import numpy as np
import scipy.signal
import zarr

from seedflow.io.zarr_store import COMPRESSOR, SessionStore, atomic_directory

log = logging.getLogger(__name__)

DEFAULT_BANDS = {"delta": [1, 4], "theta": [4, 8], "alpha": [8, 14], "beta": [14, 31],
                 "gamma": [31, 50]}


@dataclass(frozen=True)
class FeatureSpec:
    """What to compute: bands (Hz), window length (s), filter order, windows per chunk."""

    bands: dict
    window_seconds: float = 1.0
    filter_order: int = 4
    windows_per_chunk: int = 60

    @classmethod
    def from_config(cls, section: dict) -> "FeatureSpec":
        return cls(bands=dict(section.get("bands", DEFAULT_BANDS)),
                   window_seconds=section["window_seconds"],
                   filter_order=section.get("filter_order", 4),
                   windows_per_chunk=section.get("windows_per_chunk", 60))


def band_filters(bands: dict, sfreq: float, order: int) -> list[np.ndarray]:
    """Butterworth band-pass filters as second-order sections (stable at any rate)."""
    nyquist = sfreq / 2
    filters = []
    for name, (lo, hi) in bands.items():
        if not 0 < lo < hi < nyquist:
            raise ValueError(f"band {name} ({lo}-{hi} Hz) must lie within 0-{nyquist} Hz "
                             f"at {sfreq} Hz sampling")
        filters.append(scipy.signal.butter(order, [lo, hi], btype="bandpass", fs=sfreq,
                                           output="sos"))
    return filters


def impulse_response_length(sos: np.ndarray, tolerance: float = 1e-8) -> int:
    """Samples until the slowest pole decays below ``tolerance`` (scipy filtfilt's rule)."""
    _, poles, _ = scipy.signal.sos2zpk(sos)
    radius = np.max(np.abs(poles))
    return int(math.ceil(math.log(tolerance) / math.log(radius)))


def _window_features(block: np.ndarray, left: int, n_windows: int, win: int, sfreq: float,
                     filters, band_masks) -> np.ndarray:
    """(channels, windows, 2 * bands): DE then PSD of the whole windows after ``left``."""
    core = slice(left, left + n_windows * win)
    block = block.astype(np.float64)
    n_ch = block.shape[0]
    out = np.empty((n_ch, n_windows, 2 * len(filters)))
    for b, sos in enumerate(filters):
        filtered = scipy.signal.sosfiltfilt(sos, block, axis=1)[:, core]
        var = filtered.reshape(n_ch, n_windows, win).var(axis=2)
        out[:, :, b] = 0.5 * np.log(2 * np.pi * np.e * var)
    windows = block[:, core].reshape(n_ch, n_windows, win)
    _, power = scipy.signal.periodogram(windows, fs=sfreq, window="hann", axis=2)
    for b, mask in enumerate(band_masks):
        out[:, :, len(filters) + b] = power[:, :, mask].mean(axis=2)
    return out


def trial_features(x: da.Array, sfreq: float, spec: FeatureSpec) -> da.Array:
    """Lazy (channels, windows, 2 * bands) features of one trial given as (channels, time)."""
    win = int(round(spec.window_seconds * sfreq))
    n_windows = x.shape[1] // win
    filters = band_filters(spec.bands, sfreq, spec.filter_order)
    depth = max(impulse_response_length(sos) for sos in filters)
    freqs = np.fft.rfftfreq(win, 1 / sfreq)
    band_masks = [(freqs >= lo) & (freqs < hi) for lo, hi in spec.bands.values()]
    if n_windows == 0:
        return da.zeros((x.shape[0], 0, 2 * len(filters)))

    # Chunks of whole windows, each at least `depth` long; the last absorbs the remainder.
    per_chunk = max(spec.windows_per_chunk, math.ceil(depth / win))
    counts = [per_chunk] * (n_windows // per_chunk)
    if n_windows % per_chunk:
        counts.append(n_windows % per_chunk)
    if len(counts) > 1 and counts[-1] * win < depth:
        last = counts.pop()
        counts[-1] += last
    sizes = [c * win for c in counts]
    sizes[-1] += x.shape[1] - n_windows * win
    x = x.rechunk({0: -1, 1: tuple(sizes)})
    if len(counts) == 1:  # the whole trial in one block: nothing to borrow from neighbours
        depth = 0
    padded = da.overlap.overlap(x, depth={0: 0, 1: depth}, boundary="none") if depth else x

    def block_features(block, block_info=None):
        index = block_info[0]["chunk-location"][1]
        left = 0 if index == 0 else depth
        return _window_features(block, left, counts[index], win, sfreq, filters, band_masks)

    return padded.map_blocks(block_features, dtype=np.float64,
                             chunks=(x.chunks[0], tuple(counts), (2 * len(filters),)),
                             new_axis=2)


def compute_session(store: SessionStore, spec: FeatureSpec, scheduler: str = "threads",
                    num_workers: int = 1) -> dict[str, np.ndarray]:
    """DE, PSD and per-window bookkeeping for every trial of an ingested session."""
    eeg = da.from_zarr(store.eeg)
    win = int(round(spec.window_seconds * store.sfreq))
    parts, rows = [], []
    for index, (start, stop) in enumerate(zip(store.trial_start, store.trial_stop)):
        parts.append(trial_features(eeg[:, start:stop], store.sfreq, spec))
        n = (stop - start) // win
        rows.append(np.column_stack([np.full(n, index), np.full(n, store.trial_ids[index]),
                                     np.full(n, store.labels[index]),
                                     start + win * np.arange(n)]))
    with dask.config.set(scheduler=scheduler, num_workers=num_workers):
        values = np.concatenate(dask.compute(*parts), axis=1).transpose(1, 0, 2)
    book = np.concatenate(rows).astype(np.int64)
    n_bands = len(spec.bands)
    return {"de": values[..., :n_bands].astype(np.float32),
            "psd": values[..., n_bands:].astype(np.float32),
            "trial_index": book[:, 0], "trial_id": book[:, 1], "label": book[:, 2],
            "window_start": book[:, 3]}


def write_features(features: dict[str, np.ndarray], out: Path, attrs: dict) -> None:
    """Write a feature store atomically (arrays per window, metadata as attributes)."""
    with atomic_directory(out) as tmp:
        group = zarr.open_group(tmp, mode="w")
        for name, value in features.items():
            group.create_array(name, data=value, compressors=COMPRESSOR)
        group.attrs.update(attrs)


@dataclass
class FeatureStore:
    """A feature store read back into memory (small: windows × channels × bands)."""

    de: np.ndarray
    psd: np.ndarray
    trial_index: np.ndarray
    trial_id: np.ndarray
    label: np.ndarray
    window_start: np.ndarray
    attrs: dict

    @classmethod
    def open(cls, path: Path) -> "FeatureStore":
        group = zarr.open_group(path, mode="r")
        arrays = {name: group[name][:] for name in
                  ("de", "psd", "trial_index", "trial_id", "label", "window_start")}
        return cls(**arrays, attrs=dict(group.attrs))


def extract(store_path: Path, out: Path, spec: FeatureSpec, *, scheduler: str = "threads",
            num_workers: int = 1) -> None:
    """Feature stage for one subject × session: ingest store -> feature store."""
    store = SessionStore.open(store_path)
    log.info("%s: %d trials, %d channels, %.0f Hz, %d samples", store_path,
             len(store.trial_ids), len(store.ch_names), store.sfreq, store.eeg.shape[1])
    features = compute_session(store, spec, scheduler, num_workers)
    nan_windows = int((~np.isfinite(features["de"])).any(axis=(1, 2)).sum())
    if nan_windows:
        log.warning("%s: %d windows have non-finite features (NaN in the recording)",
                    store_path, nan_windows)
    attrs = {key: store.attrs[key] for key in
             ("sfreq", "ch_names", "class_names", "subject", "session", "bad_channels")}
    attrs.update(bands=spec.bands, window_seconds=spec.window_seconds, de_log_base="e",
                 psd_units="V^2/Hz", filter_order=spec.filter_order, nan_windows=nan_windows)
    write_features(features, out, attrs)
    log.info("%s: %d windows x %d channels x %d bands written", out,
             *features["de"].shape)
