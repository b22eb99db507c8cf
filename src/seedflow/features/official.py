"""SEED's official features, ``ExtractedFeatures/<subject>_<yyyymmdd>.mat``, as a feature store.

Per trial ``k`` the file holds ``de_<smoothing><k>`` and ``psd_<smoothing><k>``, float64
``(62, T, 5)``: T windows of 1 s (no overlap) of the trial in ``Preprocessed_EEG``, bands
delta 1-4, theta 4-8, alpha 8-14, beta 14-31, gamma 31-50 Hz; ``<smoothing>`` is ``LDS`` or
``movingAve`` (SEED's DE is ``log2(100 E)``, its PSD the band's mean ``E`` of the squared FFT
magnitude). Asymmetry variables (``dasm_*``, ``rasm_*``, ``asm_*``, ``dcau_*``) are not read.

The store written has the feature-store layout (:mod:`seedflow.stores.features`), aligned
with the session's ingest store (trial ids, labels, ``window_start`` in its samples), so
every later stage reads it unchanged. One MATLAB variable is read at a time (h5py for v7.3
files).
"""

from __future__ import annotations

import logging
from pathlib import Path

import h5py
import numpy as np
import scipy.io
import zarr

from seedflow.atomic import atomic_directory
from seedflow.channels import SEED_62
from seedflow.datasets.matlab_struct import check_variables_end
from seedflow.errors import DatasetError
from seedflow.features.preprocessing import Preprocessing
from seedflow.features.spec import FeatureSpec
from seedflow.stores import COMPRESSOR
from seedflow.stores import features as feature_store
from seedflow.stores.ingest import IngestStore

log = logging.getLogger(__name__)

SMOOTHINGS = ("LDS", "movingAve")
# SEED's bands and windows, and how SEED's own features are computed (the simulator writes
# ExtractedFeatures files with them): the features stage's stft DE, no preprocessing.
SEED_BANDS = {"delta": [1, 4], "theta": [4, 8], "alpha": [8, 14], "beta": [14, 31],
              "gamma": [31, 50]}
WINDOW_SECONDS = 1.0
SEED_SPEC = FeatureSpec(bands=SEED_BANDS, window_seconds=WINDOW_SECONDS, overlap_seconds=0.0,
                        filter_order=4, windows_per_chunk=240, de_method="stft",
                        filter_method="fft", stft_n=None, smoothing="none",
                        smoothing_windows=5,
                        preprocessing=Preprocessing(reference=None, notch=None, bandpass=None,
                                                    bandpass_order=4, resample=None))
SEED_SMOOTHING_WINDOWS = 5  # windows of SEED's moving average (the simulator's)
KINDS = ("de", "psd")


def _variables(path: Path) -> tuple[dict[str, tuple], bool]:
    """Name -> shape (MATLAB's order) of every variable, and whether the file is HDF5."""
    if not path.is_file():
        raise DatasetError(path, "features file not found")
    hdf5 = h5py.is_hdf5(path)
    try:
        if hdf5:  # MATLAB v7.3: arrays stored transposed (column-major)
            with h5py.File(path, "r") as f:
                return {k: f[k].shape[::-1] for k in f if isinstance(f[k], h5py.Dataset)}, True
        variables = {name: shape for name, shape, _ in scipy.io.whosmat(path)}
    except Exception as err:  # scipy and h5py raise many types for damaged files
        raise DatasetError(path, f"cannot read MATLAB file ({err})") from err
    check_variables_end(path)
    return variables, False


def _read(path: Path, name: str, hdf5: bool) -> np.ndarray:
    try:
        if hdf5:
            with h5py.File(path, "r") as f:
                return np.asarray(f[name][()]).transpose()
        return scipy.io.loadmat(path, variable_names=[name])[name]
    except Exception as err:
        raise DatasetError(path, f"cannot read variable {name} ({err})") from err


