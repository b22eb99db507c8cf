"""What each model reads, built from the feature stores (and the ingest store for raw
windows) of the sessions a fold uses.

Kinds: ``grid`` (DE on the 9 x 9 grid, one sample per window), ``psd_grid`` (log PSD on the
grid), ``flat`` (DE of every channel and band as one vector), ``channels_bands`` (DE per
channel and band, (channels, bands): a graph's nodes and their features), ``grid4d`` (4D-aNN's
(slices, 9, 9, DE + log PSD) segments), ``sequence`` / ``grid_sequence`` (``flat`` / ``grid``
of consecutive windows of one trial, the trial's last incomplete sequence padded with zeros
or with the trial's average window), ``raw`` (the recording's samples of each window, read
from the ingest Zarr store per batch, electrodes ordered left hemisphere, right hemisphere
(mirrored pairs), midline).

Damaged data (non-finite features, or samples of raw windows): a window is left out only
when none of its values is finite (e.g. a trial lost on every channel); otherwise it is
kept with its non-finite values as NaN, which the model imputes with the training mean of
that entry (Keras models after their in-model standardisation, as 0; scikit-learn models
with a mean imputer fitted on the training samples), so no test value informs it.
Sequences and segments are made of consecutive kept windows and never bridge a left-out
one. :class:`Trials` lists every trial of the sessions read, also those that lost all
their windows, for the protocols to split on; :class:`WindowQuality` says per window what
was left out or imputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import zarr

from seedflow.channels import grid_for, mirrored_pairs, to_grid
from seedflow.errors import SeedflowError
from seedflow.stores.features import FeatureStore
from seedflow.stores.ingest import IngestStore

KINDS = ("grid", "psd_grid", "flat", "channels_bands", "grid4d", "sequence", "grid_sequence",
         "raw")
SEQUENCE_KINDS = ("sequence", "grid_sequence")
PADDINGS = ("zero", "average")


@dataclass(frozen=True)
class RepresentationSpec:
    """A representation and how it groups windows (config section ``recognition``; None: a
    setting the representation does not use)."""

    kind: str
    segment_windows: int | None   # grid4d: windows (slices) per segment
    sequence_windows: int | None  # sequences: windows per sequence
    padding: str | None           # sequences: how a trial's last sequence is completed

    @classmethod
    def from_config(cls, config: dict, kind: str) -> "RepresentationSpec":
        rec = config["recognition"]
        if kind == "grid4d":
            return cls(kind, rec["segment_windows"], None, None)
        if kind in SEQUENCE_KINDS:
            return cls(kind, None, rec["sequence_windows"], rec["padding"])
        return cls(kind, None, None, None)


@dataclass(frozen=True)
class Session:
    """One subject × session: its feature store and (for raw windows) its ingest store."""

    subject: str
    session: str
    features: Path
    ingest: Path | None = None


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


def trial_keys(subject, session, trial) -> np.ndarray:
    """(subject, session, trial) rows as a structured array (comparable, sortable)."""
    keys = np.empty(len(trial), dtype=[("subject", "U32"), ("session", "U32"),
                                       ("trial", "i8")])
    keys["subject"], keys["session"], keys["trial"] = subject, session, trial
    return keys


@dataclass
class Trials:
    """Every trial of the sessions read, one row each, as the dataset has it (trials that
    lost all their windows included): what the protocols split, before any window is left
    out."""

    keys: np.ndarray       # (subject, session, trial), see trial_keys
    label: np.ndarray
    n_windows: np.ndarray  # feature windows of the trial in its store
    n_samples: np.ndarray  # samples the representation makes of it when no window is left out


@dataclass
class WindowQuality:
    """Per feature window of the sessions read: left out (no finite value) or kept with the
    non-finite values of some channels imputed."""

    trial_row: np.ndarray  # (windows,) the window's trial: its row in Trials
    left_out: np.ndarray   # (windows,) bool
    imputed: np.ndarray    # (windows, channels) bool: kept windows' channels with NaN values
    ch_names: list[str]


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
    trials: Trials | None = None          # the dataset's trials of the sessions read
    quality: WindowQuality | None = None  # what was left out or imputed, per window

    def __len__(self) -> int:
        return len(self.label)

    def trial_keys(self) -> np.ndarray:
        """(subject, session, trial) of each sample, as a structured array."""
        return trial_keys(self.subject, self.session, self.trial_id)

    def in_trials(self, keys: np.ndarray) -> np.ndarray:
        """Mask of the samples of the trials ``keys``."""
        return np.isin(self.trial_keys(), keys)

    def subset(self, mask: np.ndarray) -> "Samples":
        index = np.flatnonzero(mask)
        x = self.x.subset(index) if isinstance(self.x, RawWindows) else self.x[index]
        return Samples(x, self.label[index], self.subject[index], self.session[index],
                       self.trial_id[index], self.window_start[index], self.class_names,
                       self.options, self.trials, self.quality)


def hemisphere_order(ch_names) -> tuple[np.ndarray, int]:
    """Electrode order for TSception: left, mirrored right partners, then the rest.

    Returns the order and the number of left (= right) electrodes. Left and right come from
    the electrode grid (columns left/right of the middle); a left electrode without a
    mirrored partner, and a channel not on the grid, go with the rest (used only by the
    whole-scalp kernel). Channels without a mirrored pair keep the store's order with no
    side (``eegnet``'s spatial filters span every electrode in any order; the plan refuses
    ``tsception`` there, see :attr:`seedflow.models.ModelSpec.hemispheres`).
    """
    grid = grid_for(ch_names)
    pairs = mirrored_pairs(ch_names, grid)
    left, right = [i for i, _ in pairs], [j for _, j in pairs]
    rest = [i for i in range(len(ch_names)) if i not in left and i not in right]
    return np.array(left + right + rest, dtype=np.int64), len(left)


def _channel_values(store: FeatureStore, kind: str) -> np.ndarray:
    """(windows, channels, features) the representation is made of (not ``raw``)."""
    if kind == "psd_grid":
        return np.log(store.psd)
    if kind == "grid4d":
        return np.concatenate([store.de, np.log(store.psd)], axis=-1)
    return store.de


def arranged(values: np.ndarray, kind: str, ch_names) -> np.ndarray:
    """Per-window values (windows, channels, features) in the representation's layout."""
    if kind in ("grid", "grid_sequence", "psd_grid", "grid4d"):
        return to_grid(values, ch_names)
    if kind == "channels_bands":
        return values
    return values.reshape(len(values), -1)  # flat, sequence


