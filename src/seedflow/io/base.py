"""What every dataset reader provides to ingest: one session as a sequence of trials."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seedflow.errors import DatasetError


@dataclass(frozen=True)
class Trial:
    """One stimulus presentation: its number in the session, class index and length."""

    trial_id: int
    label: int
    n_samples: int


@dataclass
class SessionSource:
    """A readable session: metadata up front, samples one trial at a time."""

    path: Path
    ch_names: list[str]
    sfreq: float
    trials: list[Trial]
    class_names: list[str]
    to_volts: float
    read_trial: Callable[[int], np.ndarray] = field(repr=False)  # (index) -> float array (channels, n_samples)

    def trial_data(self, index: int) -> np.ndarray:
        """Trial ``index`` in volts, float32, after shape checks."""
        trial = self.trials[index]
        data = np.asarray(self.read_trial(index))
        expected = (len(self.ch_names), trial.n_samples)
        if data.shape != expected:
            raise DatasetError(
                self.path, f"trial {trial.trial_id} has shape {data.shape}, expected {expected}"
            )
        return (data * self.to_volts).astype(np.float32)
