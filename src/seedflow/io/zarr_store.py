"""The ingest Zarr layout every later stage reads: one store per subject × session.

``<store>/eeg``: float32 (channels, time) in volts, chunked in time, Blosc-zstd compressed.
Attributes: ``sfreq``, ``ch_names``, ``trial_ids``, ``trial_start``/``trial_stop`` (samples,
stop exclusive; trials are concatenated in time), ``labels`` (class indices),
``class_names``, ``bad_channels``, ``source_file``, ``units``, ``subject``, ``session``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr
from zarr.codecs import BloscCodec

from seedflow.io.base import SessionSource

log = logging.getLogger(__name__)

COMPRESSOR = BloscCodec(cname="zstd", clevel=3, shuffle="bitshuffle")


@contextlib.contextmanager
def atomic_directory(final: Path):
    """Yield a temporary sibling path; move it onto ``final`` only if the block succeeds."""
    final = Path(final)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = final.with_name(final.name + ".old")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


def write_session(source: SessionSource, out: Path, *, chunk_seconds: float,
                  attrs: dict) -> None:
    """Stream ``source`` trial by trial into a new store at ``out`` (atomic)."""
    lengths = [t.n_samples for t in source.trials]
    stops = np.cumsum(lengths)
    starts = stops - lengths
    chunk = max(1, int(round(chunk_seconds * source.sfreq)))
    bad: set[str] = set()
    with atomic_directory(out) as tmp:
        group = zarr.open_group(tmp, mode="w")
        eeg = group.create_array("eeg", shape=(len(source.ch_names), int(stops[-1])),
                                 chunks=(len(source.ch_names), chunk), dtype="float32",
                                 compressors=COMPRESSOR)
        for index, trial in enumerate(source.trials):
            data = source.trial_data(index)
            bad |= _bad_channels(data, source.ch_names)
            eeg[:, starts[index]:stops[index]] = data
            log.info("trial %d/%d (%d samples) written", index + 1, len(source.trials),
                     trial.n_samples)
        if bad:
            log.warning("%s: bad channels (flat or non-finite): %s", source.path,
                        ", ".join(sorted(bad)))
        group.attrs.update({
            "sfreq": float(source.sfreq),
            "ch_names": list(source.ch_names),
            "trial_ids": [t.trial_id for t in source.trials],
            "trial_start": starts.tolist(),
            "trial_stop": stops.tolist(),
            "labels": [t.label for t in source.trials],
            "class_names": list(source.class_names),
            "bad_channels": sorted(bad),
            "source_file": str(source.path),
            "units": "V",
            **attrs,
        })


def _bad_channels(data: np.ndarray, ch_names) -> set[str]:
    nonfinite = ~np.isfinite(data).all(axis=1)
    flat = np.nanstd(np.where(np.isfinite(data), data, np.nan), axis=1) < 1e-12
    return {ch for ch, b in zip(ch_names, nonfinite | flat) if b}


@dataclass
class SessionStore:
    """An ingested session opened for reading (samples stay on disk)."""

    eeg: zarr.Array
    sfreq: float
    ch_names: list[str]
    trial_ids: list[int]
    trial_start: list[int]
    trial_stop: list[int]
    labels: list[int]
    class_names: list[str]
    bad_channels: list[str]
    attrs: dict

    @classmethod
    def open(cls, path: Path) -> "SessionStore":
        group = zarr.open_group(path, mode="r")
        a = dict(group.attrs)
        return cls(eeg=group["eeg"], sfreq=a["sfreq"], ch_names=a["ch_names"],
                   trial_ids=a["trial_ids"], trial_start=a["trial_start"],
                   trial_stop=a["trial_stop"], labels=a["labels"],
                   class_names=a["class_names"], bad_channels=a["bad_channels"], attrs=a)

    def trial(self, index: int) -> np.ndarray:
        """Samples of trial ``index`` (position in the session, not its id)."""
        return self.eeg[:, self.trial_start[index]:self.trial_stop[index]]
