"""Dataset kind ``dreamer``: one ``DREAMER.mat`` holding every subject (23 × 18 trials, 14 Emotiv channels).

``DREAMER.Data{subject}.EEG.stimuli{trial}`` is (n_samples, 14) in microvolts at 128 Hz;
``ScoreValence``, ``ScoreArousal`` and ``ScoreDominance`` are 1..5 per trial. Each subject is
one session. The labels are one score, binarised (``high`` above 3, else ``low``) or kept as
5 levels. The file is a single MATLAB v5/v7 struct (read by every DREAMER loader with
scipy, so not HDF5/v7.3), which scipy can only load whole (about 2 GB of arrays): the
subject's cell is streamed out of it instead (:mod:`seedflow.datasets.matlab_struct`), so an
ingest job holds one subject.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seedflow.channels import DREAMER_14, pick
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionHeader,
                                   SessionSource, Trial, check_unmatched, files_with)
from seedflow.datasets.matlab_struct import read_outline, read_struct_fields
from seedflow.errors import DatasetError

FILE = "DREAMER.mat"
N_SUBJECTS = 23
DREAMER_SFREQ = 128.0


def discover(root: Path, n_subjects: int = N_SUBJECTS,
             excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, "1", DREAMER.mat) per subject; the subject count is DREAMER's (23).

    Any other ``.mat`` file under ``root`` (any case, any depth) stops the listing, unless
    ``excluded``.
    """
    root = Path(root)
    path = root / FILE
    others = [p for p in files_with(root, (".mat",)) if p != path] if root.is_dir() else []
    check_unmatched([p for p in others if not (excluded and excluded(p))], root, FILE)
    if not path.is_file() or (excluded and excluded(path)):
        raise DatasetError(path, "file not found (expected DREAMER's DREAMER.mat)")
    return [(str(s), "1", path) for s in range(1, n_subjects + 1)]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]


def _load(path: Path, subject: str) -> dict:
    """DREAMER's rate and electrodes, and ``Data`` = the one subject's struct."""
    if not path.is_file():
        raise DatasetError(path, "file not found")
    try:
        return read_struct_fields(path, "DREAMER", ("EEG_SamplingRate", "EEG_Electrodes"),
                                  {"Data": int(subject) - 1})
    except DatasetError:
        raise
    except Exception as err:  # scipy raises many types for damaged elements
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err


def class_names(levels: int) -> list[str]:
    return ["low", "high"] if levels == 2 else ["1", "2", "3", "4", "5"]


def class_index(score: float, levels: int) -> int:
    """Class of a score 1..5: ``high`` (1) above 3, else ``low`` (0); or the score - 1."""
    return int(score > 3) if levels == 2 else int(score) - 1


def _checked_rate(path: Path, dreamer: dict, expected_sfreq: float | None) -> float:
    sfreq = float(dreamer.get("EEG_SamplingRate", DREAMER_SFREQ))
    if expected_sfreq is not None and not np.isclose(sfreq, expected_sfreq):
        raise DatasetError(path, f"sampling rate is {sfreq:g} Hz, expected {expected_sfreq:g} Hz")
    return sfreq


def _subject_trials(path: Path, subject: str, record, n_electrodes: int, target: str,
                    levels: int) -> tuple[list, list[Trial]]:
    """A subject's stimulus arrays (or their outlines) and trials, scores checked."""
    try:
        stimuli = _as_list(record["EEG"]["stimuli"])
        scores = np.ravel(np.asarray(record[f"Score{target.capitalize()}"], dtype=float))
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise DatasetError(path, f"subject {subject}: not in DREAMER's layout "
                                 f"({type(err).__name__}: {err})") from err
    if len(scores) != len(stimuli):
        raise DatasetError(path, f"subject {subject}: {len(stimuli)} trials but "
                                 f"{len(scores)} {target} scores")
    if not np.isin(scores, [1, 2, 3, 4, 5]).all():
        raise DatasetError(path, f"subject {subject}: {target} scores "
                                 f"{sorted(set(scores.tolist()))} are not whole numbers 1..5")
    for k, x in enumerate(stimuli, start=1):
        if np.ndim(x) != 2 or np.shape(x)[1] != n_electrodes:
            raise DatasetError(path, f"subject {subject} trial {k} has shape {np.shape(x)}, "
                                     f"expected (n_samples, {n_electrodes})")
    labels = [class_index(s, levels) for s in scores]
    trials = [Trial(k, label, np.shape(x)[0])
              for k, (label, x) in enumerate(zip(labels, stimuli), start=1)]
    return stimuli, trials