def _trial_mean(values: np.ndarray) -> np.ndarray:
    """Mean window over axis 0, of the finite values only where some are not."""
    if np.isfinite(values).all():
        return values.mean(axis=0)
    finite = np.isfinite(values)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, values, 0).sum(axis=0) / finite.sum(axis=0)


def _padded(values: np.ndarray, groups: np.ndarray, trial_index: np.ndarray,
            kept: np.ndarray, padding: str) -> np.ndarray:
    out = values[np.maximum(groups, 0)]
    for g, row in enumerate(groups):
        pads = row < 0
        if pads.any():
            if padding == "zero":
                out[g, pads] = 0
            else:
                out[g, pads] = _trial_mean(values[(trial_index == trial_index[row[0]]) & kept])
    return out


def raw_nonfinite(ingest: Path, store: FeatureStore, length: int) -> np.ndarray:
    """(windows, channels) non-finite samples of each raw window of ``length`` samples;
    only the trials with a bad channel at ingest are read."""
    session = IngestStore.open(ingest)
    counts = np.zeros((len(store.window_start), len(session.ch_names)), np.int64)
    for index, names in enumerate(session.trial_bad_channels):
        rows = np.flatnonzero(store.trial_index == index)
        if not names or not len(rows):
            continue
        bad = ~np.isfinite(session.trial(index))
        cumulative = np.concatenate([np.zeros((len(bad), 1), np.int64),
                                     np.cumsum(bad, axis=1)], axis=1)
        offsets = store.window_start[rows] - session.trial_start[index]
        ends = np.minimum(offsets + length, bad.shape[1])
        counts[rows] = (cumulative[:, ends] - cumulative[:, offsets]).T
    return counts