def write_store(*, features: Path, ingest: Path, out: Path, smoothing: str) -> None:
    """Write the feature store ``out`` from the official features of one session
    (``features``: its ExtractedFeatures file; ``smoothing``: which of its variables).

    ``ingest`` is the session's ingest store (from the same ``Preprocessed_EEG`` file):
    its trials give the trial ids, labels and the sample each window starts at.
    """
    path = Path(features)
    if smoothing not in SMOOTHINGS:
        raise DatasetError(path, f"unknown smoothing '{smoothing}' (dataset."
                                 f"official_smoothing: one of {', '.join(SMOOTHINGS)})")
    store = IngestStore.open(ingest)
    variables, hdf5 = _variables(path)
    if not any(name.startswith(("de_", "psd_")) for name in variables):
        raise DatasetError(path, "no de_*/psd_* variables: truncated, or not an "
                                 "ExtractedFeatures file")
    win = int(round(WINDOW_SECONDS * store.sfreq))
    counts = []
    for trial_id, start, stop in zip(store.trial_ids, store.trial_start, store.trial_stop):
        fitting = (stop - start) // win
        for kind in KINDS:
            name = f"{kind}_{smoothing}{trial_id}"
            if name not in variables:
                raise DatasetError(path, f"no variable {name} (trial {trial_id} of "
                                         f"{store.attrs.get('source_file', ingest)})")
            shape = tuple(variables[name])
            if (len(shape) != 3 or shape[0] != len(SEED_62) or shape[2] != len(SEED_BANDS)
                    or shape[1] > fitting):
                raise DatasetError(path, f"variable {name} has shape {shape}, expected "
                                         f"({len(SEED_62)}, T, {len(SEED_BANDS)}) with T <= "
                                         f"{fitting} (1 s windows of trial {trial_id})")
        if variables[f"de_{smoothing}{trial_id}"] != variables[f"psd_{smoothing}{trial_id}"]:
            raise DatasetError(path, f"de_{smoothing}{trial_id} and psd_{smoothing}{trial_id}"
                                     " differ in shape")
        counts.append(int(variables[f"de_{smoothing}{trial_id}"][1]))
    total = sum(counts)
    shape = (total, len(SEED_62), len(SEED_BANDS))
    with atomic_directory(out) as tmp:
        group = zarr.open_group(tmp, mode="w")
        arrays = {kind: group.create_array(kind, shape=shape, dtype="float32",
                                           chunks=(max(1, min(total, 4096)), *shape[1:]),
                                           compressors=COMPRESSOR) for kind in KINDS}
        first, nan_windows, nan_cells = 0, 0, 0
        for index, (trial_id, n) in enumerate(zip(store.trial_ids, counts)):
            for kind in KINDS:  # (62, T, 5) -> (T, 62, 5), one variable in memory
                values = _read(path, f"{kind}_{smoothing}{trial_id}", hdf5).transpose(1, 0, 2)
                arrays[kind][first:first + n] = values.astype(np.float32)
                if kind == "de":
                    nan_windows += int((~np.isfinite(values)).any(axis=(1, 2)).sum())
                    nan_cells += int((~np.isfinite(values)).any(axis=2).sum())
            first += n
            log.info("trial %d: %d windows read", trial_id, n)
        trial_index = np.repeat(np.arange(len(counts)), counts)
        feature_store.write_windows(group, {
            "trial_index": trial_index,
            "trial_id": np.asarray(store.trial_ids, np.int64)[trial_index],
            "label": np.asarray(store.labels, np.int64)[trial_index],
            "window_start": np.concatenate(
                [store.trial_start[i] + win * np.arange(n) for i, n in enumerate(counts)]
                or [np.zeros(0)])})
        feature_store.write_attrs(
            group, store, feature_store.FeatureLayout(
                bands=SEED_BANDS, window_seconds=WINDOW_SECONDS, overlap_seconds=0.0,
                feature_sfreq=store.sfreq,
                de_method=f"official (SEED ExtractedFeatures, de_{smoothing}<trial>)",
                de_log_base="2 (log2(100 E), SEED's DE)",
                psd_units="SEED's official PSD (mean squared FFT magnitude of the band, "
                "microvolt data)", filter_order=None, filter_method=None,
                smoothing={"LDS": "lds", "movingAve": "moving_average"}[smoothing],
                smoothing_windows=None, preprocessing="none (SEED's own)"),
            source_file=str(path), nan_windows=nan_windows, nan_cells=nan_cells,
            nonfinite_input_windows=None)
    log.info("%s: %d windows x %d channels x %d bands written", out, *shape)
