"""Dataset kind ``deap``: DEAP's preprocessed Python release, ``data_preprocessed_python/sNN.dat``.

Each ``sNN.dat`` (``s01`` .. ``s32``, one subject, one session) is a Python 2 pickle of a
dict: ``data`` (40 trials, 40 channels, 8064 samples) at 128 Hz, of which rows 0..31 are the
EEG in DEAP's Geneva order (:data:`DEAP_32`, the same for every subject in this release: the
Twente order of subjects 1-22 is only in the raw BDF files) and rows 32..39 are peripheral
signals (not read), in microvolts; and ``labels`` (40, 4): the valence, arousal, dominance
and liking ratings of each trial on 1..9 (not whole numbers). Each trial begins with a 3-s
pre-trial baseline (384 samples); the trial read is the 60 s after it, alone
(``dataset.baseline: drop``) or, as LibEER does, minus the baseline's mean second
(``subtract``: the three 1-s baseline seconds averaged per channel, subtracted from each
second of the trial). The label is one rating (``dataset.target``) split at
``dataset.threshold``: above is ``high``, below ``low``, and a rating equal to it is what
``dataset.at_threshold`` says: ``high`` as TorchEEG's ``Binary(5.0)`` (``rating >= 5``),
``low`` as LibEER's ``-bounds 5 5`` (``rating <= 5`` is low). The pickle is loaded whole
(:mod:`seedflow.datasets.pickled`; about 100 MB a subject).

Checked against TorchEEG (torcheeg/torcheeg ``datasets/module/emotion_recognition/deap.py``
@ 04a8c22a, ``datasets/constants/emotion_recognition/deap.py`` @ 1deec288,
``transforms/label/binary.py`` @ 66a56d94) and LibEER (ButterSen/LibEER
``LibEER/data_utils/load_data.py`` @ a3984666, ``data_utils/preprocess.py`` @ 4cdb10db): the
file names, Latin-1 decoding, keys, shapes, rate, channel order, baseline length, rating
order and the two binarisations.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from seedflow.datasets import pickled
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionSource,
                                   Trial, recordings_by_identity)
from seedflow.errors import DatasetError, SeedflowError

FOLDER = "data_preprocessed_python"
DEAP_SFREQ = 128.0
N_SUBJECTS, N_TRIALS, N_ROWS, N_SAMPLES = 32, 40, 40, 8064
BASELINE_SECONDS = 3
DEAP_32 = ("FP1 AF3 F3 F7 FC5 FC1 C3 T7 CP5 CP1 P3 P7 PO3 O1 OZ PZ "
           "FP2 AF4 FZ F4 F8 FC6 FC2 CZ C4 T8 CP6 CP2 P4 P8 PO4 O2").split()
RATINGS = ("valence", "arousal", "dominance", "liking")  # the columns of ``labels``
CLASS_NAMES = ("low", "high")
_FILE = re.compile(r"s(\d{2})\.dat")


def identity(path: Path) -> tuple[str, str] | None:
    """(subject, "1") of ``sNN.dat``, else None."""
    match = _FILE.fullmatch(Path(path).name)
    return (str(int(match[1])), "1") if match else None


def discover(root: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, "1", file) for every ``sNN.dat`` under ``root`` (any depth), by subject.
    Any other ``.dat`` file stops the listing, unless ``excluded``."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(root, f"folder not found (expected DEAP's {FOLDER} with s01.dat "
                                 f".. s32.dat)")
    found = recordings_by_identity(root, (".dat",), identity, excluded,
                                   "sNN.dat (DEAP's s01.dat .. s32.dat)")
    if not found:
        raise DatasetError(root, f"no DEAP recording (sNN.dat, as in DEAP's {FOLDER})")
    return [(s, k, found[(s, k)]) for s, k in sorted(found, key=lambda f: int(f[0]))]


def checked_settings(settings: dict) -> dict:
    """The reader's settings, checked where the schema cannot (it serves every kind)."""
    if settings["target"] not in RATINGS:
        raise SeedflowError(f"config key dataset.target: DEAP rates {', '.join(RATINGS)}, "
                            f"not '{settings['target']}'")
    if not 1 <= settings["threshold"] <= 9:
        raise SeedflowError(f"config key dataset.threshold: {settings['threshold']} is "
                            "outside DEAP's ratings 1..9")
    return settings


def class_index(rating: float, threshold: float, at_threshold: str) -> int:
    """``high`` (1) above ``threshold``, ``low`` (0) below, ``at_threshold`` at it."""
    if rating == threshold:
        return CLASS_NAMES.index(at_threshold)
    return int(rating > threshold)


