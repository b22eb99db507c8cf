"""Dataset kind ``seed``: SEED's ``Preprocessed_EEG``, ``<subject>_<yyyymmdd>.mat`` files
plus ``label.mat``.

Each subject file holds one variable per trial, ``<initials>_eeg<k>``, float64
(62, n_samples) in microvolts at 200 Hz. MATLAB v7.3 files (HDF5) are read with h5py.
Only one trial is held in memory at a time. SEED's official features of a session are
``ExtractedFeatures/<same name>`` (read by :mod:`seedflow.features.official`).
"""

from __future__ import annotations

import re
from pathlib import Path

import h5py
import numpy as np
import scipy.io

from seedflow.channels import SEED_62
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionSource, Trial,
                                   check_unmatched, files_with)
from seedflow.datasets.matlab_struct import HEADER_BYTES, check_variables_end
from seedflow.errors import DatasetError, SeedflowError

SEED_CLASSES = {-1: "negative", 0: "neutral", 1: "positive"}
TRIAL_VARIABLE = re.compile(r"^[A-Za-z]+_eeg(\d+)$")
_SESSION_FILE = re.compile(r"^(\d+)_(\d{8})\.mat$")
FOLDER = "Preprocessed_EEG"
LABEL_FILE = "label.mat"
FEATURES_FOLDER = "ExtractedFeatures"


def discover(root: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, session, file) for every subject file; sessions numbered by date from 1.

    Any other ``.mat`` file under ``Preprocessed_EEG`` (any case, any depth) but
    ``label.mat`` stops the listing, unless ``excluded``.
    """
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found (expected SEED's Preprocessed_EEG layout)")
    by_subject: dict[int, list[tuple[str, Path]]] = {}
    unmatched = []
    for path in files_with(folder, (".mat",)):
        if path == folder / LABEL_FILE or (excluded and excluded(path)):
            continue
        match = _SESSION_FILE.match(path.name) if path.parent == folder else None
        if match:
            by_subject.setdefault(int(match[1]), []).append((match[2], path))
        else:
            unmatched.append(path)
    check_unmatched(unmatched, folder, f"<subject>_<yyyymmdd>.mat beside {LABEL_FILE}")
    if not by_subject:
        raise DatasetError(folder, "no <subject>_<yyyymmdd>.mat files")
    return [
        (str(subject), str(session), path)
        for subject in sorted(by_subject)
        for session, (_, path) in enumerate(sorted(by_subject[subject]), start=1)
    ]


def read_labels(path: Path) -> list[int]:
    """SEED's trial labels (-1, 0, 1) from ``label.mat``."""
    if not Path(path).is_file():
        raise DatasetError(path, "label file not found")
    try:
        labels = scipy.io.loadmat(path, variable_names=["label"]).get("label")
    except Exception as err:  # scipy raises many types for damaged files
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err
    if labels is None:
        raise DatasetError(path, "no variable 'label'")
    values = np.ravel(labels)
    if not values.size:
        raise DatasetError(path, "variable 'label' is empty")
    whole = (np.issubdtype(values.dtype, np.integer)
             or (np.issubdtype(values.dtype, np.floating) and np.isfinite(values).all()
                 and (values == np.round(values)).all()))
    if not whole:
        raise DatasetError(path, f"labels must be whole numbers (class codes), found "
                                 f"{values.tolist()}")
    return [int(v) for v in values]


def _numbers(numbers: list[int]) -> str:
    """Trial numbers as ``a..b`` when contiguous and unique, else listed."""
    if numbers == list(range(numbers[0], numbers[0] + len(numbers))):
        return f"{numbers[0]}..{numbers[-1]}"
    return str(numbers)


def trial_number(variable: str) -> int:
    """The trial number of a trial variable's name (``djc_eeg12``: 12)."""
    return int(TRIAL_VARIABLE.match(variable)[1])


def _variables(path: Path) -> tuple[list[tuple[str, tuple]], bool]:
    """(name, shape in MATLAB's order) of every variable, and whether the file is HDF5;
    one clear error for a file that is truncated or whose header is damaged."""
    if not path.is_file():
        raise DatasetError(path, "file not found")
    size = path.stat().st_size
    hdf5 = h5py.is_hdf5(path)
    try:
        if hdf5:  # MATLAB v7.3: HDF5, arrays stored transposed (column-major)
            with h5py.File(path, "r") as f:
                return [(k, f[k].shape[::-1]) for k in f if isinstance(f[k], h5py.Dataset)], True
        _check_v5_header(path, size)
        variables = [(name, shape) for name, shape, _ in scipy.io.whosmat(path)]
    except DatasetError:
        raise
    except Exception as err:  # scipy and h5py raise many types for damaged files
        stored = re.search(r"truncated file: .*stored_eof = (\d+)", str(err))
        if stored:
            raise DatasetError(path, f"truncated: its HDF5 (MATLAB v7.3) header says "
                                     f"{stored[1]} bytes, the file has {size}") from err
        check_variables_end(path)
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err
    check_variables_end(path)
    return variables, False


