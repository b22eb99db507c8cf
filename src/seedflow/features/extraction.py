"""Band features per window, computed out of core with Dask over an ingested Zarr store.

For each trial separately (after optional preprocessing, see
:mod:`seedflow.features.preprocessing`),
windows of ``window_seconds`` start every ``window_seconds - overlap_seconds``; they never
straddle two trials, and samples after a trial's last whole window form no window.
- ``de`` (``de_method: filter``, default): differential entropy of the zero-phase
  band-passed signal, natural log, ``0.5 * ln(2 pi e var)``; the band-pass is a Butterworth
  filter in second-order sections run forward and backward (``sosfiltfilt``).
  ``de_method: stft`` is SEED's official DE instead: per window, the mean squared FFT
  magnitude ``E`` of the Hann-windowed samples over the band's FFT bins, and
  ``DE = log2(100 E)`` (base 2, as SEED's released code; the store says so).
- ``psd``: mean one-sided power spectral density in the band (V^2/Hz): periodogram of the
  Hann-windowed, mean-removed window.
Optional smoothing along time within each trial: :mod:`seedflow.features.smoothing`.

How the zero-phase filtering runs out of core (``filter_method``):
- ``fft`` (default, fast): each block of whole windows is read with ``depth`` extra samples
  of its trial on each side (the filter's impulse-response length, where it has decayed
  below 1e-8); one real FFT of the block serves every band: forward-backward filtering
  multiplies the spectrum by ``|H(f)|^2``. Samples at least ``depth`` from the block's ends
  equal ``sosfiltfilt`` on the whole trial; within ``depth`` of a trial's first or last
  sample, where ``sosfiltfilt``'s own edge padding shapes the result, those samples come
  from ``sosfiltfilt`` itself on the trial's first or last ``2 * depth`` samples. Float32
  transforms, float64 statistics; equal to the reference within ~1e-6 relative.
- ``sosfiltfilt`` (exact reference path, slower): ``sosfiltfilt`` in float64 on each block
  with the same neighbouring samples.

Non-finite samples (NaN, inf) are counted per window and channel (``nonfinite_samples``) and
spoil only the values that depend on them: the PSD (and SEED's STFT DE) of the windows
that hold them, and the filtered DE of a band in the windows of their channel within that
band filter's reach (``depth`` samples on either side; the filter runs with them set to 0,
so beyond its reach the values equal those of any other replacement to 1e-8). Other
channels and windows, and every value of clean data, are unchanged.
"""

from __future__ import annotations

import logging
import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import dask.array as da
import numpy as np
import scipy.fft
import scipy.signal
import zarr

from seedflow.atomic import atomic_directory
from seedflow.errors import SeedflowError
from seedflow.features import preprocessing, smoothing
from seedflow.features.preprocessing import impulse_response_length, within_reach
from seedflow.features.scheduling import Scheduling, dask_scheduler
from seedflow.features.spec import FeatureSpec
from seedflow.stores import COMPRESSOR, features as feature_store
from seedflow.stores.ingest import IngestStore

log = logging.getLogger(__name__)

CHANNELS_PER_PASS = 8
BLOCKS_PER_WORKER = 3
GAIN_CACHE_SIZE = 4  # block lengths differ only at trial ends
BYTES_PER_BLOCK_SAMPLE = 48  # generous: the block, its copies from Zarr, per-pass temporaries


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


def n_windows(length: int, win: int, hop: int) -> int:
    return 0 if length < win else (length - win) // hop + 1


