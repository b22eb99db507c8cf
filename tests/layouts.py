"""Helpers for tests: a tiny simulated dataset written in any layout, and its config."""

from __future__ import annotations

from pathlib import Path

from seedflow import datasets, simulate_layouts


def simulated_config(root: Path, layout: str, **simulation) -> dict:
    section = {"subjects": 1, "sessions": 1, "trials_per_session": 4, "trial_seconds": 4,
               "sfreq": None, "layout": layout, "seed": 3, "effect_size": 2.0, **simulation}
    return {"dataset": {"kind": "simulated", "root": str(root)}, "simulation": section,
            "results": str(root)}


def write_simulated(root: Path, layout: str, **simulation) -> dict:
    """Write every file of a tiny simulated dataset; returns its config."""
    config = simulated_config(root, layout, **simulation)
    files = {str(r.path.relative_to(root)) for r in datasets.recordings(config)}
    for relative in sorted(files | set(simulate_layouts.shared_files(config["simulation"]))):
        simulate_layouts.write(config["simulation"], relative, root)
    return config


def as_real(config: dict, kind: str, **dataset) -> dict:
    """The same files read as the real dataset ``kind`` (not as simulated)."""
    return {**config, "dataset": {"kind": kind, "root": config["dataset"]["root"], **dataset}}
