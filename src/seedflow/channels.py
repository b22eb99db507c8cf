"""SEED channel names, 9 x 9 electrode grids (SEED, DREAMER) and an MNE montage."""

from __future__ import annotations

import functools

import mne
import numpy as np

from seedflow.errors import DatasetError

SEED_62 = (
    "FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 "
    "T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 P5 P3 P1 PZ P2 P4 "
    "P6 P8 PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2"
).split()

DREAMER_14 = "AF3 F7 F3 FC5 T7 P7 O1 O2 P8 T8 FC6 F4 F8 AF4".split()
SEED_EOG = ("VEO", "HEO")
SEED_MASTOIDS = ("M1", "M2")

SEED_GRID = (
    "-   -   -   FP1 FPZ FP2 -   -   -",
    "-   -   -   AF3 -   AF4 -   -   -",
    "F7  F5  F3  F1  FZ  F2  F4  F6  F8",
    "FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8",
    "T7  C5  C3  C1  CZ  C2  C4  C6  T8",
    "TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8",
    "P7  P5  P3  P1  PZ  P2  P4  P6  P8",
    "-   PO7 PO5 PO3 POZ PO4 PO6 PO8 -",
    "-   -   CB1 O1  OZ  O2  CB2 -   -",
)

# DREAMER's 14 Emotiv EPOC channels at their 10-20 places on the same 9 x 9 layout.
DREAMER_14 = "AF3 F7 F3 FC5 T7 P7 O1 O2 P8 T8 FC6 F4 F8 AF4".split()

DREAMER_GRID = (
    "-   -   -   -   -   -   -   -   -",
    "-   -   -   AF3 -   AF4 -   -   -",
    "F7  -   F3  -   -   -   F4  -   F8",
    "-   FC5 -   -   -   -   -   FC6 -",
    "T7  -   -   -   -   -   -   -   T8",
    "-   -   -   -   -   -   -   -   -",
    "P7  -   -   -   -   -   -   -   P8",
    "-   -   -   -   -   -   -   -   -",
    "-   -   -   O1  -   O2  -   -   -",
)

# Cerebellar electrodes are in no built-in MNE montage (head coordinates, metres).
_EXTRA_POSITIONS = {"CB1": (-0.043, -0.106, 0.006), "CB2": (0.044, -0.107, 0.006)}


def normalise(name: str) -> str:
    """One spelling for a channel name: upper case, no spaces or reference suffix."""
    return name.strip().upper().replace(" ", "").removesuffix("-REF")


def pick(available, wanted, path) -> list[int]:
    """Index in ``available`` of each ``wanted`` channel, matched by normalised name.

    Raises :class:`DatasetError` naming ``path`` if a wanted channel is missing or a name
    occurs twice in ``available`` once normalised (FP1 and Fp1 are the same electrode).
    """
    index: dict[str, int] = {}
    duplicated = []
    for i, name in enumerate(available):
        key = normalise(name)
        if key in index:
            duplicated.append(name)
        index[key] = i
    wanted_keys = {normalise(w) for w in wanted}
    duplicated = [d for d in duplicated if normalise(d) in wanted_keys]
    if duplicated:
        raise DatasetError(path, f"duplicated channels: {', '.join(duplicated)}")
    missing = [w for w in wanted if normalise(w) not in index]
    if missing:
        raise DatasetError(path, f"missing channels: {', '.join(missing)}")
    return [index[normalise(w)] for w in wanted]


def grid_positions(ch_names, grid=SEED_GRID) -> np.ndarray:
    """(row, col) on the grid for each channel; channels absent from the grid raise."""
    where = {}
    for row, line in enumerate(grid):
        for col, cell in enumerate(line.split()):
            if cell != "-":
                where[cell] = (row, col)
    missing = [ch for ch in ch_names if normalise(ch) not in where]
    if missing:
        raise ValueError(f"channels not on the electrode grid: {', '.join(missing)}")
    return np.array([where[normalise(ch)] for ch in ch_names], dtype=int)


def grid_for(ch_names) -> tuple[str, ...]:
    """The electrode grid of a channel set: DREAMER's for its 14 channels, else SEED's."""
    if sorted(normalise(ch) for ch in ch_names) == sorted(DREAMER_14):
        return DREAMER_GRID
    return SEED_GRID


@functools.lru_cache(maxsize=1)
def _reference_positions() -> dict[str, np.ndarray]:
    montage = mne.channels.make_standard_montage("colin27_1005")
    positions = {normalise(k): v for k, v in montage.get_positions()["ch_pos"].items()}
    positions.update({k: np.array(v) for k, v in _EXTRA_POSITIONS.items()})
    return positions


def montage(ch_names) -> mne.channels.DigMontage:
    """A montage for the given channel names (any spelling); unknown names are left out."""
    positions = _reference_positions()
    known = {ch: positions[normalise(ch)] for ch in ch_names if normalise(ch) in positions}
    return mne.channels.make_dig_montage(ch_pos=known, coord_frame="head")


def eeg_info(ch_names, sfreq: float) -> mne.Info:
    """MNE measurement info with EEG channels and their positions."""
    info = mne.create_info(list(ch_names), sfreq, ch_types="eeg")
    info.set_montage(montage(ch_names), on_missing="ignore")
    return info
