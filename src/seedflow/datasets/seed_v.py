"""Dataset kind ``seed-v``, and the reader it shares with ``seed-ger`` and ``seed-fra``:
continuous Neuroscan recordings plus a trial table.

Files are ``<subject>_<session>[_<yyyymmdd>].cnt`` (SEED-V: in ``EEG_raw/``) with the 62 EEG
channels, the mastoids M1, M2 and the EOG channels VEO, HEO. Channels are found by name;
EOG is kept (``eog`` in the store); the mastoids are dropped or, with
``dataset.reference: mastoids``, their mean is subtracted from the EEG. Trials are cut
from the recording one block at a time. SEED-V's trial table is published with the
dataset (below); SEED-GER/FRA need the user's table. Any format MNE reads works in place of
CNT (the simulator writes FIF, as MNE cannot write CNT).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from seedflow.channels import SEED_62, SEED_EOG, SEED_MASTOIDS, normalise, pick
from seedflow.datasets import events, mne_raw, trial_table
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionSource, Trial,
                                   recordings_by_identity)
from seedflow.datasets.trial_table import TrialRow, rows_for
from seedflow.errors import DatasetError, SeedflowError

SEED_V_CLASSES = {0: "disgust", 1: "fear", 2: "sad", 3: "neutral", 4: "happy"}
SEED_V_SFREQ = 1000.0
_S1 = (4, 1, 3, 2, 0, 4, 1, 3, 2, 0, 4, 1, 3, 2, 0)
_S23 = (2, 1, 3, 0, 4, 4, 0, 3, 2, 1, 3, 4, 1, 2, 0)
SEED_V_LABELS = {"1": _S1, "2": _S23, "3": _S23}
SEED_V_SPANS = {  # (start_s, end_s) per trial, as published
    "1": ((30, 132, 287, 555, 773, 982, 1271, 1628, 1730, 2025, 2227, 2435, 2667, 2932, 3204),
          (102, 228, 524, 742, 920, 1240, 1568, 1697, 1994, 2166, 2401, 2607, 2901, 3172, 3359)),
    "2": ((30, 299, 548, 646, 836, 1000, 1091, 1392, 1657, 1809, 1966, 2186, 2333, 2490, 2741),
          (267, 488, 614, 773, 967, 1059, 1331, 1622, 1777, 1908, 2153, 2302, 2428, 2709, 2817)),
    "3": ((30, 353, 478, 674, 825, 908, 1200, 1346, 1451, 1711, 2055, 2307, 2457, 2726, 2888),
          (321, 418, 643, 764, 877, 1147, 1284, 1418, 1679, 1996, 2275, 2425, 2664, 2857, 3066)),
}
FOLDER = "EEG_raw"
_FILE = re.compile(r"^(\d+)_(\d+)(?:_\d{8})?\.(cnt|fif)$", re.IGNORECASE)


def published_table() -> list[TrialRow]:
    """SEED-V's trial table (the same for every subject)."""
    return [TrialRow(session, k, start, end, str(label))
            for session, (starts, ends) in SEED_V_SPANS.items()
            for k, (start, end, label) in enumerate(
                zip(starts, ends, SEED_V_LABELS[session]), start=1)]


def identity(path: Path) -> tuple[str, str] | None:
    """(subject, session) from a ``<subject>_<session>[_<yyyymmdd>].cnt`` name, else None."""
    match = _FILE.match(Path(path).name)
    return (match[1], match[2]) if match else None


def discover(folder: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, session, file) for every ``<subject>_<session>[_<date>].cnt`` under folder.

    Any other ``.cnt`` or ``.fif`` file under it (any case) stops the listing, unless
    ``excluded``; so does a subject × session found twice.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found (expected <subject>_<session>_<date>.cnt "
                                   "recordings)")
    found = recordings_by_identity(folder, (".cnt", ".fif"), identity, excluded,
                                   "<subject>_<session>[_<yyyymmdd>].cnt (or .fif)")
    if not found:
        raise DatasetError(folder, "no <subject>_<session>[_<yyyymmdd>].cnt recordings")
    return [(s, k, found[(s, k)]) for s, k in sorted(found, key=lambda x: (int(x[0]),
                                                                            int(x[1])))]


def class_index(label: str, classes: dict[int, str], table) -> int:
    """Class index (position among sorted codes) of a table label given as code or name."""
    codes = sorted(classes)
    names = [classes[c] for c in codes]
    if label in names:
        return names.index(label)
    try:
        return codes.index(int(label))
    except (ValueError, TypeError):
        pass
    raise DatasetError(table, f"label {label!r} is none of the classes {names} "
                              f"(codes {codes})")


