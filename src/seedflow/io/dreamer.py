"""DREAMER: one ``DREAMER.mat`` holding every subject (23 × 18 trials, 14 Emotiv channels).

``DREAMER.Data{subject}.EEG.stimuli{trial}`` is (n_samples, 14) in microvolts at 128 Hz;
``ScoreValence``, ``ScoreArousal`` and ``ScoreDominance`` are 1..5 per trial. Each subject is
one session. The labels are one score, binarised (``high`` above 3, else ``low``) or kept as
5 levels. The file is a single MATLAB v5/v7 struct (read by every DREAMER loader with
scipy, so not HDF5/v7.3), which scipy can only load whole (about 2 GB of arrays): the
subject's cell is streamed out of it instead (:mod:`seedflow.io.matlab_struct`), so an
ingest job holds one subject.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from seedflow.channels import DREAMER_14, pick
from seedflow.errors import DatasetError
from seedflow.io.base import SessionSource, Trial
from seedflow.io.matlab_struct import read_struct_fields

FILE = "DREAMER.mat"
N_SUBJECTS = 23
DREAMER_SFREQ = 128.0


def discover(root: Path, n_subjects: int = N_SUBJECTS) -> list[tuple[str, str, Path]]:
    """(subject, "1", DREAMER.mat) per subject; the subject count is DREAMER's (23)."""
    path = Path(root) / FILE
    if not path.is_file():
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


def open_session(path: Path, subject: str, *, target: str = "valence",
                 levels: int = 2, expected_sfreq: float | None = DREAMER_SFREQ
                 ) -> SessionSource:
    """One DREAMER subject as a :class:`SessionSource` (stimulus trials only)."""
    path = Path(path)
    dreamer = _load(path, subject)
    try:
        record = dreamer["Data"]
        stimuli = [np.asarray(x, dtype=float) for x in _as_list(record["EEG"]["stimuli"])]
        scores = np.ravel(record[f"Score{target.capitalize()}"]).astype(int)
    except (KeyError, IndexError, TypeError, ValueError) as err:
        raise DatasetError(path, f"subject {subject}: not in DREAMER's layout "
                                 f"({type(err).__name__}: {err})") from err
    sfreq = float(dreamer.get("EEG_SamplingRate", DREAMER_SFREQ))
    if expected_sfreq is not None and not np.isclose(sfreq, expected_sfreq):
        raise DatasetError(path, f"sampling rate is {sfreq:g} Hz, expected {expected_sfreq:g} Hz")
    electrodes = [str(e) for e in _as_list(dreamer.get("EEG_Electrodes", DREAMER_14))]
    picks = pick(electrodes, DREAMER_14, path)
    if len(scores) != len(stimuli):
        raise DatasetError(path, f"subject {subject}: {len(stimuli)} trials but "
                                 f"{len(scores)} {target} scores")
    if not set(scores) <= {1, 2, 3, 4, 5}:
        raise DatasetError(path, f"subject {subject}: {target} scores {sorted(set(scores))} "
                                 "are not 1..5")
    for k, x in enumerate(stimuli, start=1):
        if x.ndim != 2 or x.shape[1] != len(electrodes):
            raise DatasetError(path, f"subject {subject} trial {k} has shape {x.shape}, "
                                     f"expected (n_samples, {len(electrodes)})")
    labels = [int(s > 3) if levels == 2 else int(s) - 1 for s in scores]
    trials = [Trial(k, label, x.shape[0])
              for k, (label, x) in enumerate(zip(labels, stimuli), start=1)]
    return SessionSource(path=path, ch_names=list(DREAMER_14), sfreq=sfreq, trials=trials,
                         class_names=class_names(levels), to_volts=1e-6,
                         read_trial=lambda i: stimuli[i].T[picks])