def _trials(store: FeatureStore, session: Session, spec: RepresentationSpec) -> Trials:
    if "trial_ids" not in store.attrs:
        raise SeedflowError(f"{session.features}: the feature store has no trial list "
                            "(written by an older seedflow); rerun its features job "
                            "(snakemake --forcerun features)")
    ids = np.asarray(store.attrs["trial_ids"], dtype=np.int64)
    n_windows = np.bincount(store.trial_index, minlength=len(ids)).astype(np.int64)
    if spec.kind in SEQUENCE_KINDS:
        n_samples = -(-n_windows // spec.sequence_windows)
    elif spec.kind == "grid4d":
        n_samples = n_windows // spec.segment_windows
    else:
        n_samples = n_windows
    return Trials(trial_keys(np.full(len(ids), session.subject),
                             np.full(len(ids), session.session), ids),
                  np.asarray(store.attrs["trial_labels"], dtype=np.int64), n_windows, n_samples)


def session_samples(session: Session, spec: RepresentationSpec) -> Samples:
    """Samples of one session for a representation."""
    kind = spec.kind
    store = FeatureStore.open(session.features)
    ch_names = store.attrs["ch_names"]
    options: dict = {"sfreq": float(store.attrs["sfreq"])}
    if kind == "raw":
        if session.ingest is None:
            raise SeedflowError(f"{session.features}: raw windows need the ingest store")
        order, n_side = hemisphere_order(ch_names)
        options["n_side"] = n_side
        length = int(round(store.attrs["window_seconds"] * options["sfreq"]))
        missing = raw_nonfinite(session.ingest, store, length)
        imputed, kept = missing > 0, (missing < length).any(axis=1)
    else:
        channel_values = _channel_values(store, kind)
        finite = np.isfinite(channel_values)
        imputed, kept = ~finite.all(axis=2), finite.any(axis=(1, 2))
        if not finite.all():
            channel_values = np.where(finite, channel_values, np.nan)
    if kind == "grid4d":
        x, groups = four_d(arranged(channel_values, kind, ch_names), store.trial_index,
                           store.window_start, kept, spec.segment_windows)
    elif kind in SEQUENCE_KINDS:
        padding = spec.padding
        if padding not in PADDINGS:
            raise SeedflowError(f"config key recognition.padding: unknown '{padding}' "
                                f"(known: {', '.join(PADDINGS)})")
        values = arranged(channel_values, kind, ch_names)
        groups = window_groups(store.trial_index, store.window_start, kept,
                               spec.sequence_windows, pad=True)
        x = _padded(values, groups, store.trial_index, kept, padding)
    else:
        groups = np.flatnonzero(kept)[:, None]
        if kind == "raw":
            x = RawWindows([session.ingest], np.zeros(len(groups), dtype=np.int64),
                           store.window_start[groups[:, 0]], length, order)
        else:
            x = arranged(channel_values, kind, ch_names)[groups[:, 0]]
    first = groups[:, 0]
    n = len(first)
    return Samples(x, store.label[first], np.full(n, session.subject, dtype="U32"),
                   np.full(n, session.session, dtype="U32"), store.trial_id[first],
                   store.window_start[first], list(store.attrs["class_names"]), options,
                   _trials(store, session, spec),
                   WindowQuality(store.trial_index.astype(np.int64), ~kept,
                                 imputed & kept[:, None], list(ch_names)))


def load(sessions: list[Session], spec: RepresentationSpec) -> Samples:
    """Samples of several sessions, concatenated in the given order."""
    kind = spec.kind
    if kind not in KINDS:
        raise ValueError(f"unknown representation '{kind}'")
    parts = [session_samples(s, spec) for s in sessions]
    names = {tuple(p.class_names) for p in parts}
    if len(names) > 1:
        raise SeedflowError(f"sessions disagree on class names: {sorted(names)}")
    if len({tuple(p.quality.ch_names) for p in parts}) > 1:
        held = "; ".join(f"sub-{s.subject} ses-{s.session} ({s.features}): "
                         f"{', '.join(p.quality.ch_names)}" for s, p in zip(sessions, parts))
        raise SeedflowError(f"the sessions hold different channels ({held}): one model reads "
                            "one montage; ingest them in one run, whose stores hold the "
                            "channels every recording has")
    if kind == "raw":
        x = RawWindows([s.ingest for s in sessions],
                       np.concatenate([np.full(len(p), i) for i, p in enumerate(parts)]),
                       np.concatenate([p.x.start for p in parts]), parts[0].x.length,
                       parts[0].x.order)
    else:
        x = np.concatenate([p.x for p in parts])
    trials = Trials(*(np.concatenate([getattr(p.trials, a) for p in parts]) for a in
                      ("keys", "label", "n_windows", "n_samples")))
    offsets = np.cumsum([0] + [len(p.trials.keys) for p in parts[:-1]])
    quality = WindowQuality(
        np.concatenate([p.quality.trial_row + o for p, o in zip(parts, offsets)]),
        *(np.concatenate([getattr(p.quality, a) for p in parts]) for a in
          ("left_out", "imputed")), parts[0].quality.ch_names)
    return Samples(x, *(np.concatenate([getattr(p, a) for p in parts]) for a in
                        ("label", "subject", "session", "trial_id", "window_start")),
                   parts[0].class_names, parts[0].options, trials, quality)


def window_groups(trial_index: np.ndarray, window_start: np.ndarray, usable: np.ndarray,
                  length: int, pad: bool) -> np.ndarray:
    """Consecutive usable windows of each trial, ``length`` at a time, as window indices.

    Returns an int array (groups, length); groups never cross trials nor an unusable window
    (each run of consecutive usable windows is grouped on its own). A run's last, incomplete
    group is dropped (``pad=False``) or completed with -1 entries (``pad=True``).
    """
    groups = []
    for trial in np.unique(trial_index):
        windows = np.flatnonzero(trial_index == trial)
        windows = windows[np.argsort(window_start[windows], kind="stable")]
        run = np.cumsum(~usable[windows])  # a new run after each unusable window
        for r in np.unique(run[usable[windows]]):
            members = windows[usable[windows] & (run == r)]
            for first in range(0, len(members), length):
                chunk = members[first:first + length]
                if len(chunk) < length:
                    if not pad:
                        continue
                    chunk = np.concatenate([chunk, np.full(length - len(chunk), -1)])
                groups.append(chunk)
    return np.array(groups, dtype=np.int64).reshape(-1, length)


def four_d(values: np.ndarray, trial_index: np.ndarray, window_start: np.ndarray,
           usable: np.ndarray, slices: int) -> tuple[np.ndarray, np.ndarray]:
    """4D-aNN's input: (segments, slices, 9, 9, 2 * bands) from per-window grids ``values``
    (windows, 9, 9, DE + natural-log PSD per band).

    Each slice is one feature window (``features.window_seconds``; 4D-aNN used 0.5 s); a
    segment is ``slices`` consecutive usable windows of one trial (a run's incomplete last
    segment is left out). Returns the 4D array and the window indices of each segment.
    """
    groups = window_groups(trial_index, window_start, usable, slices, pad=False)
    return values[groups], groups
