"""What every dataset reader provides to ingest: one session as a sequence of trials."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seedflow.errors import DatasetError


@dataclass(frozen=True)
class Trial:
    """One stimulus presentation: its number in the session, class index and length
    (``origin``: what in the file it comes from, for messages)."""

    trial_id: int
    label: int
    n_samples: int
    origin: str = ""


@dataclass
class SessionSource:
    """A readable session: metadata up front, samples one trial (or one block) at a time.

    Rows returned by the read functions are ``ch_names`` then ``eog_names``. Readers of long
    continuous recordings also give ``read_block(index, start, stop)`` (samples within the
    trial) so that ingest never holds more than one block in memory. Readers that find
    channels by name give ``file_channels``: the file's name of each row.
    """

    path: Path
    ch_names: list[str]
    sfreq: float
    trials: list[Trial]
    class_names: list[str]
    to_volts: float
    read_trial: Callable[[int], np.ndarray] = field(repr=False)  # (index) -> float array (channels, n_samples)
    eog_names: list[str] = field(default_factory=list)
    read_block: Callable[[int, int, int], np.ndarray] | None = field(default=None, repr=False)
    file_channels: list[str] | None = None

    def _checked(self, data, trial: Trial, n_samples: int) -> np.ndarray:
        data = np.asarray(data)
        expected = (len(self.ch_names) + len(self.eog_names), n_samples)
        if data.shape != expected:
            raise DatasetError(
                self.path, f"trial {trial.trial_id} has shape {data.shape}, expected {expected}"
            )
        return (data * self.to_volts).astype(np.float32)

    def trial_data(self, index: int) -> np.ndarray:
        """Trial ``index`` in volts, float32, after shape checks."""
        trial = self.trials[index]
        return self._checked(self.read_trial(index), trial, trial.n_samples)

    def trial_blocks(self, index: int, block_samples: int) -> Iterator[tuple[int, np.ndarray]]:
        """(offset, samples in volts) of trial ``index``, at most ``block_samples`` at a time."""
        trial = self.trials[index]
        if self.read_block is None:
            yield 0, self.trial_data(index)
            return
        for start in range(0, trial.n_samples, block_samples):
            stop = min(start + block_samples, trial.n_samples)
            yield start, self._checked(self.read_block(index, start, stop), trial, stop - start)