def headers(path: Path, subjects: list[str], *, target: str, levels: int,
            expected_sfreq: float | None) -> dict[str, SessionHeader]:
    """Subject -> what :func:`open_session` would give, from one pass over the file that
    reads scores, rate and electrodes but only the dimensions of the EEG arrays."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "file not found")
    dreamer = read_outline(path, "DREAMER")
    if not isinstance(dreamer, dict):
        raise DatasetError(path, "variable 'DREAMER' is not a 1 x 1 struct")
    sfreq = _checked_rate(path, dreamer, expected_sfreq)
    electrodes = [str(e) for e in _as_list(dreamer.get("EEG_Electrodes", DREAMER_14))]
    pick(electrodes, DREAMER_14, path)
    data = _as_list(dreamer.get("Data", []))
    found = {}
    for subject in subjects:
        if not 1 <= int(subject) <= len(data):
            raise DatasetError(path, f"subject {subject}: not in DREAMER's layout (the file "
                                     f"holds {len(data)} subjects)")
        _, trials = _subject_trials(path, subject, data[int(subject) - 1], len(electrodes),
                                    target, levels)
        found[subject] = SessionHeader(path, tuple(DREAMER_14), sfreq, tuple(trials),
                                       tuple(class_names(levels)))
    return found


def open_session(path: Path, subject: str, *, target: str, levels: int,
                 expected_sfreq: float | None) -> SessionSource:
    """One DREAMER subject as a :class:`SessionSource` (stimulus trials only)."""
    path = Path(path)
    dreamer = _load(path, subject)
    if "Data" not in dreamer:
        raise DatasetError(path, f"subject {subject}: not in DREAMER's layout (no such "
                                 "subject)")
    sfreq = _checked_rate(path, dreamer, expected_sfreq)
    electrodes = [str(e) for e in _as_list(dreamer.get("EEG_Electrodes", DREAMER_14))]
    picks = pick(electrodes, DREAMER_14, path)
    stimuli, trials = _subject_trials(path, subject, dreamer["Data"], len(electrodes),
                                      target, levels)
    stimuli = [np.asarray(x, dtype=float) for x in stimuli]
    return SessionSource(path=path, ch_names=list(DREAMER_14), sfreq=sfreq, trials=trials,
                         class_names=class_names(levels), to_volts=1e-6,
                         read_trial=lambda i: stimuli[i].T[picks])


class Dreamer(Kind):
    name = "dreamer"
    suffixes = (".mat",)
    reader_keys = ("target", "levels")
    simulator = "seedflow.simulate.dreamer"
    holds_every_subject = True

    def discover(self, root, dataset, excluded):
        return [Recording(s, k, p) for s, k, p in discover(root, excluded=excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        return open_session(recording.path, recording.subject,
                            target=reader.settings["target"],
                            levels=reader.settings["levels"],
                            expected_sfreq=reader.sfreq(DREAMER_SFREQ))

    def headers(self, reader, recordings):
        found = {}
        for path in dict.fromkeys(r.path for r in recordings):  # one pass per file
            subjects = [r.subject for r in recordings if r.path == path]
            found |= {(s, "1"): h for s, h in headers(
                path, subjects, target=reader.settings["target"],
                levels=reader.settings["levels"],
                expected_sfreq=reader.sfreq(DREAMER_SFREQ)).items()}
        return {(r.subject, r.session): found[(r.subject, r.session)] for r in recordings}


KIND = Dreamer()