def _check_v5_header(path: Path, size: int) -> None:
    """A file that is not HDF5 must hold a whole MAT-file v5 header."""
    with open(path, "rb") as f:
        header = f.read(HEADER_BYTES)
    if len(header) < HEADER_BYTES:
        raise DatasetError(path, f"truncated: {size} bytes, shorter than the "
                                 f"{HEADER_BYTES}-byte MAT-file header")
    if header.startswith(b"MATLAB 7.3"):
        raise DatasetError(path, "damaged: its header says MATLAB v7.3 (HDF5), but h5py "
                                 "finds no HDF5 superblock (file cut or overwritten)")


def _trial_keys_and_lengths(path: Path) -> tuple[list[str], list[int], bool]:
    """Trial variable names sorted by number (not text), their lengths, and HDF5-ness."""
    variables, hdf5 = _variables(path)
    trials = sorted((v for v in variables if TRIAL_VARIABLE.match(v[0])),
                    key=lambda v: trial_number(v[0]))
    if not trials:
        raise DatasetError(path, "no trial variables named <initials>_eeg<k>")
    for name, shape in trials:
        if len(shape) != 2 or shape[0] != len(SEED_62):
            raise DatasetError(path, f"variable {name} has shape {shape}, "
                                     f"expected ({len(SEED_62)}, n_samples)")
    return [name for name, _ in trials], [shape[1] for _, shape in trials], hdf5


def open_session(path: Path, label_path: Path, sfreq: float = 200.0) -> SessionSource:
    """A SEED subject file as a :class:`SessionSource` (labels mapped to 0..2)."""
    return open_trial_file(path, read_labels(label_path), SEED_CLASSES, sfreq=sfreq,
                           label_source=label_path)


def open_trial_file(path: Path, labels: list[int], classes: dict[int, str], *, sfreq: float,
                    label_source) -> SessionSource:
    """A MATLAB file of ``<initials>_eeg<k>`` trials, trial k labelled ``labels[k - 1]``.

    Labels are codes of ``classes`` (code -> name); class indices follow the sorted codes.
    The file must hold trials 1 .. len(labels), each once.
    """
    path = Path(path)
    keys, lengths, hdf5 = _trial_keys_and_lengths(path)
    numbers = [trial_number(k) for k in keys]
    if numbers != list(range(1, len(labels) + 1)):
        raise DatasetError(path, f"holds trials {_numbers(numbers)} but {label_source} has "
                                 f"{len(labels)} labels, one for each trial 1..{len(labels)}")
    unknown = set(labels) - set(classes)
    if unknown:
        raise DatasetError(label_source, f"labels {sorted(unknown)} are not among the "
                                         f"class codes {sorted(classes)}")
    codes = sorted(classes)

    def read_trial(index: int) -> np.ndarray:
        try:
            if hdf5:
                with h5py.File(path, "r") as f:
                    return f[keys[index]][()].T
            return scipy.io.loadmat(path, variable_names=[keys[index]])[keys[index]]
        except Exception as err:
            raise DatasetError(path, f"cannot read variable {keys[index]} ({err})") from err

    trials = [Trial(number, codes.index(labels[number - 1]), n)
              for number, n in zip(numbers, lengths)]
    return SessionSource(path=path, ch_names=list(SEED_62), sfreq=sfreq, trials=trials,
                         class_names=[classes[c] for c in codes], to_volts=1e-6,
                         read_trial=read_trial)


def feature_file(recording: Path) -> Path:
    """``<root>/ExtractedFeatures/<name>`` for ``<root>/Preprocessed_EEG/<name>``."""
    recording = Path(recording)
    return recording.parent.parent / FEATURES_FOLDER / recording.name


def check_features_present(recordings: list[Path]) -> None:
    """Fail before any job if the folder or a session's features file is missing."""
    for path in map(feature_file, recordings):
        if not path.parent.is_dir():
            raise DatasetError(path.parent, "folder not found (dataset.features: official "
                                            "reads SEED's ExtractedFeatures folder)")
        if not path.is_file():
            raise DatasetError(path, "features file not found (one per Preprocessed_EEG "
                                     "file, same name)")


class Seed(Kind):
    name = "seed"
    suffixes = (".mat",)
    reader_keys = ("sfreq",)
    simulator = "seedflow.simulate.seed"
    official_features = True

    def discover(self, root, dataset, excluded):
        labels = (Path(root) / FOLDER / LABEL_FILE,)
        return [Recording(s, k, p, labels) for s, k, p in discover(root, excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        return open_session(recording.path, recording.extra_inputs[0],
                            sfreq=reader.sfreq())

    def identify(self, path):
        return Path(path).stem.split("_")[0], "1"  # the session is the date's rank

    def predict_inputs(self, path, labels, dataset):
        labels = labels or Path(path).with_name(LABEL_FILE)
        if not labels.is_file():
            raise SeedflowError(f"{path}: a SEED .mat recording needs its {LABEL_FILE} "
                                f"(--labels)")
        return (labels,)


KIND = Seed()
