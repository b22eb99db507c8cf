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


@dataclass(frozen=True)
class SessionHeader:
    """What a session's headers say, without its samples: what planning checks rest on."""

    path: Path
    ch_names: tuple[str, ...]
    sfreq: float
    trials: tuple[Trial, ...]
    class_names: tuple[str, ...]
    eog_names: tuple[str, ...] = ()
    # Readers that find channels by name: every channel of the file with its MNE type
    # ("eeg", "eog", "stim", ...), from which planning chooses the run's channels.
    channel_types: tuple[tuple[str, str], ...] = ()


@dataclass
class SessionSource:
    """A readable session: metadata up front, samples one trial (or one block) at a time.

    Rows returned by the read functions are ``ch_names`` then ``eog_names``. Readers of long
    continuous recordings also give ``read_block(index, start, stop)`` (samples within the
    trial) so that ingest never holds more than one block in memory. Readers that find
    channels by name give ``file_channels``: the file's name of each row, and
    ``left_out``: the file's other channels, each with why it is not ingested.
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
    left_out: dict[str, str] | None = None

    @property
    def header(self) -> SessionHeader:
        return SessionHeader(Path(self.path), tuple(self.ch_names), float(self.sfreq),
                             tuple(self.trials), tuple(self.class_names),
                             tuple(self.eog_names))

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


Excluded = Callable[[Path], bool]  # whether config key dataset.exclude leaves a file out


def files_with(folder: Path, extensions: tuple[str, ...]) -> list[Path]:
    """Files under ``folder`` (any depth) whose extension is one of ``extensions`` in any
    case, sorted: every file a layout's reader might take for a recording."""
    return sorted(p for p in Path(folder).rglob("*")
                  if p.suffix.lower() in extensions and p.is_file())


def check_unmatched(unmatched: list[Path], folder: Path, naming: str) -> None:
    """Stop on files that look like recordings but are not named as the layout's recordings
    are: skipping them would lose a subject or session without a word."""
    if not unmatched:
        return
    shown = [p.relative_to(folder).as_posix() for p in unmatched[:10]]
    more = f" and {len(unmatched) - 10} more" if len(unmatched) > 10 else ""
    raise DatasetError(folder, f"{len(unmatched)} file(s) look like recordings but are not "
                               f"named {naming}: {', '.join(shown)}{more}. Rename them, or "
                               "leave them out with config key dataset.exclude")
