"""Dataset kind ``mne``: any recording MNE reads (FIF, EDF/BDF, BrainVision, EEGLAB,
Neuroscan CNT ...), named BIDS-like, trials from its events; and the MNE reading that the
``seed-v`` family shares. Files are opened lazily so that samples are read one block at a
time with ``raw.get_data(start=, stop=)``.

A damaged file is one clear error, never a shorter recording. MNE reports some damage only
as a warning (an EDF cut short is read with fewer records, events past the end are dropped,
a FIF buffer that cannot be read becomes zeros): warnings raised while opening a file or
reading its samples are caught, those that mean damage or lost samples or events
(:data:`DAMAGE_WARNINGS`) stop with an error unless ``dataset.accept_warnings`` accepts
them, the others are logged. Opening also reads the last sample, which fails for formats
whose header gives the sample count (FIF, EEGLAB, GDF) when the data part is cut short, and
checks BrainVision data files, whose sample count MNE infers from their size.

Neuroscan CNT needs care: MNE infers the sample size (16 or 32 bit) from the header, which
fails for files whose header holds no sample count and for files over 2 GB, where the
header's 32-bit event-table offset overflows (mne-python #6535). The sample size can then be
given in ``dataset.cnt_data_format``; a file shorter than its header announces is reported as
truncated instead of being read past its end.
"""

from __future__ import annotations

import contextlib
import logging
import re
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np

from seedflow.channels import in_standard_order, pick, standard_name
from seedflow.datasets import events
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionHeader,
                                   SessionSource, Trial, recordings_by_identity)
from seedflow.errors import DatasetError

log = logging.getLogger(__name__)


CNT_HINT = ("MNE cannot infer whether its samples are int16 or int32 (mne-python #6535); "
            "give the sample size (SEED-family amplifiers record int32)")
# Neuroscan CNT: 900-byte setup header, then 75 bytes per channel, then the samples.
_CNT_SETUP_BYTES, _CNT_CHANNEL_BYTES = 900, 75
_CNT_EVENT_TABLE_OFFSET = 886  # header field: byte offset of the event table (int32)
_CNT_EVENT_TABLE_HEADER = 9  # event table: type (1 byte), length, offset (int32 each)

_MIXED_RATES = "mixed sampling frequencies and preload=False"
_LIMITED = "annotation(s) that were expanding outside the data range"
# Parts of MNE's warning texts that mean a damaged file or lost or wrong samples or events.
DAMAGE_WARNINGS = (
    "Number of records from the header does not match the file size",  # EDF/BDF cut short
    "Header information is incorrect for record length",  # EDF/BDF/GDF header
    "Scaling factor will not be defined",  # EDF/BDF: digital range 0, values meaningless
    "Physical range is not defined",  # EDF/BDF: physical range 0
    "Unsupported physical dimension",  # GDF: unit unknown, values not in volts
    _MIXED_RATES,  # EDF: edge artefacts at each block of a channel at a lower rate
    "annotation(s) that were outside data range",  # events after the end: dropped
    _LIMITED,  # an event cut at the end (one cut at the start is harmless: see open_raw)
    "Invalid tag with only",  # FIF cut inside a tag
    "FIF tag directory missing",  # FIF directory lost
    "FIF raw buffer could not be read",  # FIF samples replaced by zeros
    "Event table offset from header",  # CNT event table past the end of the file
    "Inconsistent file information detected",  # CNT data part not whole samples
    "Missing header in",  # BrainVision header or marker file without its first line
    "currently only supports header versions",  # BrainVision first line unreadable
    "not found; no annotations",  # BrainVision marker file missing: events lost
    "events have an onset that is NaN",  # EEGLAB events dropped
)
ACCEPT_KEY = "dataset.accept_warnings"
# BrainVision binary formats (MNE's names) -> bytes per sample
_BRAINVISION_BYTES = {"short": 2, "int": 4, "single": 4}


def _printable(text: str, limit: int = 200) -> str:
    """One line of at most ``limit`` characters, control characters escaped (damaged
    headers hold arbitrary bytes, which MNE's messages quote)."""
    text = " ".join(text.split())
    text = "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)
    return text if len(text) <= limit else text[:limit] + "..."


def _damage(caught: Sequence[warnings.WarningMessage]) -> list[str]:
    return [text for text in (_printable(str(w.message)) for w in caught)
            if any(part in text for part in DAMAGE_WARNINGS)]


