"""Shared fixtures: small simulated SEED data written in the real layout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from seedflow import config as seedflow_config  # noqa: E402
from seedflow.datasets import seed  # noqa: E402
from seedflow.simulate import seed as simulate_seed  # noqa: E402
from seedflow.simulate.signal import SimulationSpec  # noqa: E402
from seedflow.stores import ingest as ingest_store  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TINY = REPO / "tests" / "tiny.yaml"


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the workflow's Snakefile in ``workdir`` with this interpreter's snakemake."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(REPO / "Snakefile"),
         "--directory", str(workdir), *args],
        capture_output=True, text=True, env=env, timeout=1200)


def predict_cli(*args: str) -> subprocess.CompletedProcess:
    """``seedflow predict`` in a process of its own, as a user runs it: it takes a fold's
    Keras backend (a workflow fold's: config key keras_backend, JAX by default), which the
    test process, holding Keras already, cannot switch to."""
    return subprocess.run([sys.executable, "-m", "seedflow.cli", "predict", *args],
                          capture_output=True, text=True, timeout=600)


def write_seed_dataset(root: Path, spec: SimulationSpec) -> Path:
    """Simulated Preprocessed_EEG folder for ``spec``; returns the folder."""
    for relative in [rel for _, _, rel in simulate_seed.recordings(spec)]:
        simulate_seed.write(spec, relative, root / relative)
    simulate_seed.write(spec, simulate_seed.LABEL_FILE, root / simulate_seed.LABEL_FILE)
    return root / seed.FOLDER


def simulation_spec(**fields) -> SimulationSpec:
    """A simulated dataset: the fields given, the others as config/config.yaml's
    ``simulation`` section."""
    config = seedflow_config.load(REPO / "config" / "config.yaml")
    config["simulation"].update(fields)
    return SimulationSpec.from_config(config)


@pytest.fixture(scope="session")
def tiny_spec() -> SimulationSpec:
    return simulation_spec(subjects=1, sessions=1, trials_per_session=6, trial_seconds=30,
                           effect_size=2.0, seed=7)


@pytest.fixture(scope="session")
def seed_folder(tmp_path_factory, tiny_spec) -> Path:
    return write_seed_dataset(tmp_path_factory.mktemp("seed"), tiny_spec)


@pytest.fixture(scope="session")
def session_store_path(tmp_path_factory, seed_folder, tiny_spec) -> Path:
    source = seed.open_session(seed_folder / simulate_seed.session_filename(1, 1),
                               seed_folder / "label.mat", sfreq=tiny_spec.sfreq)
    out = tmp_path_factory.mktemp("ingest") / "ses-1.zarr"
    ingest_store.write(source, out, chunk_seconds=7,
                       attrs={"subject": "1", "session": "1", "dataset": "simulated"})
    return out


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One complete run of the workflow on tests/tiny.yaml, shared by every test that reads
    its outputs (working directory, finished process)."""
    workdir = tmp_path_factory.mktemp("tiny_run")
    return workdir, snakemake(workdir, "--cores", "2", "--configfile", str(TINY))