class BandKernel:
    """Per-window DE and PSD of one block; the block knows where it sits in its trial."""

    def __init__(self, spec: FeatureSpec, sfreq: float):
        self.spec, self.sfreq = spec, sfreq
        self.win, self.hop = spec.window(sfreq)
        self.n_bands = len(spec.bands)
        freqs = np.fft.rfftfreq(self.win, 1 / sfreq)
        self.psd_taper = scipy.signal.get_window("hann", self.win)
        self.psd_scale = 2 / (sfreq * np.sum(self.psd_taper ** 2))
        masks = [(freqs >= lo) & (freqs < hi) for lo, hi in spec.bands.values()]
        self.psd_bins = slice(int(np.argmax(np.any(masks, axis=0))),
                              int(len(freqs) - np.argmax(np.any(masks, axis=0)[::-1])))
        self.psd_slices = [(int(np.argmax(m)) - self.psd_bins.start,
                            int(np.argmax(m)) + int(m.sum()) - self.psd_bins.start)
                           for m in masks]
        if spec.de_method == "filter":
            self.filters = band_filters(spec.bands, sfreq, spec.filter_order)
            self.depths = [impulse_response_length(sos) for sos in self.filters]
        else:
            band_filters(spec.bands, sfreq, spec.filter_order)  # checks the bands
            self.filters, self.depths = [], [0]
            self._stft_setup()
        self._gains: OrderedDict[int, list[np.ndarray]] = OrderedDict()

    @property
    def depth(self) -> int:
        return max(self.depths)

    def _stft_setup(self):
        # SEED's DE_PSD: MATLAB hanning(L) window, FFT of stftn points, bins
        # int(f_lo / fs * n) - 1 ... int(f_hi / fs * n) - 1 (0-based), both included.
        n = self.spec.stft_n or 2 * 2 ** math.ceil(math.log2(self.win))
        if n < self.win:
            raise SeedflowError(f"features.stft_n ({n}) must be at least the window length "
                                f"({self.win} samples)")
        self.stft_n = n
        self.stft_window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(1, self.win + 1)
                                              / (self.win + 1))
        self.stft_bins = [(int(lo / self.sfreq * n) - 1, int(hi / self.sfreq * n))
                          for lo, hi in self.spec.bands.values()]

    def _zero_phase_gains(self, nfft: int) -> list[np.ndarray]:
        """|H(f)|^2 of every band at the rfft bins of ``nfft`` (a few lengths kept)."""
        gains = self._gains.get(nfft)
        if gains is None:
            freqs = scipy.fft.rfftfreq(nfft, 1 / self.sfreq)
            gains = [(np.abs(scipy.signal.sosfreqz(sos, worN=freqs, fs=self.sfreq)[1]) ** 2)
                     .astype(np.float32) for sos in self.filters]
            self._gains[nfft] = gains
            while len(self._gains) > GAIN_CACHE_SIZE:
                self._gains.popitem(last=False)
        return gains

    def _band_signals(self, block: np.ndarray, at_start: bool, at_end: bool):
        """Yield each band's zero-phase filtered block (float32 or float64)."""
        n = block.shape[1]
        if self.spec.filter_method == "sosfiltfilt":
            x64 = block.astype(np.float64)
            for sos in self.filters:
                yield scipy.signal.sosfiltfilt(sos, x64, axis=1)
            return
        # One forward FFT shared by all bands; SciPy's FFT convolvers would redo it per band.
        nfft = scipy.fft.next_fast_len(n, real=True)
        spectrum = scipy.fft.rfft(block.astype(np.float32), n=nfft, axis=1)
        for sos, depth, gain in zip(self.filters, self.depths, self._zero_phase_gains(nfft)):
            y = scipy.fft.irfft(spectrum * gain, n=nfft, axis=1)[:, :n]
            edge = min(n, 2 * depth)
            if at_start and at_end and n <= 4 * depth:
                y = scipy.signal.sosfiltfilt(sos, block.astype(np.float64), axis=1)
            else:
                if at_start:
                    y[:, :depth] = scipy.signal.sosfiltfilt(
                        sos, block[:, :edge].astype(np.float64), axis=1)[:, :depth]
                if at_end:
                    y[:, n - depth:] = scipy.signal.sosfiltfilt(
                        sos, block[:, n - edge:].astype(np.float64), axis=1)[:, edge - depth:]
            yield y

    def __call__(self, block: np.ndarray, starts: np.ndarray, at_start: bool,
                 at_end: bool) -> np.ndarray:
        """(windows, channels, 2 * bands + 1) float32: DE, PSD, non-finite input samples."""
        # A few channels at a time: temporaries stay small (cache-resident, and reused by
        # the allocator instead of being mapped and zeroed afresh by the kernel each time).
        step = max(1, CHANNELS_PER_PASS)
        return np.concatenate([self._channels(block[c:c + step], starts, at_start, at_end)
                               for c in range(0, block.shape[0], step)]
                              ).transpose(1, 0, 2).astype(np.float32)

    def _channels(self, block, starts, at_start, at_end):
        nb, n_ch = self.n_bands, block.shape[0]
        out = np.empty((n_ch, len(starts), 2 * nb + 1))
        raw = np.lib.stride_tricks.sliding_window_view(block, self.win, axis=1)[:, starts]
        out[:, :, 2 * nb] = (~np.isfinite(raw)).sum(axis=2)
        if self.spec.de_method == "filter":
            bad = ~np.isfinite(block)
            damaged = bad.any(axis=1)
            filtered = np.where(bad, 0, block) if damaged.any() else block
            for b, y in enumerate(self._band_signals(filtered, at_start, at_end)):
                windows = np.lib.stride_tricks.sliding_window_view(y, self.win, axis=1)
                var = windows[:, starts].var(axis=2, dtype=np.float64)
                with np.errstate(divide="ignore"):  # a flat channel: -inf
                    out[:, :, b] = 0.5 * np.log(2 * np.pi * np.e * var)
            if damaged.any():
                self._spoil(out, bad, damaged, starts)
        else:
            spectrum = np.fft.rfft(raw * self.stft_window, n=self.stft_n, axis=2)
            power = np.abs(spectrum) ** 2
            for b, (lo, hi) in enumerate(self.stft_bins):
                out[:, :, b] = np.log2(100 * power[:, :, lo:hi].mean(axis=2))
        # scipy.signal.periodogram(window="hann") by hand: its generic STFT path took a
        # third of the block's time. Band bins exclude 0 Hz and Nyquist (doubled).
        windows = raw - raw.mean(axis=2, keepdims=True, dtype=np.float64)
        spectrum = np.fft.rfft(windows * self.psd_taper, axis=2)[:, :, self.psd_bins]
        power = (spectrum.real ** 2 + spectrum.imag ** 2) * self.psd_scale
        for b, (lo, hi) in enumerate(self.psd_slices):
            out[:, :, nb + b] = power[:, :, lo:hi].mean(axis=2)
        return out

    def _spoil(self, out, bad, damaged, starts):
        """NaN DE where a band's filter reaches a non-finite sample of the window's channel."""
        for b, depth in enumerate(self.depths):
            near = within_reach(bad[damaged], depth)
            reached = np.lib.stride_tricks.sliding_window_view(near, self.win, axis=1)[
                :, starts].any(axis=2)
            rows = out[damaged, :, b]
            rows[reached] = np.nan
            out[damaged, :, b] = rows