@contextlib.contextmanager
def _reader_warnings(path: Path, accept: Sequence[str]) -> Iterator[list]:
    """Catch the warnings MNE emits in the block. Afterwards the first that means damage or
    lost data raises :class:`DatasetError`, unless a part of its text is in ``accept``;
    the others are logged. The block may read the caught list (:func:`_damage`) to explain
    an exception of its own."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    damage = _damage(caught)
    for w in caught:
        text = _printable(str(w.message))
        if text not in damage:
            log.warning("%s: %s", path, text)
        elif any(part in text for part in accept):
            log.warning("%s: %s (accepted by %s)", path, text, ACCEPT_KEY)
        else:
            raise DatasetError(path, f"MNE warns {text!r}: the file is damaged, or samples "
                                     f"or events would be lost or wrong (if that is "
                                     f"expected, list a part of the warning in config key "
                                     f"{ACCEPT_KEY})")


def _with_warnings(problem: str, caught: Sequence[warnings.WarningMessage]) -> str:
    damage = _damage(caught)
    return problem + "".join(f"; MNE warned {text!r}" for text in damage)


def open_raw(path: Path, *, cnt_data_format: str = "auto",
             accept_warnings: Sequence[str] = ()) -> mne.io.BaseRaw:
    """Open a recording without loading its samples; one clear error if it is damaged
    (``accept_warnings``: parts of MNE warning texts to log instead, see the module)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    cnt = path.suffix.lower() == ".cnt"
    if cnt:
        _check_cnt_event_table(path)
    with _reader_warnings(path, accept_warnings) as caught:
        try:
            if cnt:
                raw = mne.io.read_raw_cnt(path, preload=False, data_format=cnt_data_format,
                                          verbose="warning")
            else:
                raw = mne.io.read_raw(path, preload=False, verbose="warning")
        except OverflowError as err:  # older MNE on long CNT files (mne-python #6535)
            raise DatasetError(path, f"int32 overflow in MNE's CNT reader ({err}); "
                                     f"{CNT_HINT}", key="dataset.cnt_data_format") from err
        except Exception as err:  # MNE raises many types for damaged or unknown files
            sample_size = cnt and "data_format" in str(err)
            problem = _with_warnings(_first_problem(err), caught)
            raise DatasetError(path, f"MNE cannot read this recording ({problem})"
                                     + (f"; {CNT_HINT}" if sample_size else ""),
                               key="dataset.cnt_data_format" if sample_size else None) \
                from err
        if cnt:
            _check_cnt_complete(raw, path)
        if raw.n_times < 1:
            raise DatasetError(path, "recording has no samples")
        if path.suffix.lower() == ".vhdr":
            _check_brainvision_data(raw, path)
        _check_last_sample(raw, path, caught)
        _forgive_limited_at_start(raw, path, caught)
    return raw


def _forgive_limited_at_start(raw: mne.io.BaseRaw, path: Path, caught: list) -> None:
    """MNE limits an annotation crossing either end of the data to the data and warns. At
    the end that is a recording cut short (damage); at the start it is a marker written
    just before the first sample (ANT amplifiers put one at position 0): logged only. MNE
    does not say which end, so an annotation now ending at the last sample tells."""
    ann = raw.annotations
    ends = ann.onset + ann.duration - raw.first_time  # onsets count from the origin
    at_end = np.any(np.abs(ends - raw.n_times / raw.info["sfreq"]) <= 1 / raw.info["sfreq"])
    if at_end:
        return
    for w in [w for w in caught if _LIMITED in str(w.message)]:
        caught.remove(w)
        log.info("%s: %s (at the start of the recording)", path, _printable(str(w.message)))


def _check_last_sample(raw: mne.io.BaseRaw, path: Path, caught: list) -> None:
    """Read the last sample the header announces: fails if the data part is cut short.
    Its warnings join ``caught``, but for MNE's note on reading part of an EDF with mixed
    rates, which concerns this one-sample read, not the file (blocks read later warn)."""
    with warnings.catch_warnings(record=True) as own:
        warnings.simplefilter("always")
        try:
            raw.get_data(start=raw.n_times - 1, stop=raw.n_times, verbose="warning")
        except Exception as err:  # MNE raises many types when the data end early
            problem = _with_warnings(_first_problem(err), [*caught, *own])
            raise DatasetError(path, f"truncated or damaged: the last of the {raw.n_times} "
                                     f"samples its header announces cannot be read "
                                     f"({problem})") from err
    caught.extend(w for w in own if _MIXED_RATES not in str(w.message))


