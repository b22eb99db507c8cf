"""What each model reads, built from the feature stores (and the ingest store for raw
windows) of the sessions a fold uses.

Kinds: ``grid`` (DE on the 9 x 9 grid, one sample per window), ``psd_grid`` (log PSD on the
grid), ``flat`` (DE of every channel and band as one vector), ``grid4d`` (4D-aNN's
(slices, 9, 9, DE + log PSD) segments), ``sequence`` / ``grid_sequence`` (``flat`` / ``grid``
of consecutive windows of one trial, the trial's last incomplete sequence padded with zeros
or with the trial's average window), ``raw`` (the recording's samples of each window, read
from the ingest Zarr store per batch, electrodes ordered left hemisphere, right hemisphere
(mirrored pairs), midline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zarr

from seedflow.channels import grid_for, grid_placement
from seedflow.errors import SeedflowError
from seedflow.features import FeatureStore
from seedflow.grid import four_d, to_grid, window_groups

KINDS = ("grid", "psd_grid", "flat", "grid4d", "sequence", "grid_sequence", "raw")
PADDINGS = ("zero", "average")


@dataclass(frozen=True)
class Session:
    """One subject × session: its feature store and (for raw windows) its ingest store."""

    subject: str
    session: str
    features: Path
    raw: Path | None = None


@dataclass
class RawWindows:
    """Raw windows (n, electrodes, samples, 1) read from ingest stores on demand."""

    paths: list[Path]
    part: np.ndarray          # which store each window comes from
    start: np.ndarray         # first sample of each window
    length: int
    order: np.ndarray         # electrode order (positions in the store's channel list)
    _arrays: dict = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return (len(self.start), len(self.order), self.length, 1)

    @property
    def ndim(self) -> int:
        return 4

    def __len__(self) -> int:
        return len(self.start)

    def _eeg(self, part: int):
        if part not in self._arrays:
            self._arrays[part] = zarr.open_group(self.paths[part], mode="r")["eeg"]
        return self._arrays[part]

    def __getitem__(self, index) -> np.ndarray:
        index = np.arange(len(self))[index]
        out = np.empty((len(index), len(self.order), self.length, 1), dtype=np.float32)
        for row, i in enumerate(index):
            block = self._eeg(self.part[i])[:, self.start[i]:self.start[i] + self.length]
            out[row, :, :, 0] = block[self.order]
        return out

    def subset(self, index: np.ndarray) -> "RawWindows":
        return RawWindows(self.paths, self.part[index], self.start[index], self.length,
                          self.order, self._arrays)


@dataclass
class Samples:
    """Model inputs with one row of bookkeeping per sample (a window, segment or sequence)."""

    x: np.ndarray | RawWindows
    label: np.ndarray
    subject: np.ndarray
    session: np.ndarray
    trial_id: np.ndarray
    window_start: np.ndarray  # first window of the sample (samples of the recording)
    class_names: list[str]
    options: dict             # what a model builder needs to know (rate, hemispheres)

    def __len__(self) -> int:
        return len(self.label)

    def trial_keys(self) -> np.ndarray:
        """(subject, session, trial) of each sample, as a structured array."""
        keys = np.empty(len(self), dtype=[("subject", "U32"), ("session", "U32"),
                                          ("trial", "i8")])
        keys["subject"], keys["session"], keys["trial"] = (self.subject, self.session,
                                                             self.trial_id)
        return keys

    def subset(self, mask: np.ndarray) -> "Samples":
        index = np.flatnonzero(mask)
        x = self.x.subset(index) if isinstance(self.x, RawWindows) else self.x[index]
        return Samples(x, self.label[index], self.subject[index], self.session[index],
                       self.trial_id[index], self.window_start[index], self.class_names,
                       self.options)


def hemisphere_order(ch_names) -> tuple[np.ndarray, int]:
    """Electrode order for TSception: left, mirrored right partners, then the rest.

    Returns the order and the number of left (= right) electrodes. Left and right come from
    the electrode grid (columns left/right of the middle); a left electrode without a
    mirrored partner, and a channel not on the grid, go with the rest (used only by the
    whole-scalp kernel).
    """
    grid = grid_for(ch_names)
    placed, cells = grid_placement(tuple(ch_names), grid)
    positions = {int(i): tuple(cell) for i, cell in zip(placed, cells)}
    middle = (max(len(line.split()) for line in grid) - 1) / 2
    where = {p: i for i, p in positions.items()}
    left, right = [], []
    for i in sorted(positions, key=lambda i: positions[i]):
        row, col = positions[i]
        partner = where.get((row, int(2 * middle - col)))
        if col < middle and partner is not None:
            left.append(i)
            right.append(partner)
    rest = [i for i in range(len(ch_names)) if i not in left and i not in right]
    return np.array(left + right + rest, dtype=np.int64), len(left)


def _window_values(store: FeatureStore, kind: str) -> np.ndarray:
    ch_names = store.attrs["ch_names"]
    if kind in ("grid", "grid_sequence"):
        return to_grid(store.de, ch_names)
    if kind == "psd_grid":
        return to_grid(np.log(store.psd), ch_names)
    return store.de.reshape(len(store.de), -1)  # flat, sequence


def _padded(values: np.ndarray, groups: np.ndarray, trial_index: np.ndarray,
            padding: str) -> np.ndarray:
    out = values[np.maximum(groups, 0)]
    for g, row in enumerate(groups):
        pads = row < 0
        if pads.any():
            if padding == "zero":
                out[g, pads] = 0
            else:
                out[g, pads] = values[trial_index == trial_index[row[0]]].mean(axis=0)
    return out


def session_samples(session: Session, kind: str, settings: dict) -> Samples:
    """Samples of one session for a representation ``kind``."""
    store = FeatureStore.open(session.features)
    options: dict = {"sfreq": float(store.attrs["sfreq"])}
    if kind == "grid4d":
        x, groups = four_d(store, settings.get("segment_windows", 4))
    elif kind in ("sequence", "grid_sequence"):
        padding = settings.get("padding", "zero")
        if padding not in PADDINGS:
            raise SeedflowError(f"config key recognition.padding: unknown '{padding}' "
                                f"(known: {', '.join(PADDINGS)})")
        values = _window_values(store, kind)
        usable = np.isfinite(values).reshape(len(values), -1).all(axis=1)
        groups = window_groups(store.trial_index, store.window_start, usable,
                               settings.get("sequence_windows", 10), pad=True)
        x = _padded(values, groups, store.trial_index, padding)
    else:
        if kind == "raw":
            if session.raw is None:
                raise SeedflowError(f"{session.features}: raw windows need the ingest store")
            order, n_side = hemisphere_order(store.attrs["ch_names"])
            options["n_side"] = n_side
            values = store.de.reshape(len(store.de), -1)
        else:
            values = _window_values(store, kind)
        usable = np.isfinite(values).reshape(len(values), -1).all(axis=1)
        groups = np.flatnonzero(usable)[:, None]
        if kind == "raw":
            length = int(round(store.attrs["window_seconds"] * options["sfreq"]))
            x = RawWindows([session.raw], np.zeros(len(groups), dtype=np.int64),
                           store.window_start[groups[:, 0]], length, order)
        else:
            x = values[groups[:, 0]]
    first = groups[:, 0]
    n = len(first)
    return Samples(x, store.label[first], np.full(n, session.subject, dtype="U32"),
                   np.full(n, session.session, dtype="U32"), store.trial_id[first],
                   store.window_start[first], list(store.attrs["class_names"]), options)


def load(sessions: list[Session], kind: str, settings: dict) -> Samples:
    """Samples of several sessions, concatenated in the given order."""
    if kind not in KINDS:
        raise ValueError(f"unknown representation '{kind}'")
    parts = [session_samples(s, kind, settings) for s in sessions]
    names = {tuple(p.class_names) for p in parts}
    if len(names) > 1:
        raise SeedflowError(f"sessions disagree on class names: {sorted(names)}")
    if kind == "raw":
        x = RawWindows([s.raw for s in sessions],
                       np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)]),
                       np.concatenate([p.x.start for p in parts]), parts[0].x.length,
                       parts[0].x.order)
    else:
        x = np.concatenate([p.x for p in parts])
    return Samples(x, *(np.concatenate([getattr(p, a) for p in parts]) for a in
                        ("label", "subject", "session", "trial_id", "window_start")),
                   parts[0].class_names, parts[0].options)
