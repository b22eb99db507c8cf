"""Trials of the ``mne`` dataset kind, from the events of a recording.

Events come from one source: a BIDS ``*_events.tsv`` beside the recording (columns onset,
duration, trial_type), a stim channel (``dataset.stim_channel``, read with
``mne.find_events``; each event is described by its trigger code as text, "1") or the file's
annotations (BrainVision markers as ``Stimulus/S  1``, EEGLAB event types, EDF annotations,
CNT triggers). ``dataset.event_labels`` maps descriptions to classes; a key matches a
description exactly (case and spaces included), other events are ignored (logged).
``dataset.trial_seconds`` gives every trial of a class (or of all classes) its length from
the event's onset; without it the event's duration is the trial, and a marker (a duration
of at most one sample) is an error. Overlapping trials are an error unless
``dataset.allow_overlap``.
"""

from __future__ import annotations

import collections
import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import mne

from seedflow.errors import DatasetError, SeedflowError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    onset_s: float  # from the recording's first sample
    duration_s: float
    description: str


@dataclass(frozen=True)
class TrialSpan:
    """A trial cut from the recording: samples [start, stop), class index, its event."""

    trial_id: int
    label: int
    start: int
    stop: int
    event: Event

    def origin(self) -> str:
        return f"{self.event.description!r} at {self.event.onset_s:g} s"

    def named(self) -> str:
        return f"trial {self.trial_id} ({self.origin()})"


def read_tsv(path: Path) -> list[Event]:
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


def from_annotations(raw: mne.io.BaseRaw) -> list[Event]:
    ann = raw.annotations
    # Onsets count from the recording's origin; samples count from the first one kept.
    return [Event(float(o) - raw.first_time, float(d), str(desc))
            for o, d, desc in zip(ann.onset, ann.duration, ann.description)]


def from_stim_channel(raw: mne.io.BaseRaw, name: str, path: Path) -> list[Event]:
    """Every change of the stim channel to a non-zero code, the first sample included (no
    event is left out: one-sample pulses and code-to-code steps count)."""
    stim = [ch for ch, kind in zip(raw.ch_names, raw.get_channel_types()) if kind == "stim"]
    if name not in raw.ch_names:
        raise DatasetError(path, f"no stim channel {name!r} (stim channels: "
                                 f"{', '.join(stim) or 'none'}; the file has: "
                                 f"{', '.join(raw.ch_names)})", key="dataset.stim_channel")
    found = mne.find_events(raw, stim_channel=name, shortest_event=1, consecutive=True,
                            initial_event=True, verbose="error")
    sfreq = raw.info["sfreq"]
    return [Event((sample - raw.first_samp) / sfreq, 0.0, str(code))
            for sample, _, code in found]


def read(raw: mne.io.BaseRaw, path: Path, events_path: Path | None,
         stim_channel: str | None) -> tuple[Path, list[Event]]:
    """(where the events come from, the events) of a recording."""
    if events_path is not None and stim_channel:
        raise DatasetError(path, f"events would come both from {events_path} and from stim "
                                 f"channel {stim_channel!r}: remove one",
                           key="dataset.stim_channel")
    if events_path is not None:
        return Path(events_path), read_tsv(events_path)
    if stim_channel:
        return path, from_stim_channel(raw, stim_channel, path)
    return path, from_annotations(raw)


def described(events: list[Event]) -> str:
    """The descriptions of ``events`` with their counts, as the file spells them."""
    counts = collections.Counter(e.description for e in events)
    return ", ".join(f"{d!r} ({n})" for d, n in counts.items()) or "no events"


def trial_lengths(trial_seconds, class_names: list[str]) -> dict[str, float | None]:
    """Seconds per class from ``dataset.trial_seconds`` (a number, or class -> seconds);
    None where the events' durations are the trials."""
    if trial_seconds is None or isinstance(trial_seconds, (int, float)):
        return dict.fromkeys(class_names, trial_seconds)
    unknown = [c for c in trial_seconds if c not in class_names]
    if unknown:
        raise SeedflowError(f"config key dataset.trial_seconds: {', '.join(unknown)} not a "
                            f"class of dataset.event_labels (classes: {', '.join(class_names)})")
    return {c: trial_seconds.get(c) for c in class_names}


def trials(events: list[Event], source: Path, *, event_labels: dict[str, str],
           trial_seconds, sfreq: float) -> tuple[list[TrialSpan], list[str]]:
    """The labelled events as trials (in the order listed) and the class names (ordered as
    first listed in ``event_labels``)."""
    class_names = list(dict.fromkeys(event_labels.values()))
    seconds = trial_lengths(trial_seconds, class_names)
    labelled = [e for e in events if e.description in event_labels]
    if not labelled:
        raise DatasetError(source, f"no events described as "
                                   f"{', '.join(map(repr, event_labels))}; the file has: "
                                   f"{described(events)} (descriptions match exactly; a stim "
                                   "channel's events are described by their codes)",
                           key="dataset.event_labels")
    ignored = [e for e in events if e.description not in event_labels]
    if ignored:
        log.info("%s: events not in dataset.event_labels, ignored: %s", source,
                 described(ignored))
    spans = []
    for trial_id, event in enumerate(labelled, start=1):
        name = event_labels[event.description]
        start = int(round(event.onset_s * sfreq))
        if seconds[name] is not None:
            length = int(round(seconds[name] * sfreq))
        else:
            length = int(round(event.duration_s * sfreq))
            if length <= 1:
                raise DatasetError(source, f"event {event.description!r} at {event.onset_s:g} "
                                           f"s lasts {event.duration_s:g} s ({length} samples "
                                           f"at {sfreq:g} Hz): a marker, not a trial; give "
                                           f"class {name!r} a trial length",
                                   key="dataset.trial_seconds")
        spans.append(TrialSpan(trial_id, class_names.index(name), start, start + length, event))
    return spans, class_names


def check_overlap(spans: list[tuple[int, int]], names: list[str], sfreq: float, source,
                  allow: bool) -> None:
    """Stop on trials that share samples (a training and a test trial could), naming the
    first two; ``allow`` (``dataset.allow_overlap``) accepts them."""
    order = sorted(range(len(spans)), key=lambda i: spans[i])
    overlapping, first, reaching = [], None, None  # reaching: the trial ending last so far
    for i in order:
        if reaching is not None and spans[i][0] < spans[reaching][1]:
            overlapping.append(i)
            first = first or (reaching, i)
        if reaching is None or spans[i][1] > spans[reaching][1]:
            reaching = i
    if not overlapping:
        return
    a, b = first
    shared = (min(spans[a][1], spans[b][1]) - spans[b][0]) / sfreq
    message = (f"{names[a]} and {names[b]} overlap by {shared:g} s"
               + (f" ({len(overlapping)} trials overlap an earlier one)"
                  if len(overlapping) > 1 else ""))
    if allow:
        log.warning("%s: %s; accepted (dataset.allow_overlap)", source, message)
        return
    raise DatasetError(source, f"{message}: a training and a test trial could share samples",
                       key="dataset.allow_overlap")