def _array(path: Path, content: dict, key: str) -> np.ndarray:
    if key not in content:
        raise DatasetError(path, f"no '{key}' in the pickle (it holds: "
                                 f"{', '.join(map(repr, content)) or 'nothing'}); DEAP's "
                                 "files hold 'data' and 'labels'")
    value = content[key]
    if not isinstance(value, np.ndarray) or value.dtype.kind not in "fiu":
        raise DatasetError(path, f"'{key}' is {pickled.described(value)}, not an array of "
                                 "numbers")
    return value


def _ratings(path: Path, labels: np.ndarray, n_trials: int, target: str) -> np.ndarray:
    if labels.shape != (n_trials, len(RATINGS)):
        raise DatasetError(path, f"'labels' has shape {labels.shape}, expected "
                                 f"({n_trials}, {len(RATINGS)}) (trials; {', '.join(RATINGS)})")
    ratings = labels[:, RATINGS.index(target)].astype(float)
    bad = [f"trial {k}: {r:g}" for k, r in enumerate(ratings, start=1) if not 1 <= r <= 9]
    if bad:
        raise DatasetError(path, f"{target} ratings outside DEAP's 1..9 ({'; '.join(bad)})")
    return ratings


def open_session(path: Path, *, target: str, threshold: float, at_threshold: str,
                 baseline: str, sfreq: float = DEAP_SFREQ, n_trials: int = N_TRIALS,
                 n_samples: int | None = N_SAMPLES) -> SessionSource:
    """One DEAP subject file as a :class:`SessionSource` (labels ``low``/``high``);
    ``sfreq``, ``n_trials`` and ``n_samples`` (None: any) are what the file must hold."""
    path = Path(path)
    content = pickled.load(path)
    if not isinstance(content, dict):
        raise DatasetError(path, f"the pickle holds {pickled.described(content)}, not "
                                 "DEAP's dict of 'data' and 'labels'")
    data = _array(path, content, "data")
    expected = (n_trials, N_ROWS, n_samples or "n_samples")
    if data.ndim != 3 or data.shape[:2] != expected[:2] or n_samples not in (None,
                                                                              data.shape[2]):
        raise DatasetError(path, f"'data' has shape {data.shape}, expected "
                                 f"({', '.join(map(str, expected))}) (trials, channels, "
                                 "samples)")
    ratings = _ratings(path, _array(path, content, "labels"), n_trials, target)
    second = int(round(sfreq))
    start = int(round(BASELINE_SECONDS * sfreq))
    length = data.shape[2] - start
    if length <= 0:
        raise DatasetError(path, f"trials of {data.shape[2]} samples hold no more than the "
                                 f"{BASELINE_SECONDS}-s baseline ({start} samples at "
                                 f"{sfreq:g} Hz)")
    if baseline == "subtract" and (second != sfreq or length % second):
        raise DatasetError(path, f"config key dataset.baseline: 'subtract' takes the "
                                 f"baseline's mean second from each second of a trial, but "
                                 f"trials of {length} samples at {sfreq:g} Hz are not whole "
                                 "seconds")
    trials = [Trial(k, class_index(r, threshold, at_threshold), length)
              for k, r in enumerate(ratings, start=1)]

    def read_trial(index: int) -> np.ndarray:
        eeg = data[index, :len(DEAP_32)]
        if baseline == "drop":
            return eeg[:, start:]
        base = eeg[:, :start].reshape(len(DEAP_32), BASELINE_SECONDS, second).mean(axis=1)
        return eeg[:, start:] - np.tile(base, length // second)

    return SessionSource(path=path, ch_names=list(DEAP_32), sfreq=sfreq, trials=trials,
                         class_names=list(CLASS_NAMES), to_volts=1e-6, read_trial=read_trial)


class Deap(Kind):
    name = "deap"
    suffixes = (".dat",)
    reader_keys = ("target", "threshold", "at_threshold", "baseline")
    simulator = "seedflow.simulate.deap"

    def discover(self, root, dataset, excluded):
        return [Recording(s, k, p) for s, k, p in discover(root, excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        settings = checked_settings(reader.settings)
        simulated = reader.simulated
        return open_session(recording.path, **settings, sfreq=reader.sfreq(DEAP_SFREQ),
                            n_trials=simulated.trials_per_session if simulated else N_TRIALS,
                            n_samples=None if simulated else N_SAMPLES)

    def identify(self, path):
        return identity(path)


KIND = Deap()
