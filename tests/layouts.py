"""Helpers for tests: a tiny simulated dataset written in any layout, and its config; configs
completed with the defaults of config/config.yaml, as the workflow completes them."""

from __future__ import annotations

from pathlib import Path

from specs import DEFAULTS

from seedflow import config as seedflow_config
from seedflow import datasets
from seedflow.datasets.base import ReaderSpec


def complete(config: dict) -> dict:
    """``config`` over the defaults (a test names only the keys it is about)."""
    return seedflow_config.merge(DEFAULTS, config)


def recordings_of(config: dict) -> list[datasets.Recording]:
    return datasets.recordings(complete(config))


def open_source(config: dict, recording: datasets.Recording,
                run_channels: list[str] | None = None):
    """``recording`` opened as a run with ``config`` opens it."""
    return datasets.open_source(ReaderSpec.from_config(complete(config)), recording,
                                run_channels)


def simulated_config(root: Path, layout: str, **simulation) -> dict:
    section = {"subjects": 1, "sessions": 1, "trials_per_session": 4, "trial_seconds": 4,
               "sfreq": None, "layout": layout, "seed": 3, "effect_size": 2.0, **simulation}
    return complete({"dataset": {"kind": "simulated", "root": str(root)},
                     "simulation": section, "results": str(root)})


def write_simulated(root: Path, layout: str, **simulation) -> dict:
    """Write every file of a tiny simulated dataset; returns its config."""
    from seedflow.simulate.signal import SimulationSpec

    config = simulated_config(root, layout, **simulation)
    simulator = datasets.kind_of(config).simulation()
    spec = SimulationSpec.from_config(config)
    files = {str(r.path.relative_to(root)) for r in datasets.recordings(config)}
    for relative in sorted(files | set(simulator.shared_files())):
        simulator.write(spec, relative, root / relative)
    return config


def as_real(config: dict, kind: str, **dataset) -> dict:
    """The same files read as the real dataset ``kind`` (not as simulated)."""
    return {**config, "dataset": {**DEFAULTS["dataset"], "kind": kind,
                                  "root": config["dataset"]["root"], **dataset}}
