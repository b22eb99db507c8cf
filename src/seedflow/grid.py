"""The electrode-grid representation: per-channel features placed on a 9 x 9 scalp map."""

from __future__ import annotations

import numpy as np

from seedflow.channels import SEED_GRID, grid_positions


def to_grid(values: np.ndarray, ch_names, grid=SEED_GRID) -> np.ndarray:
    """(..., channels, features) -> (..., rows, cols, features); empty cells are 0."""
    positions = grid_positions(ch_names, grid)
    rows, cols = len(grid), max(len(line.split()) for line in grid)
    out = np.zeros((*values.shape[:-2], rows, cols, values.shape[-1]), dtype=values.dtype)
    out[..., positions[:, 0], positions[:, 1], :] = values
    return out
