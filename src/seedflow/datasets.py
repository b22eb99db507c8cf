"""Which recordings a configured dataset has, and how to open one of them.

``dataset.kind`` selects the layout; ``simulated`` is SEED's layout written by the
``simulate`` rule, so its file list comes from the config alone (nothing is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seedflow import simulate
from seedflow.errors import SeedflowError
from seedflow.io import seed
from seedflow.io.base import SessionSource

KINDS = ("simulated", "seed")


@dataclass(frozen=True)
class Recording:
    """One subject × session of a dataset and the files it is read from."""

    subject: str
    session: str
    path: Path
    extra_inputs: tuple[Path, ...] = ()


def dataset_root(config: dict) -> Path:
    root = config["dataset"].get("root")
    if root:
        return Path(root)
    if config["dataset"]["kind"] == "simulated":
        return Path(config["results"]) / "simulated"
    raise SeedflowError(f"config key dataset.root: required for dataset.kind "
                        f"'{config['dataset']['kind']}'")


def recordings(config: dict) -> list[Recording]:
    """Every subject × session, sorted by subject then session."""
    kind = config["dataset"]["kind"]
    root = dataset_root(config)
    if kind == "simulated":
        spec = simulate.SimulationSpec.from_config(config["simulation"])
        folder = root / "Preprocessed_EEG"
        pairs = [(str(s), str(k), folder / simulate.session_filename(s, k))
                 for s in range(1, spec.subjects + 1) for k in range(1, spec.sessions + 1)]
    elif kind == "seed":
        pairs = seed.discover(root)
    else:
        raise SeedflowError(f"config key dataset.kind: unknown kind '{kind}' "
                            f"(known: {', '.join(KINDS)})")
    labels = root / "Preprocessed_EEG" / "label.mat"
    return [Recording(s, k, p, (labels,)) for s, k, p in pairs]


def open_source(config: dict, recording: Recording) -> SessionSource:
    """Open one recording for streaming ingest."""
    kind = config["dataset"]["kind"]
    sfreq = config["simulation"]["sfreq"] if kind == "simulated" else config["dataset"]["sfreq"]
    return seed.open_session(recording.path, recording.extra_inputs[0], sfreq=sfreq)
