"""DREAMER: one ``DREAMER.mat`` holding every subject (23 × 18 trials, 14 Emotiv channels).

``DREAMER.Data{subject}.EEG.stimuli{trial}`` is (n_samples, 14) in microvolts at 128 Hz;
``ScoreValence``, ``ScoreArousal`` and ``ScoreDominance`` are 1..5 per trial. Each subject is
one session. The labels are one score, binarised (``high`` above 3, else ``low``) or kept as
5 levels. The file is a single MATLAB struct, which scipy can only load whole: each ingest
job holds the file's arrays in memory while it keeps its own subject's trials.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import scipy.io

from seedflow.channels import DREAMER_14, pick
from seedflow.errors import DatasetError
from seedflow.io.base import SessionSource, Trial

FILE = "DREAMER.mat"
N_SUBJECTS = 23
DREAMER_SFREQ = 128.0
TARGETS = ("valence", "arousal", "dominance")


def discover(root: Path, n_subjects: int = N_SUBJECTS) -> list[tuple[str, str, Path]]:
    """(subject, "1", DREAMER.mat) per subject; the subject count is DREAMER's (23)."""
    path = Path(root) / FILE
    if not path.is_file():
        raise DatasetError(path, "file not found (expected DREAMER's DREAMER.mat)")
    return [(str(s), "1", path) for s in range(1, n_subjects + 1)]


def _as_list(value) -> list:
    return list(value) if isinstance(value, (list, tuple, np.ndarray)) else [value]


def _load(path: Path) -> dict:
    if not path.is_file():
        raise DatasetError(path, "file not found")
    try:
        mat = scipy.io.loadmat(path, variable_names=["DREAMER"], simplify_cells=True)
    except Exception as err:  # scipy raises many types for damaged files
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err
    if "DREAMER" not in mat or not isinstance(mat["DREAMER"], dict):
        raise DatasetError(path, "no struct variable 'DREAMER'")
    return mat["DREAMER"]


def class_names(levels: int) -> list[str]:
    return ["low", "high"] if levels == 2 else ["1", "2", "3", "4", "5"]


def open_session(path: Path, subject: str, *, target: str = "valence",
                 levels: int = 2, expected_sfreq: float | None = DREAMER_SFREQ
                 ) -> SessionSource:
    """One DREAMER subject as a :class:`SessionSource` (stimulus trials only)."""
    path = Path(path)
    dreamer = _load(path)
    try:
        subjects = _as_list(dreamer["Data"])
        record = subjects[int(subject) - 1]
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
