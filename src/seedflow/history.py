"""Per-epoch training history (recognition's ``history.csv``, the GANs' ``losses.csv``): one
row per epoch, one column per logged value."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def write_history(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def read_history(path: Path) -> dict[str, np.ndarray]:
    """Columns of a history file as float arrays ("NA" becomes NaN)."""
    with open(path) as f:
        rows = list(csv.DictReader(f))

    def number(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return float("nan")
    return {key: np.array([number(r[key]) for r in rows]) for key in (rows[0] if rows else {})}
