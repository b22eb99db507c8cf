"""Optional preprocessing of one trial as a lazy Dask graph over the ingest store.

In this order, each step off unless configured: re-reference (``average`` of the good
channels, or the mean of given channels, subtracted from every channel), notch (IIR notch
at the line frequency and its harmonics below Nyquist, Q = 30), band-pass (Butterworth in
second-order sections) and polyphase resampling (``scipy.signal.resample_poly``). Filters
run forward and backward (zero phase) on each trial separately, so no trial borrows samples
from its neighbours; each time chunk is processed with as many neighbouring samples of its
trial as the filter needs, so the result equals processing the whole trial in memory
(trial edges included: ``sosfiltfilt``'s odd-extension padding and ``resample_poly``'s
zero padding apply at the trial's own first and last samples).

Non-finite samples (NaN, inf) spoil only what depends on them: the IIR filters run on the
channel with them set to 0 and the result is NaN within the filter's reach of them
(:func:`within_reach`); polyphase resampling (an FIR) keeps them local by itself; the
average reference leaves out the trial's bad channels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import dask.array as da
import numpy as np
import scipy.signal

from seedflow.errors import SeedflowError

NOTCH_Q = 30.0


@dataclass(frozen=True)
class Preprocessing:
    """What to apply before features; ``None`` switches a step off."""

    reference: str | list | None
    notch: float | None
    bandpass: list | None
    bandpass_order: int
    resample: float | None

    @classmethod
    def from_config(cls, config: dict) -> "Preprocessing":
        section = config["features"]["preprocessing"]
        return cls(reference=section["reference"], notch=section["notch"],
                   bandpass=section["bandpass"], bandpass_order=section["bandpass_order"],
                   resample=section["resample"])

    def describe(self) -> dict:
        return {"reference": self.reference, "notch": self.notch, "bandpass": self.bandpass,
                "bandpass_order": self.bandpass_order, "resample": self.resample}


def impulse_response_length(sos: np.ndarray, tolerance: float = 1e-8) -> int:
    """Samples until the slowest pole decays below ``tolerance`` (scipy filtfilt's rule)."""
    _, poles, _ = scipy.signal.sos2zpk(sos)
    radius = np.max(np.abs(poles))
    return int(math.ceil(math.log(tolerance) / math.log(radius)))


def within_reach(bad: np.ndarray, reach: int) -> np.ndarray:
    """Samples (along axis 1) at most ``reach`` samples from a True of ``bad``."""
    n = bad.shape[1]
    counts = np.concatenate([np.zeros((len(bad), 1), np.int64), np.cumsum(bad, axis=1)], axis=1)
    index = np.arange(n)
    return (counts[:, np.minimum(index + reach + 1, n)]
            - counts[:, np.maximum(index - reach, 0)]) > 0


def notch_filter(line: float, sfreq: float) -> np.ndarray:
    """Cascade of IIR notches at ``line`` Hz and its harmonics below Nyquist (SOS)."""
    freqs = np.arange(line, sfreq / 2, line)
    if len(freqs) == 0:
        raise SeedflowError(f"features.preprocessing.notch: {line} Hz is above the Nyquist "
                            f"frequency of {sfreq} Hz data")
    return np.vstack([scipy.signal.tf2sos(*scipy.signal.iirnotch(f, NOTCH_Q, fs=sfreq))
                      for f in freqs])


def bandpass_filter(band, sfreq: float, order: int) -> np.ndarray:
    lo, hi = band
    if not 0 < lo < hi < sfreq / 2:
        raise SeedflowError(f"features.preprocessing.bandpass: [{lo}, {hi}] Hz must lie "
                            f"within 0-{sfreq / 2} Hz")
    return scipy.signal.butter(order, [lo, hi], btype="bandpass", fs=sfreq, output="sos")


def rereference(x: da.Array, ch_names, reference, bad_channels=()) -> da.Array:
    """Subtract the mean of the reference channels (``average``: all good channels, or all
    channels where every one is bad)."""
    if reference == "average":
        idx = [k for k, ch in enumerate(ch_names) if ch not in set(bad_channels)] \
            or list(range(len(ch_names)))
    else:
        missing = sorted(set(reference) - set(ch_names))
        if missing:
            raise SeedflowError(f"features.preprocessing.reference: channels {missing} "
                                "are not in the recording")
        idx = [ch_names.index(ch) for ch in reference]
    x = x.rechunk({0: -1})
    return x.map_blocks(lambda b: b - b[idx].mean(axis=0, keepdims=True), dtype=x.dtype)


def _even_chunks(length: int, minimum: int, multiple: int = 1) -> tuple[int, ...]:
    """Chunk sizes (multiples of ``multiple`` but the last) of at least ``minimum``."""
    size = max(minimum, 1)
    size = int(math.ceil(size / multiple) * multiple)
    n = max(1, length // size)
    sizes = [size] * n
    sizes[-1] += length - size * n
    return tuple(sizes)


def filtfilt(x: da.Array, sos: np.ndarray, chunk: int) -> da.Array:
    """Zero-phase ``sosfiltfilt`` of one trial (channels, time), chunk by chunk, exact;
    NaN within the filter's reach of a non-finite sample."""
    reach = depth = impulse_response_length(sos)
    chunks = _even_chunks(x.shape[1], max(chunk, depth))
    x = x.rechunk({0: -1, 1: chunks})
    if len(chunks) == 1:
        depth = 0

    def block(b):
        bad = ~np.isfinite(b)
        if not bad.any():
            return scipy.signal.sosfiltfilt(sos, b.astype(np.float64), axis=1).astype(np.float32)
        y = scipy.signal.sosfiltfilt(sos, np.where(bad, 0, b).astype(np.float64), axis=1)
        y[within_reach(bad, reach)] = np.nan
        return y.astype(np.float32)

    return x.map_overlap(block, depth={0: 0, 1: depth}, boundary="none", trim=True,
                         dtype=np.float32)


def resample(x: da.Array, sfreq: float, new_sfreq: float, chunk: int) -> da.Array:
    """Polyphase resampling of one trial, chunk by chunk, equal to ``resample_poly`` on it."""
    ratio = Fraction(new_sfreq / sfreq).limit_denominator(1000)
    if abs(float(ratio) * sfreq - new_sfreq) > 1e-6 * new_sfreq:
        raise SeedflowError(f"features.preprocessing.resample: {new_sfreq} Hz is not a "
                            f"simple ratio of {sfreq} Hz")
    up, down = ratio.numerator, ratio.denominator
    n_in = x.shape[1]
    n_out = -(-n_in * up // down)
    # resample_poly's FIR reaches 10 * max(up, down) upsampled samples on each side.
    reach = int(math.ceil(10 * max(up, down) / up)) + 1
    depth = int(math.ceil(reach / down) * down)
    chunks = _even_chunks(n_in, max(chunk, depth), multiple=down)
    x = x.rechunk({0: -1, 1: chunks})
    out_counts = [c * up // down for c in chunks[:-1]]
    out_counts.append(n_out - sum(out_counts))
    if len(chunks) == 1:
        return x.map_blocks(lambda b: scipy.signal.resample_poly(
            b.astype(np.float64), up, down, axis=1).astype(np.float32), chunks=(x.chunks[0], (n_out,)),
            dtype=np.float32)
    padded = da.overlap.overlap(x, depth={0: 0, 1: depth}, boundary="none")

    def block(b, block_info=None):
        index = block_info[0]["chunk-location"][1]
        left = 0 if index == 0 else depth
        y = scipy.signal.resample_poly(b.astype(np.float64), up, down, axis=1)
        start = left * up // down
        return y[:, start:start + out_counts[index]].astype(np.float32)

    return padded.map_blocks(block, chunks=(x.chunks[0], tuple(out_counts)),
                             dtype=np.float32)


def preprocess_trial(x: da.Array, sfreq: float, ch_names, prep: Preprocessing, *,
                     chunk: int, bad_channels=()) -> tuple[da.Array, float]:
    """The preprocessed trial (lazy) and its sampling rate."""
    if prep.reference is not None:
        x = rereference(x, ch_names, prep.reference, bad_channels)
    if prep.notch is not None:
        x = filtfilt(x, notch_filter(prep.notch, sfreq), chunk)
    if prep.bandpass is not None:
        x = filtfilt(x, bandpass_filter(prep.bandpass, sfreq, prep.bandpass_order), chunk)
    if prep.resample is not None and prep.resample != sfreq:
        x = resample(x, sfreq, prep.resample, chunk)
        sfreq = float(prep.resample)
    return x, sfreq
