"""The ingest store, read and written: one Zarr store per subject × session, the layout every
later stage reads.

``<store>/eeg``: float32 (channels, time) in volts, chunked in time, Blosc-zstd compressed.
Attributes: ``sfreq``, ``ch_names``, ``trial_ids``, ``trial_start``/``trial_stop`` (samples,
stop exclusive; trials are concatenated in time), ``labels`` (class indices),
``class_names``, ``source_file``, ``units``, ``subject``, ``session``, ``eog_names``,
``channel_map`` (the file's channel name -> stored name, EEG then EOG, for readers that find
channels by name), ``left_out_channels`` (the file's other channels -> why each is not
ingested: not in every recording of the run, not EEG, no 10-05 name, not in
``dataset.channels``; same readers), and the channel quality found at ingest:
``trial_bad_channels`` (per trial, the channels flat or with a non-finite sample in it),
``bad_trials`` (ids of trials in which every channel is bad) and ``bad_channels`` (channels
bad in at least one trial that is not a bad trial: one trial lost on every channel does not
mark every channel bad for the session). ``<store>/eog`` (only when the recording has EOG
channels): the EOG channels named by ``eog_names``, same layout as ``eeg``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from seedflow.atomic import atomic_directory
from seedflow.datasets.base import ReaderSpec, SessionSource
from seedflow.errors import DatasetError, SeedflowError
from seedflow.stores import COMPRESSOR

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestSpec:
    """What an ingest job's store depends on besides its files: how the recording is read,
    the run's channels (for kinds whose channels planning chooses; None: the reader's fixed
    set), the chunk length (config key ``ingest.chunk_seconds``) and the dataset's kind
    (``dataset.kind``, kept in the store)."""

    reader: ReaderSpec
    channels: tuple[str, ...] | None
    chunk_seconds: float
    dataset: str

    @classmethod
    def from_config(cls, config: dict, channels: list[str] | None = None) -> "IngestSpec":
        return cls(ReaderSpec.from_config(config),
                   None if channels is None else tuple(channels),
                   float(config["ingest"]["chunk_seconds"]), config["dataset"]["kind"])


def write(source: SessionSource, out: Path, *, chunk_seconds: float, attrs: dict,
          block_seconds: float = 60.0, min_trial_seconds: float | None = None) -> None:
    """Stream ``source`` into a new store at ``out`` (atomic), one block of samples at a time.

    ``min_trial_seconds`` (one feature window): a shorter trial, which would give no
    feature window, stops before anything is written.
    """
    if min_trial_seconds is not None:
        check_trial_lengths(source, min_trial_seconds)
    lengths = [t.n_samples for t in source.trials]
    stops = np.cumsum(lengths)
    starts = stops - lengths
    chunk = max(1, int(round(chunk_seconds * source.sfreq)))
    block = chunk * max(1, int(round(block_seconds * source.sfreq)) // chunk)
    n_eeg = len(source.ch_names)
    trial_bad: list[list[str]] = []
    with atomic_directory(out) as tmp:
        group = zarr.open_group(tmp, mode="w")
        arrays = {name: group.create_array(name, shape=(len(names), int(stops[-1])),
                                           chunks=(len(names), chunk), dtype="float32",
                                           compressors=COMPRESSOR)
                  for name, names in (("eeg", source.ch_names), ("eog", source.eog_names))
                  if names}
        for index, trial in enumerate(source.trials):
            quality = _ChannelQuality(n_eeg)
            for offset, data in source.trial_blocks(index, block):
                at = slice(starts[index] + offset, starts[index] + offset + data.shape[1])
                arrays["eeg"][:, at] = data[:n_eeg]
                if source.eog_names:
                    arrays["eog"][:, at] = data[n_eeg:]
                quality.update(data[:n_eeg])
            trial_bad.append(sorted(ch for ch, b in zip(source.ch_names, quality.bad()) if b))
            log.info("trial %d/%d (%d samples) written", index + 1, len(source.trials),
                     trial.n_samples)
        trial_ids = [t.trial_id for t in source.trials]
        bad_channels, bad_trials = channel_quality(source.ch_names, trial_ids, trial_bad)
        if bad_channels:
            log.warning("%s: bad channels (flat or non-finite): %s", source.path,
                        ", ".join(bad_channels))
        for trial_id, names in zip(trial_ids, trial_bad):
            if names:
                log.warning("%s: trial %s: %s flat or non-finite", source.path, trial_id,
                            "every channel" if trial_id in bad_trials else ", ".join(names))
        group.attrs.update({
            "sfreq": float(source.sfreq),
            "ch_names": list(source.ch_names),
            "eog_names": list(source.eog_names),
            "trial_ids": trial_ids,
            "trial_start": starts.tolist(),
            "trial_stop": stops.tolist(),
            "labels": [t.label for t in source.trials],
            "class_names": list(source.class_names),
            "bad_channels": bad_channels,
            "trial_bad_channels": trial_bad,
            "bad_trials": bad_trials,
            "source_file": str(source.path),
            "units": "V",
            **({"channel_map": dict(zip(source.file_channels,
                                        [*source.ch_names, *source.eog_names]))}
               if source.file_channels else {}),
            **({"left_out_channels": dict(source.left_out)}
               if source.left_out is not None else {}),
            **attrs,
        })


def check_trial_lengths(source: SessionSource, min_seconds: float) -> None:
    """Every trial must hold at least one feature window of ``min_seconds``."""
    needed = int(round(min_seconds * source.sfreq))
    for trial in source.trials:
        if trial.n_samples < needed:
            origin = f" ({trial.origin})" if trial.origin else ""
            raise DatasetError(source.path, f"trial {trial.trial_id}{origin} lasts "
                                            f"{trial.n_samples / source.sfreq:g} s "
                                            f"({trial.n_samples} samples), shorter than one "
                                            f"feature window ({min_seconds:g} s)",
                               key="features.window_seconds")


def channel_quality(ch_names: list[str], trial_ids: list[int],
                    trial_bad: list[list[str]]) -> tuple[list[str], list[int]]:
    """Session-level ``bad_channels`` and ``bad_trials`` from the bad channels of each trial."""
    every = set(ch_names)
    bad_trials = [t for t, names in zip(trial_ids, trial_bad) if every <= set(names)]
    bad_channels = sorted({ch for t, names in zip(trial_ids, trial_bad)
                           if t not in bad_trials for ch in names})
    return bad_channels, bad_trials


class _ChannelQuality:
    """Running per-channel check over the blocks of one trial: non-finite or flat."""

    def __init__(self, n_channels: int):
        self.nonfinite = np.zeros(n_channels, bool)
        self.low = np.full(n_channels, np.inf)
        self.high = np.full(n_channels, -np.inf)

    def update(self, data: np.ndarray) -> None:
        finite = np.isfinite(data)
        self.nonfinite |= ~finite.all(axis=1)
        self.low = np.minimum(self.low, np.where(finite, data, np.inf).min(axis=1))
        self.high = np.maximum(self.high, np.where(finite, data, -np.inf).max(axis=1))

    def bad(self) -> np.ndarray:
        """Channels with a non-finite sample or a range under 1 pV (flat) in the trial."""
        return self.nonfinite | ~(self.high - self.low >= 1e-12)


_REQUIRED_ATTRS = ("sfreq", "ch_names", "trial_ids", "trial_start", "trial_stop", "labels",
                   "class_names", "bad_channels", "trial_bad_channels", "bad_trials")


@dataclass
class IngestStore:
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
    trial_bad_channels: list[list[str]]
    bad_trials: list[int]
    attrs: dict

    @classmethod
    def open(cls, path: Path) -> "IngestStore":
        group = zarr.open_group(path, mode="r")
        a = dict(group.attrs)
        missing = [key for key in _REQUIRED_ATTRS if key not in a]
        if missing:
            raise SeedflowError(f"{path}: ingest store lacks {', '.join(missing)} (written by "
                                "an older seedflow or not by seedflow); delete it to ingest again")
        return cls(eeg=group["eeg"], sfreq=a["sfreq"], ch_names=a["ch_names"],
                   trial_ids=a["trial_ids"], trial_start=a["trial_start"],
                   trial_stop=a["trial_stop"], labels=a["labels"],
                   class_names=a["class_names"], bad_channels=a["bad_channels"],
                   trial_bad_channels=a["trial_bad_channels"], bad_trials=a["bad_trials"],
                   attrs=a)

    def trial_attrs(self) -> dict:
        """The session's trial list and channel quality, as later stores copy them."""
        return {"trial_ids": list(self.trial_ids), "trial_labels": list(self.labels),
                "bad_channels": list(self.bad_channels),
                "trial_bad_channels": [list(names) for names in self.trial_bad_channels],
                "bad_trials": list(self.bad_trials)}

    def trial(self, index: int) -> np.ndarray:
        """Samples of trial ``index`` (position in the session, not its id)."""
        return self.eeg[:, self.trial_start[index]:self.trial_stop[index]]