def _check_brainvision_data(raw: mne.io.BaseRaw, path: Path) -> None:
    """MNE counts a BrainVision recording's samples from its data file's size, so a file
    cut short reads as a shorter recording: it must hold whole samples, and as many as
    the header's optional ``DataPoints`` says."""
    header = path.read_text(encoding="latin-1")
    fields = dict(re.findall(r"^\s*(DataFormat|DataPoints)\s*=\s*(\S+)", header, re.M))
    data_file = Path(raw.filenames[0])
    size = data_file.stat().st_size
    n_bytes = _BRAINVISION_BYTES.get(raw.orig_format)
    if fields.get("DataFormat", "BINARY").upper() == "BINARY" and n_bytes:
        if size % (raw.info["nchan"] * n_bytes):
            raise DatasetError(path, f"truncated data file {data_file.name}: {size} bytes "
                                     f"are not whole samples of {raw.info['nchan']} "
                                     f"channels x {n_bytes} bytes")
    points = fields.get("DataPoints", "")
    if points.isdigit() and int(points) != raw.n_times:
        cut = "truncated " if raw.n_times < int(points) else ""
        raise DatasetError(path, f"{cut}data file {data_file.name} holds {raw.n_times} "
                                 f"samples, the header announces {points} (DataPoints)")


def _first_problem(err: Exception) -> str:
    """The message of an MNE error, without the traceback and warnings MNE wraps around it."""
    lines = [line.strip() for line in str(err).splitlines() if line.strip()]
    raised = [line.split(": ", 1)[1] for line in lines
              if re.match(r"^\w+(Error|Exception): ", line)]
    return _printable((raised or lines or [type(err).__name__])[-1])


