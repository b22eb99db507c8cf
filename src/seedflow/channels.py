"""Channel names (any common convention matched to standard 10-05 names), SEED's and
DREAMER's channel lists, 9 x 9 electrode grids (SEED, DREAMER), values placed on them, and
an MNE montage."""

from __future__ import annotations

import functools
import logging

import mne
import numpy as np

from seedflow.errors import DatasetError, SeedflowError

log = logging.getLogger(__name__)

SEED_62 = (
    "FP1 FPZ FP2 AF3 AF4 F7 F5 F3 F1 FZ F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCZ FC2 FC4 FC6 FT8 "
    "T7 C5 C3 C1 CZ C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPZ CP2 CP4 CP6 TP8 P7 P5 P3 P1 PZ P2 P4 "
    "P6 P8 PO7 PO5 PO3 POZ PO4 PO6 PO8 CB1 O1 OZ O2 CB2"
).split()

# DREAMER's 14 Emotiv EPOC channels (their 10-20 places on the 9 x 9 grid: DREAMER_GRID).
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


# Old 10-20 names of the temporal electrodes and their 10-05 names.
OLD_NAMES = {"T3": "T7", "T4": "T8", "T5": "P7", "T6": "P8"}
# Prefixes of clinical systems (EDF from Nihon Kohden, Natus: "EEG Fp1-Ref", "POL Fp1").
_PREFIXES = ("EEG ", "POL ")
# Reference suffixes after a hyphen: a channel "Fp1-A1" is Fp1 recorded against A1.
_REFERENCE_SUFFIXES = frozenset(
    "REF LE RE AR AV AVG CAR A1 A2 A1A2 M1 M2 M1M2 LM".split())
_REFERENCE_MONTAGE = "colin27_1005"  # MNE's 10-05 montage (formerly standard_1005)


def _cleaned(name: str) -> str:
    """Upper case without prefix, trailing dots (PhysioNet "Fc5.", "Cz.."), spaces or
    reference suffix."""
    key = str(name).strip()
    for prefix in _PREFIXES:
        if key.upper().startswith(prefix):
            key = key[len(prefix):]
    key = key.upper().replace(" ", "").rstrip(".")
    stem, hyphen, suffix = key.rpartition("-")
    if hyphen and stem and suffix in _REFERENCE_SUFFIXES:
        key = stem.rstrip(".")
    return key


@functools.lru_cache(maxsize=1)
def _standard_names() -> dict[str, str]:
    """Upper-case name -> standard spelling, for every name of MNE's 10-05 montage (the old
    names T3-T6 pointing to their 10-05 names) and SEED's cerebellar CB1, CB2."""
    names = mne.channels.make_standard_montage(_REFERENCE_MONTAGE).ch_names
    table = {n.upper(): n for n in names if n.upper() not in OLD_NAMES}
    table.update({old: table[new] for old, new in OLD_NAMES.items()})
    table.update({n: n for n in _EXTRA_POSITIONS})
    return table


def standard_name(name: str) -> str | None:
    """The standard 10-05 spelling of a channel name in any common convention (case,
    trailing dots, EEG/POL prefix, reference suffix, old names T3-T6), or None if it names
    no 10-05 electrode (nor SEED's CB1, CB2)."""
    return _standard_names().get(_cleaned(name))


def normalise(name: str) -> str:
    """One key per electrode for comparing names: the upper-case 10-05 name when there is
    one ("EEG T3-Ref", "T7" and "t7." are all T7), else the cleaned upper-case name."""
    key = _cleaned(name)
    standard = _standard_names().get(key)
    return standard.upper() if standard else key


def in_standard_order(names) -> list[str]:
    """10-05 names ordered as stored by default: SEED's 62 in SEED's order, then the others
    in the order of MNE's 10-05 montage."""
    order: dict[str, int] = {}
    for key in [*SEED_62, *(v.upper() for v in _standard_names().values())]:
        order.setdefault(key, len(order))
    return sorted(names, key=lambda n: order[normalise(n)])


def pick(available, wanted, path) -> list[int]:
    """Index in ``available`` of each ``wanted`` channel, matched by :func:`normalise`.

    Raises :class:`DatasetError` naming ``path`` and listing the file's channels if a wanted
    channel is missing or one electrode occurs twice in ``available`` (FP1 and Fp1, T3 and
    T7).
    """
    index: dict[str, int] = {}
    wanted_keys = {normalise(w) for w in wanted}
    duplicated = []
    for i, name in enumerate(available):
        key = normalise(name)
        if key in index and key in wanted_keys:
            duplicated.append(f"{available[index[key]]} and {name}")
        index[key] = i
    if duplicated:
        raise DatasetError(path, f"duplicated channels: {'; '.join(duplicated)} name the same "
                                 f"electrode (the file has: {', '.join(available)})")
    missing = [w for w in wanted if normalise(w) not in index]
    if missing:
        raise DatasetError(path, f"missing channels: {', '.join(missing)} (expected: "
                                 f"{', '.join(wanted)}; the file has: {', '.join(available)})")
    return [index[normalise(w)] for w in wanted]


def grid_cells(grid) -> dict[str, tuple[int, int]]:
    """Electrode name -> its (row, col) on ``grid``."""
    return {cell: (row, col) for row, line in enumerate(grid)
            for col, cell in enumerate(line.split()) if cell != "-"}


