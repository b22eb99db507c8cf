"""Electrode-grid representations: per-channel features placed on a 9 x 9 scalp map, and
the 4D representation of 4D-aNN, (segments, slices, 9, 9, features), built on read."""

from __future__ import annotations

import numpy as np

from seedflow.channels import grid_for, grid_placement


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


def window_groups(trial_index: np.ndarray, window_start: np.ndarray, usable: np.ndarray,
                  length: int, pad: bool) -> np.ndarray:
    """Consecutive usable windows of each trial, ``length`` at a time, as window indices.

    Returns an int array (groups, length); groups never cross trials nor an unusable window
    (each run of consecutive usable windows is grouped on its own). A run's last, incomplete
    group is dropped (``pad=False``) or completed with -1 entries (``pad=True``).
    """
    groups = []
    for trial in np.unique(trial_index):
        windows = np.flatnonzero(trial_index == trial)
        windows = windows[np.argsort(window_start[windows], kind="stable")]
        run = np.cumsum(~usable[windows])  # a new run after each unusable window
        for r in np.unique(run[usable[windows]]):
            members = windows[usable[windows] & (run == r)]
            for first in range(0, len(members), length):
                chunk = members[first:first + length]
                if len(chunk) < length:
                    if not pad:
                        continue
                    chunk = np.concatenate([chunk, np.full(length - len(chunk), -1)])
                groups.append(chunk)
    return np.array(groups, dtype=np.int64).reshape(-1, length)


def four_d(values: np.ndarray, trial_index: np.ndarray, window_start: np.ndarray,
           usable: np.ndarray, slices: int) -> tuple[np.ndarray, np.ndarray]:
    """4D-aNN's input: (segments, slices, 9, 9, 2 * bands) from per-window grids ``values``
    (windows, 9, 9, DE + natural-log PSD per band).

    Each slice is one feature window (``features.window_seconds``; 4D-aNN used 0.5 s); a
    segment is ``slices`` consecutive usable windows of one trial (a run's incomplete last
    segment is left out). Returns the 4D array and the window indices of each segment.
    """
    groups = window_groups(trial_index, window_start, usable, slices, pad=False)
    return values[groups], groups