def _check_cnt_event_table(path: Path) -> None:
    """Stop on a CNT cut before the end of its event table, which the format puts after
    the samples (1 byte type, int32 length, int32 offset, then the events).

    MNE only warns and then misreads such a file, or reads fewer events. The header's
    32-bit offset is reliable below 2 GB only (mne-python #6535); larger files are checked
    after opening.
    """
    size = path.stat().st_size
    with open(path, "rb") as f:
        f.seek(_CNT_EVENT_TABLE_OFFSET)
        field = f.read(4)
        if len(field) < 4:
            raise DatasetError(path, f"truncated: {size} bytes, shorter than a CNT header")
        event_table = int(np.frombuffer(field, "<i4")[0])
        if size >= 2**31:
            return
        f.seek(max(event_table, 0) + 1)
        length = f.read(4)
    if event_table > size:
        raise DatasetError(path, f"truncated, or its header is damaged: the header puts the "
                                 f"event table at byte {event_table} but the file has {size} "
                                 "bytes")
    end = event_table + _CNT_EVENT_TABLE_HEADER + (int(np.frombuffer(length, "<i4")[0])
                                                   if len(length) == 4 else 0)
    if len(length) < 4 or end > size:
        raise DatasetError(path, f"truncated: its event table (from byte {event_table}) "
                                 f"ends at byte {end} but the file has {size} bytes")


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
                 reference: list[int] | None = None, n_referenced: int = 0,
                 accept_warnings: Sequence[str] = ()):
    """``read_block(index, start, stop)`` over trial spans (samples) of ``raw``.

    With ``reference``, the mean of those channels is subtracted from the first
    ``n_referenced`` picked channels (e.g. EEG re-referenced to the linked mastoids).
    MNE's warnings while reading are handled as in :func:`open_raw`.
    """
    all_picks = list(picks) + list(reference or [])

    def read_block(index: int, start: int, stop: int) -> np.ndarray:
        first = spans[index][0]
        with _reader_warnings(path, accept_warnings) as caught:
            try:
                data = raw.get_data(picks=all_picks, start=first + start, stop=first + stop,
                                    verbose="warning")
            except Exception as err:  # a damaged file fails inside MNE's reader
                problem = _with_warnings(_first_problem(err), caught)
                raise DatasetError(path, f"cannot read samples {first + start}.."
                                         f"{first + stop} ({problem})") from err
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
    found = recordings_by_identity(root, EXTENSIONS, identity, excluded,
                                   f"sub-<subject>[_ses-<session>]_*<ext> "
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


@dataclass
class _Opened:
    """A recording opened with its trials cut from its events; channels not chosen yet."""

    path: Path
    raw: mne.io.BaseRaw
    spans: list
    class_names: list[str]
    accept_warnings: Sequence[str]

    @property
    def trials(self) -> list[Trial]:
        return [Trial(t.trial_id, t.label, t.stop - t.start, origin=t.origin())
                for t in self.spans]

    @property
    def channel_types(self) -> tuple[tuple[str, str], ...]:
        return tuple(zip(self.raw.ch_names, self.raw.get_channel_types()))


def _open(path: Path, *, event_labels: dict[str, str], events_path: Path | None,
          stim_channel: str | None, trial_seconds, allow_overlap: bool, cnt_data_format: str,
          accept_warnings: Sequence[str]) -> _Opened:
    path = Path(path)
    event_labels = {str(k): str(v) for k, v in (event_labels or {}).items()}  # YAML: 1 -> "1"
    if not event_labels:
        raise DatasetError(path, "no event description is mapped to a class (empty)",
                           key="dataset.event_labels")
    raw = open_raw(path, cnt_data_format=cnt_data_format,
                   accept_warnings=accept_warnings)
    sfreq = raw.info["sfreq"]
    source, found = events.read(raw, path, events_path, stim_channel)
    spans, class_names = events.trials(found, source, event_labels=event_labels,
                                       trial_seconds=trial_seconds, sfreq=sfreq)
    check_spans([(t.start, t.stop) for t in spans], raw, path, source,
                [t.trial_id for t in spans])
    events.check_overlap([(t.start, t.stop) for t in spans], [t.named() for t in spans], sfreq,
                         source, allow_overlap)
    return _Opened(path, raw, spans, class_names, accept_warnings)


def read_header(path: Path, *, event_labels: dict[str, str], events_path: Path | None,
                stim_channel: str | None, trial_seconds, allow_overlap: bool,
                cnt_data_format: str, accept_warnings: Sequence[str]) -> SessionHeader:
    """What a recording's headers say, for planning: its trials, and as channels the EEG
    channels with a 10-05 name (stored names; none is no error here) and every channel of
    the file with its type (``channel_types``), from which planning chooses the run's."""
    opened = _open(path, event_labels=event_labels, events_path=events_path,
                   stim_channel=stim_channel, trial_seconds=trial_seconds,
                   allow_overlap=allow_overlap, cnt_data_format=cnt_data_format,
                   accept_warnings=accept_warnings)
    table = opened.channel_types
    return SessionHeader(opened.path, tuple(standard_name(ch) for ch in named_eeg(table)),
                         float(opened.raw.info["sfreq"]), tuple(opened.trials),
                         tuple(opened.class_names),
                         tuple(ch for ch, kind in table if kind == "eog"), table)


def open_session(path: Path, *, event_labels: dict[str, str], channels: list[str] | None,
                 run_channels: list[str] | None, events_path: Path | None,
                 stim_channel: str | None, trial_seconds, allow_overlap: bool,
                 cnt_data_format: str, accept_warnings: Sequence[str]) -> SessionSource:
    """A recording with labelled events as trials (``event_labels``: description -> class;
    see :mod:`seedflow.io.events`), its channels stored under their 10-05 names: those of
    :func:`select_channels` (``run_channels``: the run's, chosen at planning)."""
    opened = _open(path, event_labels=event_labels, events_path=events_path,
                   stim_channel=stim_channel, trial_seconds=trial_seconds,
                   allow_overlap=allow_overlap, cnt_data_format=cnt_data_format,
                   accept_warnings=accept_warnings)
    raw, path = opened.raw, opened.path
    chosen = select_channels(opened.channel_types, path, channels, run_channels)
    if chosen.left_out:
        log.info("%s: %d channels not ingested: %s", path, len(chosen.left_out),
                 ", ".join(f"{ch} ({why})" for ch, why in chosen.left_out.items()))
    trials = opened.trials
    read_block = block_reader(raw, path, [raw.ch_names.index(ch) for ch in
                                          chosen.file_names + chosen.eog_names],
                              [(t.start, t.stop) for t in opened.spans],
                              accept_warnings=opened.accept_warnings)
    return SessionSource(path=path, ch_names=chosen.ch_names, sfreq=raw.info["sfreq"],
                         trials=trials, class_names=opened.class_names, to_volts=1.0,
                         read_trial=lambda i: read_block(i, 0, trials[i].n_samples),
                         eog_names=chosen.eog_names, read_block=read_block,
                         file_channels=chosen.file_names + chosen.eog_names,
                         left_out=chosen.left_out)


def named_eeg(table) -> list[str]:
    """File names of the EEG channels with a 10-05 name, in the order they are stored by
    default: SEED's 62 first in SEED's order, then the others in the 10-05 order."""
    return in_standard_order([ch for ch, kind in table if kind == "eeg" and standard_name(ch)])


# Why a channel of the file is not ingested (the store's ``left_out_channels``).
NOT_LISTED = "not in dataset.channels"
NOT_SHARED = "not in every recording of the run"
NO_NAME = "no 10-05 name"


@dataclass(frozen=True)
class ChannelChoice:
    """The channels of one file to ingest: file names, stored names, EOG channels (file
    names) and the others, each with why it is left out."""

    file_names: list[str]
    ch_names: list[str]
    eog_names: list[str]
    left_out: dict[str, str]


def select_channels(table, path: Path, channels: list[str] | None = None,
                    run_channels: list[str] | None = None) -> ChannelChoice:
    """Which channels of a file (``table``: (name, MNE type) of each) to ingest.

    ``channels`` (``dataset.channels``, any naming convention) or ``run_channels`` (the
    run's montage, chosen at planning) if given, else every EEG channel with a 10-05 name
    (:func:`named_eeg`); stored under their 10-05 names, a name that is no 10-05 electrode
    as listed. EOG channels not chosen go to the store's ``eog`` array; every other
    channel is left out with its reason. A missing channel is an error listing the file's.
    """
    names = [ch for ch, _ in table]
    wanted = run_channels if run_channels is not None else channels
    if wanted is None:
        wanted = named_eeg(table)
        if not wanted:
            raise DatasetError(path, f"no EEG channel with a 10-05 name (the file has: "
                                     f"{', '.join(names)}): list the channels to ingest",
                               key="dataset.channels")
    file_names = [names[i] for i in pick(names, wanted, path)]
    eog_names = [ch for ch, kind in table if kind == "eog" and ch not in file_names]
    left_out = {}
    for ch, kind in table:
        if ch in file_names or ch in eog_names:
            continue
        if channels is not None:
            left_out[ch] = NOT_LISTED
        elif kind != "eeg":
            left_out[ch] = f"not EEG ({kind} channel)"
        else:
            left_out[ch] = NOT_SHARED if standard_name(ch) else NO_NAME
    return ChannelChoice(file_names, [standard_name(ch) or ch for ch in wanted], eog_names,
                         left_out)


class MneKind(Kind):
    name = "mne"
    suffixes = EXTENSIONS
    reader_keys = ("event_labels", "channels", "stim_channel", "trial_seconds",
                   "allow_overlap", "cnt_data_format", "accept_warnings")
    chooses_channels = True

    def settings(self, dataset):
        settings = super().settings(dataset)
        settings["cnt_data_format"] = settings["cnt_data_format"] or "auto"  # MNE infers
        return settings

    def discover(self, root, dataset, excluded):
        return [Recording(s, k, p, tuple(e for e in [events_file(p)] if e))
                for s, k, p in discover(root, excluded)]

    def _reading(self, reader: ReaderSpec, recording) -> dict:
        settings = reader.settings
        return dict(event_labels=settings["event_labels"],
                    events_path=(recording.extra_inputs or [None])[0],
                    stim_channel=settings["stim_channel"],
                    trial_seconds=settings["trial_seconds"],
                    allow_overlap=settings["allow_overlap"],
                    cnt_data_format=settings["cnt_data_format"],
                    accept_warnings=settings["accept_warnings"])

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        return open_session(recording.path, channels=reader.settings["channels"],
                            run_channels=run_channels, **self._reading(reader, recording))

    def header(self, reader, recording):
        """Its trials and every channel with its type; the run's channels are chosen at
        planning (:func:`seedflow.planning.montage`)."""
        return read_header(recording.path, **self._reading(reader, recording))

    def identify(self, path):
        return identity(path)

    def predict_inputs(self, path, labels, dataset):
        beside = None if dataset.get("stim_channel") else events_file(path)
        events = labels or beside
        return (events,) if events else ()


KIND = MneKind()
