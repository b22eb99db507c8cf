"""Synthetic windows as recordings the rest of the workflow reads unchanged.

Windows of one class are concatenated, ``windows_per_trial`` at a time, into synthetic
trials (the joins between independently generated windows are discontinuities), written
(1) in the ingest Zarr layout by the ingest writer itself (so the feature and report stages
take it as any session) and (2) as an MNE FIF file with one annotation per trial naming its
class.
"""

from __future__ import annotations

from pathlib import Path

import mne
import numpy as np

from seedflow.atomic import replaced
from seedflow.channels import eeg_info
from seedflow.datasets.base import SessionSource, Trial
from seedflow.stores import ingest


def as_session(windows: np.ndarray, labels: np.ndarray, meta: dict, windows_per_trial: int,
               source: Path) -> SessionSource:
    """Windows (n, time, channels) in volts, sorted into trials of one class each."""
    trials, blocks = [], []
    for k in np.unique(labels):
        members = windows[labels == k]
        for start in range(0, len(members), windows_per_trial):
            block = np.concatenate(members[start:start + windows_per_trial], axis=0).T
            trials.append(Trial(len(trials) + 1, int(k), block.shape[1]))
            blocks.append(block)
    return SessionSource(path=source, ch_names=list(meta["ch_names"]), sfreq=meta["sfreq"],
                         trials=trials, class_names=list(meta["class_names"]), to_volts=1.0,
                         read_trial=lambda index: blocks[index])


def write_recording(windows: np.ndarray, labels: np.ndarray, meta: dict, *, zarr_path: Path,
                    fif_path: Path, windows_per_trial: int, source: Path, attrs: dict) -> None:
    """The synthetic session as an ingest Zarr store and as FIF (both written atomically)."""
    session = as_session(windows, labels, meta, windows_per_trial, source)
    ingest.write(session, zarr_path, chunk_seconds=10.0, attrs=attrs)
    store = ingest.IngestStore.open(zarr_path)
    raw = mne.io.RawArray(store.eeg[:].astype(np.float64), eeg_info(store.ch_names, store.sfreq),
                          verbose="error")
    raw.set_annotations(mne.Annotations(
        onset=np.array(store.trial_start) / store.sfreq,
        duration=(np.array(store.trial_stop) - np.array(store.trial_start)) / store.sfreq,
        description=[store.class_names[k] for k in store.labels]))
    with replaced(fif_path, ending="_eeg.fif") as tmp:
        raw.save(tmp, overwrite=True, verbose="error")