def open_session(path: Path, subject: str, session: str, *, table: list[TrialRow],
                 table_source, classes: dict[int, str], expected_sfreq: float | None,
                 reference: str, allow_overlap: bool, cnt_data_format: str,
                 accept_warnings: Sequence[str]) -> SessionSource:
    """One continuous recording as a :class:`SessionSource` of the table's trials."""
    path = Path(path)
    rows = rows_for(table, subject, session, table_source)
    raw = mne_raw.open_raw(path, cnt_data_format=cnt_data_format,
                           accept_warnings=accept_warnings)
    mne_raw.check_sfreq(raw, path, expected_sfreq)
    sfreq = raw.info["sfreq"]
    spans = [(int(round(r.start_s * sfreq)), int(round(r.end_s * sfreq))) for r in rows]
    mne_raw.check_spans(spans, raw, path, table_source, [r.trial for r in rows])
    events.check_overlap(spans, [f"trial {r.trial} ({r.start_s:g}-{r.end_s:g} s)" for r in rows],
                         sfreq, table_source, allow_overlap)
    picks = pick(raw.ch_names, SEED_62, path)
    eog = [ch for ch in SEED_EOG if ch in {normalise(c) for c in raw.ch_names}]
    picks += pick(raw.ch_names, eog, path)
    ref = pick(raw.ch_names, SEED_MASTOIDS, path) if reference == "mastoids" else None
    trials = [Trial(r.trial, class_index(r.label, classes, table_source), stop - start)
              for r, (start, stop) in zip(rows, spans)]
    read_block = mne_raw.block_reader(raw, path, picks, spans, ref, n_referenced=len(SEED_62),
                                      accept_warnings=accept_warnings)
    file_channels = [raw.ch_names[i] for i in picks]
    mastoid = ("mastoid, subtracted as reference" if reference == "mastoids" else
               "mastoid, not used") + f" (dataset.reference: {reference})"
    left_out = {ch: mastoid if normalise(ch) in SEED_MASTOIDS else
                f"not one of SEED's 62 channels nor {', '.join(SEED_EOG)}"
                for ch in raw.ch_names if ch not in file_channels}
    return SessionSource(path=path, ch_names=list(SEED_62), sfreq=sfreq, trials=trials,
                         class_names=[classes[c] for c in sorted(classes)], to_volts=1.0,
                         read_trial=lambda i: read_block(i, 0, trials[i].n_samples),
                         eog_names=eog, read_block=read_block,
                         file_channels=file_channels, left_out=left_out)


class ContinuousKind(Kind):
    """A SEED-family dataset of continuous recordings cut into trials by a trial table."""

    suffixes = (".cnt", ".fif")
    reader_keys = ("reference", "allow_overlap", "cnt_data_format", "accept_warnings")

    def __init__(self, name: str, classes: dict[int, str], *, folder: str | None = None,
                 published_sfreq: float | None = None, published_table: bool = False,
                 simulator: str | None = None):
        self.name, self.classes, self.folder = name, classes, folder
        self.published_sfreq, self.published_table = published_sfreq, published_table
        self.simulator = simulator

    def settings(self, dataset):
        settings = super().settings(dataset)
        # SEED-family amplifiers record int32; MNE cannot tell from the header (see mne_raw)
        settings["cnt_data_format"] = settings["cnt_data_format"] or "int32"
        return settings

    def table(self, dataset: dict) -> Path | None:
        """``dataset.trial_table``, required unless the kind's table is published."""
        path = dataset["trial_table"]
        if path is None and not self.published_table:
            raise SeedflowError(f"config key dataset.trial_table: required for dataset.kind "
                                f"'{self.name}' (TSV: session, trial, start_s, end_s, "
                                "label); trial lists are never guessed")
        return Path(path) if path else None

    def discover(self, root, dataset, excluded):
        table = self.table(dataset)
        folder = Path(root) / self.folder if self.folder else Path(root)
        return [Recording(s, k, p, (table,) if table else ())
                for s, k, p in discover(folder, excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        if recording.extra_inputs:
            table_path = recording.extra_inputs[0]
            table = trial_table.read(table_path)
        else:
            table_path, table = f"{self.name}'s published trial table", published_table()
        settings = reader.settings
        return open_session(recording.path, recording.subject, recording.session, table=table,
                            table_source=table_path, classes=self.classes,
                            expected_sfreq=reader.sfreq(self.published_sfreq),
                            reference=settings["reference"],
                            allow_overlap=settings["allow_overlap"],
                            cnt_data_format=settings["cnt_data_format"],
                            accept_warnings=settings["accept_warnings"])

    def identify(self, path):
        return identity(path)

    def predict_inputs(self, path, labels, dataset):
        table = labels or dataset.get("trial_table")
        if table is None and not self.published_table:
            raise SeedflowError(f"{path}: dataset kind '{self.name}' needs a trial table "
                                f"(--labels, TSV: session, trial, start_s, end_s, label)")
        return (Path(table),) if table else ()


KIND = ContinuousKind("seed-v", SEED_V_CLASSES, folder=FOLDER, published_sfreq=SEED_V_SFREQ,
                      published_table=True, simulator="seedflow.simulate.seed_v")
