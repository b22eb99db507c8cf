"""Stores of synthetic examples (``samples.zarr``), written atomically.

- signal level: ``windows`` (n, channels, time) float32 in volts, ``label`` per window;
  attributes ``sfreq``, ``ch_names``, ``class_names``, ``units``;
- feature level: ``de`` (n, channels, bands), ``label``; attributes ``ch_names``,
  ``class_names``, ``bands``, ``de_log_base``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr

from seedflow.atomic import atomic_directory
from seedflow.stores import COMPRESSOR


def write_windows(path: Path, windows: np.ndarray, labels: np.ndarray, meta: dict) -> None:
    """Synthetic windows (n, time, channels) in volts, stored as (n, channels, time)."""
    with atomic_directory(path) as tmp:
        group = zarr.open_group(tmp, mode="w")
        group.create_array("windows", data=windows.transpose(0, 2, 1).copy(),
                           compressors=COMPRESSOR)
        group.create_array("label", data=labels)
        group.attrs.update(sfreq=meta["sfreq"], ch_names=meta["ch_names"],
                           class_names=meta["class_names"], units="V")


def write_de(path: Path, de: np.ndarray, labels: np.ndarray, *, ch_names, class_names,
             bands: dict) -> None:
    """Synthetic DE examples (n, channels, bands), natural log as the feature stage's."""
    with atomic_directory(path) as tmp:
        group = zarr.open_group(tmp, mode="w")
        group.create_array("de", data=de, compressors=COMPRESSOR)
        group.create_array("label", data=labels)
        group.attrs.update(ch_names=ch_names, class_names=class_names, bands=bands,
                           de_log_base="e")
