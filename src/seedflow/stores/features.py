"""The feature store, read and written: band features per window of one subject × session,
aligned with its ingest store, whichever way they were made (the ``features`` stage, or
SEED's official features).

Arrays: ``de`` and ``psd`` (windows, channels, bands) float32; ``trial_index`` (position of
the window's trial in the session), ``trial_id``, ``label`` and ``window_start`` (its first
sample in the ingest store) per window, int64. The ``features`` stage adds
``nonfinite_samples`` (windows, channels) and, when smoothing, ``de_unsmoothed`` and
``psd_unsmoothed``. Attributes: the ingest store's ``sfreq``, ``ch_names``, ``class_names``,
``subject``, ``session`` and trial list (``trial_ids``, ``trial_labels``, channel quality),
how the features were made (:class:`FeatureLayout`) and what non-finite data cost
(``nan_windows``, ``nan_cells``, ``nonfinite_input_windows``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from seedflow.stores import COMPRESSOR
from seedflow.stores.ingest import IngestStore

WINDOW_ARRAYS = ("trial_index", "trial_id", "label", "window_start")


@dataclass(frozen=True)
class FeatureLayout:
    """How a store's features were made: its attributes besides the session's."""

    bands: dict
    window_seconds: float
    overlap_seconds: float
    feature_sfreq: float
    de_method: str
    de_log_base: str
    psd_units: str
    filter_order: int | None
    filter_method: str | None
    smoothing: str
    smoothing_windows: int | None
    preprocessing: dict | str


def write_windows(group: zarr.Group, windows: dict[str, np.ndarray]) -> None:
    """The per-window bookkeeping arrays (:data:`WINDOW_ARRAYS`), int64."""
    for name in WINDOW_ARRAYS:
        group.create_array(name, data=np.asarray(windows[name]).astype(np.int64),
                           compressors=COMPRESSOR)


def write_attrs(group: zarr.Group, ingest: IngestStore, layout: FeatureLayout, *,
                nan_windows: int, nan_cells: int, nonfinite_input_windows: int | None,
                **extra) -> None:
    """Every attribute of the store: the session's (from its ingest store), ``layout`` and
    the non-finite counts (``extra``: more attributes, e.g. the source file)."""
    attrs = {key: ingest.attrs[key] for key in
             ("sfreq", "ch_names", "class_names", "subject", "session")}
    group.attrs.update(attrs, **ingest.trial_attrs(), **dataclasses.asdict(layout),
                       window_start_units="samples of the ingest store", **extra,
                       nan_windows=nan_windows, nan_cells=nan_cells,
                       nonfinite_input_windows=nonfinite_input_windows)


@dataclass
class FeatureStore:
    """A feature store read back into memory (small: windows × channels × bands)."""

    de: np.ndarray
    psd: np.ndarray
    trial_index: np.ndarray
    trial_id: np.ndarray
    label: np.ndarray
    window_start: np.ndarray
    attrs: dict

    @classmethod
    def open(cls, path: Path) -> "FeatureStore":
        group = zarr.open_group(path, mode="r")
        arrays = {name: group[name][:] for name in ("de", "psd", *WINDOW_ARRAYS)}
        return cls(**arrays, attrs=dict(group.attrs))