def grid_positions(ch_names, grid=SEED_GRID) -> np.ndarray:
    """(row, col) on the grid for each channel; a channel absent from the grid raises (the
    feature GAN needs every channel on the grid; models use :func:`grid_placement`)."""
    where = grid_cells(grid)
    missing = [ch for ch in ch_names if normalise(ch) not in where]
    if missing:
        raise SeedflowError(f"channels not on the 9 x 9 electrode grid: {', '.join(missing)} "
                            f"(channels: {', '.join(ch_names)}; the grid holds "
                            f"{', '.join(where)}): the feature-level GAN and its augmentation "
                            f"need every channel on the grid: leave the others out with "
                            f"dataset.channels, or turn synthesis.feature_gan and "
                            f"synthesis.augmentation off")
    return np.array([where[normalise(ch)] for ch in ch_names], dtype=int).reshape(-1, 2)


@functools.lru_cache(maxsize=32)
def grid_placement(ch_names: tuple[str, ...], grid) -> tuple[np.ndarray, np.ndarray]:
    """(index of each channel on the grid, its (row, col)) for grid representations.

    Channels not on the grid are left out (logged once per process and channel set); no
    channel on the grid is an error: a grid model would see nothing but zeros.
    """
    where = grid_cells(grid)
    placed = [i for i, ch in enumerate(ch_names) if normalise(ch) in where]
    left_out = [ch for ch in ch_names if normalise(ch) not in where]
    if not placed:
        raise SeedflowError(f"no channel on the 9 x 9 electrode grid that grid models need "
                            f"(channels: {', '.join(ch_names)}; "
                            f"the grid holds {', '.join(where)}): use a model on flat "
                            f"features (dnn, lstm, svm, logreg) or ingest 10-05 channels "
                            f"(dataset.channels)")
    if left_out:
        log.warning("%d of %d channels are not on the 9 x 9 electrode grid and are left out "
                    "of grid representations: %s", len(left_out), len(ch_names),
                    ", ".join(left_out))
    positions = np.array([where[normalise(ch_names[i])] for i in placed], dtype=int)
    return np.array(placed, dtype=int), positions


def to_grid(values: np.ndarray, ch_names, grid=None) -> np.ndarray:
    """(..., channels, features) -> (..., rows, cols, features); empty cells are 0.

    ``grid`` defaults to the grid of the channel set (DREAMER's 14 channels or SEED's 62).
    Channels that have no cell on the grid are left out (logged); none on it is an error.
    """
    grid = grid_for(ch_names) if grid is None else grid
    placed, positions = grid_placement(tuple(ch_names), grid)
    rows, cols = len(grid), max(len(line.split()) for line in grid)
    out = np.zeros((*values.shape[:-2], rows, cols, values.shape[-1]), dtype=values.dtype)
    out[..., positions[:, 0], positions[:, 1], :] = values[..., placed, :]
    return out


def mirrored_pairs(ch_names, grid) -> list[tuple[int, int]]:
    """(left, right) indices of the channels mirrored across the grid's midline (C3 and C4),
    the left ones in grid order (row, then column): TSception's hemispheres."""
    cells = grid_cells(grid)
    placed = {cells[normalise(ch)]: i for i, ch in enumerate(ch_names)
              if normalise(ch) in cells}
    width = max(len(line.split()) for line in grid)
    return [(i, placed[(row, width - 1 - col)]) for (row, col), i in sorted(placed.items())
            if col < (width - 1) / 2 and (row, width - 1 - col) in placed]


def grid_for(ch_names) -> tuple[str, ...]:
    """The electrode grid of a channel set: DREAMER's for its 14 channels, else SEED's."""
    if sorted(normalise(ch) for ch in ch_names) == sorted(DREAMER_14):
        return DREAMER_GRID
    return SEED_GRID


@functools.lru_cache(maxsize=1)
def _reference_positions() -> dict[str, np.ndarray]:
    montage = mne.channels.make_standard_montage(_REFERENCE_MONTAGE)
    positions = {k.upper(): v for k, v in montage.get_positions()["ch_pos"].items()
                 if k.upper() not in OLD_NAMES}  # T3 is T7 (normalise maps the old names)
    positions.update({k: np.array(v) for k, v in _EXTRA_POSITIONS.items()})
    return positions


def positioned(ch_names) -> list[str]:
    """The channels that have a scalp position (a 10-05 name, or SEED's CB1, CB2)."""
    positions = _reference_positions()
    return [ch for ch in ch_names if normalise(ch) in positions]


def montage(ch_names) -> mne.channels.DigMontage:
    """A montage for the given channel names (any spelling); unknown names are left out."""
    positions = _reference_positions()
    known = {ch: positions[normalise(ch)] for ch in ch_names if normalise(ch) in positions}
    return mne.channels.make_dig_montage(ch_pos=known, coord_frame="head")


def eeg_info(ch_names, sfreq: float) -> mne.Info:
    """MNE measurement info with EEG channels and their positions (where they have one)."""
    info = mne.create_info(list(ch_names), sfreq, ch_types="eeg")
    if positioned(ch_names):
        info.set_montage(montage(ch_names), on_missing="ignore")
    return info
