"""Any recording MNE reads (FIF, EDF/BDF, BrainVision, EEGLAB, Neuroscan CNT ...), opened
lazily so that samples are read one block at a time with ``raw.get_data(start=, stop=)``.

Neuroscan CNT needs care: MNE infers the sample size (16 or 32 bit) from the header, which
fails for files whose header holds no sample count and for files over 2 GB, where the
header's 32-bit event-table offset overflows (mne-python #6535). The sample size can then be
given in ``dataset.cnt_data_format``; a file shorter than its header announces is reported as
truncated instead of being read past its end.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np

from seedflow.channels import SEED_62, normalise, pick
from seedflow.errors import DatasetError
from seedflow.io.base import Excluded, SessionSource, Trial, check_unmatched, files_with


CNT_HINT = ("set dataset.cnt_data_format to int16 or int32 (SEED-family recordings are "
            "int32); MNE cannot infer it for this file, see mne-python #6535")
# Neuroscan CNT: 900-byte setup header, then 75 bytes per channel, then the samples.
_CNT_SETUP_BYTES, _CNT_CHANNEL_BYTES = 900, 75
_CNT_EVENT_TABLE_OFFSET = 886  # header field: byte offset of the event table (int32)


def open_raw(path: Path, *, cnt_data_format: str = "auto") -> mne.io.BaseRaw:
    """Open a recording without loading its samples; one clear error if MNE cannot."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    cnt = path.suffix.lower() == ".cnt"
    if cnt:
        _check_cnt_event_table(path)
    try:
        if cnt:
            raw = mne.io.read_raw_cnt(path, preload=False, data_format=cnt_data_format,
                                      verbose="error")
        else:
            raw = mne.io.read_raw(path, preload=False, verbose="error")
    except OverflowError as err:  # older MNE on long CNT files (mne-python #6535)
        raise DatasetError(path, f"int32 overflow in MNE's CNT reader ({err}); {CNT_HINT}") \
            from err
    except Exception as err:  # MNE raises many types for damaged or unknown files
        problem = _first_problem(err)
        hint = f"; {CNT_HINT}" if cnt and "data_format" in str(err) else ""
        raise DatasetError(path, f"MNE cannot read this recording ({problem}){hint}") from err
    if cnt:
        _check_cnt_complete(raw, path)
    if raw.n_times < 1:
        raise DatasetError(path, "recording has no samples")
    return raw