def _block_plan(n_win: int, hop: int, win: int, depth: int, per_chunk: int) -> list[range]:
    """Consecutive windows grouped into blocks whose span covers at least ``depth``."""
    per_chunk = max(per_chunk, math.ceil(depth / hop))
    groups = [range(k, min(k + per_chunk, n_win)) for k in range(0, n_win, per_chunk)]
    if len(groups) > 1 and (len(groups[-1]) - 1) * hop + win < depth:
        last = groups.pop()
        groups[-1] = range(groups[-1].start, last.stop)
    return groups


def trial_features(x: da.Array, sfreq: float, spec: FeatureSpec, *,
                   max_block_samples: int | None = None,
                   kernel: BandKernel | None = None) -> da.Array:
    """Lazy (windows, channels, 2 * bands + 1) float32 features of one trial (channels, time).

    The last column counts the non-finite input samples of each window and channel.
    """
    kernel = kernel or BandKernel(spec, sfreq)
    win, hop, depth = kernel.win, kernel.hop, kernel.depth
    length = x.shape[1]
    count = n_windows(length, win, hop)
    width = 2 * kernel.n_bands + 1
    if count == 0:
        return da.zeros((0, x.shape[0], width), dtype=np.float32)
    per_chunk = spec.windows_per_chunk
    if max_block_samples is not None:
        per_chunk = max(1, min(per_chunk, (max_block_samples - 2 * depth - win) // hop + 1))
    blocks = []
    for group in _block_plan(count, hop, win, depth, per_chunk):
        core_lo, core_hi = group.start * hop, (group.stop - 1) * hop + win
        lo, hi = max(0, core_lo - depth), min(length, core_hi + depth)
        starts = np.arange(group.start, group.stop) * hop - lo
        piece = x[:, lo:hi].rechunk({0: -1, 1: -1})
        blocks.append(piece.map_blocks(
            kernel, starts, lo == 0, hi == length, dtype=np.float32, new_axis=2,
            chunks=((len(group),), (x.shape[0],), (width,))))
    return da.concatenate(blocks, axis=0)


def _memory_budget(n_channels: int, workers: int, memory_mb: float | None,
                   depth: int, win: int) -> int | None:
    """Largest block (samples) that lets ``workers`` blocks fit in ``memory_mb``."""
    if memory_mb is None:
        return None
    samples = int(memory_mb * 2**20 / (workers * n_channels * BYTES_PER_BLOCK_SAMPLE))
    if samples < 3 * depth + win:
        raise SeedflowError(
            f"features: {memory_mb:.0f} MB for {workers} workers cannot hold one block of "
            f"{n_channels} channels x {3 * depth + win} samples (the filter's reach); "
            "raise the rule's mem_mb or lower its threads")
    return samples


@dataclass
class SessionPlan:
    """The lazy features of a session and, per window, its bookkeeping."""

    values: da.Array  # (windows, channels, 2 * bands + 1): DE, PSD, non-finite samples
    trial_index: np.ndarray
    trial_id: np.ndarray
    label: np.ndarray
    window_start: np.ndarray  # samples of the ingest store
    sfreq: float  # the rate the features were computed at
    n_bands: int

    def book(self) -> dict[str, np.ndarray]:
        return {"trial_index": self.trial_index, "trial_id": self.trial_id,
                "label": self.label, "window_start": self.window_start}

    def split(self, values: np.ndarray) -> dict[str, np.ndarray]:
        """A block of computed rows as the store's ``de``, ``psd`` and ``nonfinite_samples``."""
        nb = self.n_bands
        return {"de": values[..., :nb], "psd": values[..., nb:2 * nb],
                "nonfinite_samples": values[..., 2 * nb].astype(np.int32)}


def plan_session(store: IngestStore, spec: FeatureSpec, num_workers: int = 1,
                 memory_mb: float | None = None) -> SessionPlan:
    """The feature graph of every trial of an ingested session (nothing computed yet)."""
    eeg = da.from_zarr(store.eeg)
    parts, rows, sfreq, kernels = [], [], store.sfreq, {}
    for index, (start, stop) in enumerate(zip(store.trial_start, store.trial_stop)):
        chunk = spec.windows_per_chunk * int(round(spec.window_seconds * store.sfreq))
        x, sfreq = preprocessing.preprocess_trial(eeg[:, start:stop], store.sfreq,
                                                  store.ch_names, spec.preprocessing,
                                                  chunk=chunk,
                                                  bad_channels=store.trial_bad_channels[index])
        if sfreq not in kernels:  # one per rate: its cache of filter gains is shared
            kernels[sfreq] = BandKernel(spec, sfreq)
        kernel = kernels[sfreq]
        budget = _memory_budget(x.shape[0], num_workers, memory_mb, kernel.depth,
                                kernel.win)
        parts.append(trial_features(x, sfreq, spec, max_block_samples=budget,
                                    kernel=kernel))
        n = n_windows(x.shape[1], kernel.win, kernel.hop)
        if n == 0:  # planning checks this from the headers; a store made otherwise lands here
            source = store.attrs.get("source_file", "the session")
            raise SeedflowError(f"config key features.window_seconds: trial "
                                f"{store.trial_ids[index]} of {source} lasts "
                                f"{(stop - start) / store.sfreq:g} s, shorter than one "
                                f"window ({spec.window_seconds:g} s)")
        offsets = np.round(np.arange(n) * kernel.hop * store.sfreq / sfreq).astype(np.int64)
        rows.append(np.column_stack([np.full(n, index), np.full(n, store.trial_ids[index]),
                                     np.full(n, store.labels[index]), start + offsets]))
    book = np.concatenate(rows).astype(np.int64)
    return SessionPlan(da.concatenate(parts, axis=0), *book.T, sfreq=sfreq,
                       n_bands=len(spec.bands))


def computed_batches(values: da.Array, scheduling: Scheduling):
    """Yield ``(rows, array)``: the computed rows of ``values``, a few blocks at a time.

    Local schedulers get a few blocks per worker per graph, so memory holds the blocks in
    flight whatever the recording's length; a cluster gets the whole graph at once.
    """
    local = scheduling.scheduler in ("threads", "synchronous")
    step = max(1, BLOCKS_PER_WORKER * max(1, scheduling.workers) if local
               else values.numblocks[0])
    bounds = np.cumsum((0, *values.chunks[0]))
    with dask_scheduler(scheduling.scheduler, scheduling.workers, scheduling.slurm,
                        scheduling.worker_logs):
        for first in range(0, values.numblocks[0], step):
            last = min(first + step, values.numblocks[0])
            yield (slice(int(bounds[first]), int(bounds[last])),
                   values.blocks[first:last].compute())


def compute_session(store: IngestStore, spec: FeatureSpec,
                    scheduling: Scheduling = Scheduling.local()) -> dict[str, np.ndarray]:
    """DE, PSD and per-window bookkeeping of an ingested session, in memory."""
    scheduling = scheduling.sized()
    plan = plan_session(store, spec, scheduling.workers, scheduling.memory_mb)
    values = np.empty(plan.values.shape, dtype=plan.values.dtype)
    for rows, batch in computed_batches(plan.values, scheduling):
        values[rows] = batch
    result = {**plan.split(values), **plan.book()}
    if spec.smoothing != "none":
        for name in ("de", "psd"):
            result[f"{name}_unsmoothed"] = result[name]
            result[name] = smoothing.smooth_trials(result[name], result["trial_index"],
                                                   spec.smoothing, spec.smoothing_windows)
    return result


class _NanTally:
    """Windows touched by non-finite samples or with non-finite features, batch by batch."""

    def __init__(self, n_channels: int):
        self.input_windows: list[np.ndarray] = []
        self.channels = np.zeros(n_channels, bool)
        self.nan_windows = self.nan_cells = 0

    def update(self, rows: slice, split: dict[str, np.ndarray]) -> None:
        bad_input = split["nonfinite_samples"] > 0
        self.input_windows.append(rows.start + np.flatnonzero(bad_input.any(axis=1)))
        self.channels |= bad_input.any(axis=0)
        spoiled = ~(np.isfinite(split["de"]) & np.isfinite(split["psd"])).all(axis=2)
        self.nan_windows += int(spoiled.any(axis=1).sum())
        self.nan_cells += int(spoiled.sum())

    def report(self, plan: SessionPlan, store: IngestStore, path: Path) -> dict:
        """Log what was found; the counts for the store's attributes."""
        input_windows = np.concatenate(self.input_windows or [np.zeros(0, int)])
        if len(input_windows):
            trials = sorted({int(plan.trial_id[w]) for w in input_windows})
            channels = [store.ch_names[c] for c in np.flatnonzero(self.channels)]
            log.warning("%s: non-finite samples (NaN/inf) in %d windows of trials %s, "
                        "channels %s; they spoil their channel's DE within the band "
                        "filters' reach", path, len(input_windows), trials, channels)
        if self.nan_windows:
            log.warning("%s: %d windows (%d window x channel cells) have non-finite "
                        "features", path, self.nan_windows, self.nan_cells)
        return {"nan_windows": self.nan_windows, "nan_cells": self.nan_cells,
                "nonfinite_input_windows": int(len(input_windows))}


def _smooth_in_store(group: zarr.Group, plan: SessionPlan, spec: FeatureSpec) -> None:
    """``de``/``psd`` smoothed trial by trial from the stored ``*_unsmoothed`` arrays."""
    bounds = np.flatnonzero(np.diff(plan.trial_index, prepend=-1, append=-1))
    for name in ("de", "psd"):
        raw, smoothed = group[f"{name}_unsmoothed"], group[name]
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            smoothed[lo:hi] = smoothing.smooth_trials(raw[lo:hi], plan.trial_index[lo:hi],
                                                      spec.smoothing, spec.smoothing_windows)


def extract(*, ingest: Path, out: Path, spec: FeatureSpec,
            scheduling: Scheduling = Scheduling.local()) -> None:
    """Feature stage for one subject × session: ingest store -> feature store (atomic).

    Computed rows go into the store batch by batch, so memory stays flat as recordings grow.
    """
    store = IngestStore.open(ingest)
    log.info("%s: %d trials, %d channels, %.0f Hz, %d samples", ingest,
             len(store.trial_ids), len(store.ch_names), store.sfreq, store.eeg.shape[1])
    scheduling = scheduling.sized()
    plan = plan_session(store, spec, scheduling.workers, scheduling.memory_mb)
    n_win, n_ch = plan.values.shape[:2]
    tally = _NanTally(n_ch)
    with atomic_directory(out) as tmp:
        group = zarr.open_group(tmp, mode="w")
        raw_name = {"de": "de", "psd": "psd", "nonfinite_samples": "nonfinite_samples"}
        if spec.smoothing != "none":
            raw_name.update(de="de_unsmoothed", psd="psd_unsmoothed")
        arrays, rows_per_chunk = {}, max(1, min(n_win, spec.windows_per_chunk))
        for name, dtype, per_window in (("de", "float32", (n_ch, plan.n_bands)),
                                        ("psd", "float32", (n_ch, plan.n_bands)),
                                        ("nonfinite_samples", "int32", (n_ch,))):
            for stored in {raw_name[name], name}:
                arrays[stored] = group.create_array(
                    stored, shape=(n_win, *per_window), dtype=dtype, compressors=COMPRESSOR,
                    chunks=(rows_per_chunk, *per_window))
        for rows, batch in computed_batches(plan.values, scheduling):
            split = plan.split(batch)
            for name, value in split.items():
                arrays[raw_name[name]][rows] = value
            tally.update(rows, split)
            log.info("%d/%d windows computed", rows.stop, n_win)
        if spec.smoothing != "none":
            _smooth_in_store(group, plan, spec)
        feature_store.write_windows(group, plan.book())
        feature_store.write_attrs(
            group, store, feature_store.FeatureLayout(
                bands=spec.bands, window_seconds=spec.window_seconds,
                overlap_seconds=spec.overlap_seconds, feature_sfreq=plan.sfreq,
                de_method=spec.de_method,
                de_log_base="2 (log2(100 E), SEED's STFT DE)" if spec.de_method == "stft"
                else "e", psd_units="V^2/Hz", filter_order=spec.filter_order,
                filter_method=spec.filter_method, smoothing=spec.smoothing,
                smoothing_windows=spec.smoothing_windows,
                preprocessing=spec.preprocessing.describe()),
            **tally.report(plan, store, ingest))
    log.info("%s: %d windows x %d channels x %d bands written", out, n_win, n_ch,
             plan.n_bands)
