"""What every dataset kind provides: its recordings (:class:`Recording`), what their headers
say (:class:`SessionHeader`) and each one as a sequence of trials for ingest
(:class:`SessionSource`); :class:`Kind`, the interface one module per kind implements."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seedflow.errors import DatasetError, SeedflowError


@dataclass(frozen=True)
class Recording:
    """One subject × session of a dataset and the files it is read from (``extra_inputs``:
    files its reader needs besides the recording, such as a label file or trial table;
    ``feature_file``: SEED's official features of the session, when ``dataset.features`` is
    ``official``)."""

    subject: str
    session: str
    path: Path
    extra_inputs: tuple[Path, ...] = ()
    feature_file: Path | None = None


@dataclass(frozen=True)
class SimulatedFacts:
    """What the reader of a simulated dataset checks its files against."""

    sfreq: float
    trials_per_session: int


@dataclass(frozen=True)
class ReaderSpec:
    """How the run's recordings are read, all an ingest job's store depends on besides its
    files: the kind whose reader reads them (a simulated dataset: ``simulation.layout``),
    the ``dataset`` settings that reader uses (:attr:`Kind.reader_keys`) and, for a
    simulated dataset, what the simulator wrote (the rate replaces ``dataset.sfreq``)."""

    kind: str
    settings: dict
    simulated: SimulatedFacts | None = None

    @classmethod
    def from_config(cls, config: dict) -> "ReaderSpec":
        from seedflow import datasets
        from seedflow.simulate.signal import SimulationSpec

        found = datasets.kind_of(config)
        settings = found.settings(config["dataset"])
        if not datasets.simulated(config):
            return cls(found.name, settings)
        spec = SimulationSpec.from_config(config)
        settings.pop("sfreq", None)  # the simulation's rate is read
        return cls(found.name, settings, SimulatedFacts(spec.sfreq, spec.trials_per_session))

    def sfreq(self, published: float | None = None) -> float | None:
        """The rate to read at or expect: the simulated one, else ``dataset.sfreq`` for
        readers that take it, else the dataset's ``published`` rate (None: any)."""
        if self.simulated:
            return self.simulated.sfreq
        return self.settings["sfreq"] if "sfreq" in self.settings else published


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


def recordings_by_identity(folder: Path, extensions: tuple[str, ...],
                           identity: Callable[[Path], tuple[str, str] | None],
                           excluded: Excluded | None, naming: str) -> dict[tuple[str, str], Path]:
    """The files under ``folder`` with one of ``extensions``, keyed by the (subject, session)
    ``identity`` reads from each (None: not named as the layout's recordings are).

    A file so misnamed (see :func:`check_unmatched`) or a subject × session found twice stops
    the listing; files ``excluded`` leaves out are not looked at.
    """
    found: dict[tuple[str, str], Path] = {}
    unmatched = []
    for path in files_with(folder, extensions):
        if excluded and excluded(path):
            continue
        key = identity(path)
        if key is None:
            unmatched.append(path)
            continue
        if key in found:
            raise DatasetError(path, f"subject {key[0]} session {key[1]} is also {found[key]}")
        found[key] = path
    check_unmatched(unmatched, folder, naming)
    return found


class Kind:
    """A dataset kind: the on-disk layout of one dataset and how it is read. Each module of
    :mod:`seedflow.datasets` that defines a kind holds one instance of a subclass as
    ``KIND``; the registry (:func:`seedflow.datasets.kinds`) collects them."""

    name: str
    suffixes: tuple[str, ...]        # file types of its recordings (``seedflow predict``)
    reader_keys: tuple[str, ...] = ()  # dataset.* settings its reader uses (no paths)
    simulator: str | None = None     # module of seedflow.simulate writing the layout
    official_features = False        # SEED's ExtractedFeatures can replace the features
    chooses_channels = False         # its recordings' channels are chosen at planning
    holds_every_subject = False      # one file holds every subject (predict: --subject)

    def settings(self, dataset: dict) -> dict:
        """The reader's settings from the ``dataset`` config section."""
        return {key: dataset[key] for key in self.reader_keys}

    def discover(self, root: Path, dataset: dict, excluded: Excluded) -> list[Recording]:
        """Every recording under ``root``, sorted by subject then session."""
        raise NotImplementedError

    def open(self, reader: ReaderSpec, recording: Recording,
             run_channels: list[str] | None = None) -> SessionSource:
        """One recording opened for streaming ingest (``run_channels``: the run's channels,
        for kinds that :attr:`chooses_channels`)."""
        raise NotImplementedError

    def header(self, reader: ReaderSpec, recording: Recording) -> SessionHeader:
        """What a recording's headers say, no samples read."""
        return self.open(reader, recording).header

    def headers(self, reader: ReaderSpec, recordings: list[Recording]
                ) -> dict[tuple[str, str], SessionHeader]:
        """(subject, session) -> :meth:`header` of each recording."""
        return {(r.subject, r.session): self.header(reader, r) for r in recordings}

    def identify(self, path: Path) -> tuple[str, str] | None:
        """(subject, session) from a recording's file name, or None (``seedflow predict``)."""
        return None

    def predict_inputs(self, path: Path, labels: Path | None, dataset: dict
                       ) -> tuple[Path, ...]:
        """The files besides ``path`` its reader needs when ``seedflow predict`` reads it
        (``labels``: given with ``--labels``; ``dataset``: the training run's settings)."""
        if labels is not None:
            raise SeedflowError(f"--labels {labels}: dataset kind '{self.name}' takes its "
                                f"labels from the recording itself")
        return ()

    def simulation(self):
        """The module of :mod:`seedflow.simulate` writing this layout (None: none)."""
        return importlib.import_module(self.simulator) if self.simulator else None