def _first_problem(err: Exception) -> str:
    """The message of an MNE error, without the traceback and warnings MNE wraps around it."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    raised = [line.split(": ", 1)[1] for line in lines
              if re.match(r"^\w+(Error|Exception): ", line)]
    return (raised or lines or [type(err).__name__])[-1]


def _check_cnt_event_table(path: Path) -> None:
    """Stop on a CNT cut before its event table, which the format puts after the samples.

    MNE only warns and then misreads such a file. The header's 32-bit offset is reliable
    below 2 GB only (mne-python #6535); larger files are checked after opening.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(_CNT_EVENT_TABLE_OFFSET)
        field = f.read(4)
    if len(field) < 4:
        raise DatasetError(path, f"truncated: {size} bytes, shorter than a CNT header")
    event_table = int(np.frombuffer(field, "<i4")[0])
    if size < 2**31 and event_table > size:
        raise DatasetError(path, f"truncated: the header puts the event table at byte "
                                 f"{event_table} but the file has {size} bytes")


def _check_cnt_complete(raw: mne.io.BaseRaw, path: Path) -> None:
    """Stop on a truncated CNT: MNE would read past the end of the file."""
    extras = raw._raw_extras[0]  # no public API exposes the sample size MNE chose
    n_channels, n_bytes = extras["orig_nchan"], extras["n_bytes"]
    needed = (_CNT_SETUP_BYTES + _CNT_CHANNEL_BYTES * n_channels
              + raw.n_times * n_channels * n_bytes)
    size = path.stat().st_size
    if size < needed:
        raise DatasetError(path, f"truncated: the header announces {raw.n_times} samples of "
                                 f"{n_channels} channels ({needed} bytes) but the file has "
                                 f"{size} bytes")


def block_reader(raw: mne.io.BaseRaw, path: Path, picks: list[int], spans: list[tuple[int, int]],
                 reference: list[int] | None = None, n_referenced: int = 0):
    """``read_block(index, start, stop)`` over trial spans (samples) of ``raw``.

    With ``reference``, the mean of those channels is subtracted from the first
    ``n_referenced`` picked channels (e.g. EEG re-referenced to the linked mastoids).
    """
    all_picks = list(picks) + list(reference or [])

    def read_block(index: int, start: int, stop: int) -> np.ndarray:
        first = spans[index][0]
        try:
            data = raw.get_data(picks=all_picks, start=first + start, stop=first + stop)
        except Exception as err:  # a damaged file fails inside MNE's reader
            raise DatasetError(path, f"cannot read samples {first + start}..{first + stop} "
                                     f"({err})") from err
        if reference:
            data[:n_referenced] -= data[len(picks):].mean(axis=0)
        return data[:len(picks)]

    return read_block


def check_spans(spans: list[tuple[int, int]], raw: mne.io.BaseRaw, path: Path, table,
                trial_ids: list[int]) -> None:
    """Every trial must lie inside the recording."""
    for (start, stop), trial in zip(spans, trial_ids):
        if start < 0:
            raise DatasetError(table, f"trial {trial} starts before the recording "
                                      f"({start / raw.info['sfreq']:g} s)")
        if stop > raw.n_times:
            raise DatasetError(table, f"trial {trial} ends at {stop / raw.info['sfreq']:g} s, "
                                      f"after the end of {path} "
                                      f"({raw.n_times / raw.info['sfreq']:g} s)")


def check_sfreq(raw: mne.io.BaseRaw, path: Path, expected: float | None) -> None:
    if expected is not None and not np.isclose(raw.info["sfreq"], expected):
        raise DatasetError(path, f"sampling rate is {raw.info['sfreq']:g} Hz, expected "
                                 f"{expected:g} Hz")


# ---- the ``mne`` dataset kind: BIDS-style file names, trials from events ------------------

EXTENSIONS = (".fif", ".edf", ".bdf", ".vhdr", ".set", ".cnt", ".gdf")


@dataclass(frozen=True)
class Event:
    onset_s: float
    duration_s: float
    description: str


def identity(path: Path) -> tuple[str, str] | None:
    """(subject, session) from a ``sub-<s>[_ses-<k>]_*`` name (session 1 when absent), else
    None."""
    stem = Path(path).stem
    entities = dict(part.split("-", 1) for part in stem.split("_") if "-" in part)
    if not stem.startswith("sub-") or not entities.get("sub"):
        return None
    return entities["sub"], entities.get("ses", "1")


def discover(root: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, session, file) for ``sub-<s>[_ses-<k>]_*.<ext>`` files under ``root``.

    Any other file with one of :data:`EXTENSIONS` (any case, any depth) stops the listing,
    unless ``excluded``; so does a subject × session found twice.
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(root, "dataset folder not found")
    found = {}
    unmatched = []
    for path in files_with(root, EXTENSIONS):
        if excluded and excluded(path):
            continue
        key = identity(path)
        if key is None:
            unmatched.append(path)
            continue
        if key in found:
            raise DatasetError(path, f"subject {key[0]} session {key[1]} also in {found[key]}")
        found[key] = path
    check_unmatched(unmatched, root, f"sub-<subject>[_ses-<session>]_*<ext> "
                                     f"({', '.join(EXTENSIONS)})")
    if not found:
        raise DatasetError(root, f"no sub-<subject>[_ses-<session>]_*<ext> recordings "
                                 f"({', '.join(EXTENSIONS)})")
    return [(s, k, p) for (s, k), p in sorted(found.items())]


def events_file(path: Path) -> Path | None:
    """The BIDS events TSV beside a recording, if there is one."""
    stem = Path(path).stem
    candidates = [stem.rsplit("_", 1)[0] + "_events.tsv", stem + "_events.tsv"]
    return next((p for p in (Path(path).with_name(c) for c in candidates) if p.is_file()), None)


def read_events(path: Path) -> list[Event]:
    """Events from a BIDS events TSV (columns onset, duration, trial_type)."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = {"onset", "duration", "trial_type"} - set(reader.fieldnames or [])
        if missing:
            raise DatasetError(path, f"events file lacks columns {', '.join(sorted(missing))}")
        try:
            return [Event(float(r["onset"]), float(r["duration"]), r["trial_type"].strip())
                    for r in reader]
        except ValueError as err:
            raise DatasetError(path, f"bad onset or duration ({err})") from err


def _annotation_events(raw: mne.io.BaseRaw) -> list[Event]:
    ann = raw.annotations
    # Onsets count from the recording's origin; samples count from the first one kept.
    return [Event(float(o) - raw.first_time, float(d), str(desc))
            for o, d, desc in zip(ann.onset, ann.duration, ann.description)]


def open_session(path: Path, *, event_labels: dict[str, str], channels: list[str] | None,
                 events_path: Path | None = None, cnt_data_format: str = "auto"
                 ) -> SessionSource:
    """A recording with labelled events as trials (``event_labels``: description -> class)."""
    path = Path(path)
    if not event_labels:
        raise DatasetError(path, "config key dataset.event_labels is empty: no event "
                                 "description is mapped to a class")
    raw = open_raw(path, cnt_data_format=cnt_data_format)
    sfreq = raw.info["sfreq"]
    source = events_path or path
    events = read_events(events_path) if events_path else _annotation_events(raw)
    events = [e for e in events if e.description in event_labels]
    if not events:
        raise DatasetError(source, f"no events described as {', '.join(event_labels)}")
    class_names = list(dict.fromkeys(event_labels.values()))
    spans = []
    for e in events:
        if e.duration_s <= 0:
            raise DatasetError(source, f"event {e.description!r} at {e.onset_s:g} s has no "
                                       "duration")
        start = int(round(e.onset_s * sfreq))
        spans.append((start, start + int(round(e.duration_s * sfreq))))
    trial_ids = list(range(1, len(events) + 1))
    check_spans(spans, raw, path, source, trial_ids)
    if channels is None:
        present = {normalise(c) for c in raw.ch_names}
        wanted = [ch for ch in SEED_62 if ch in present]
        if not wanted:
            raise DatasetError(path, "no channel of SEED's 62 names: list the channels to "
                                     "ingest in config key dataset.channels")
    else:
        wanted = list(channels)
    eog_names = [raw.ch_names[i] for i in mne.pick_types(raw.info, eeg=False, eog=True)]
    picks = pick(raw.ch_names, wanted, path) + [raw.ch_names.index(e) for e in eog_names]
    trials = [Trial(t, class_names.index(event_labels[e.description]), stop - start)
              for t, e, (start, stop) in zip(trial_ids, events, spans)]
    read_block = block_reader(raw, path, picks, spans)
    return SessionSource(path=path, ch_names=[normalise(w) for w in wanted],
                         sfreq=sfreq, trials=trials, class_names=class_names, to_volts=1.0,
                         read_trial=lambda i: read_block(i, 0, trials[i].n_samples),
                         eog_names=eog_names, read_block=read_block)
