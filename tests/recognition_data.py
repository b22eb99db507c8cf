"""Small simulated datasets taken through ingest and features, for recognition tests."""

from __future__ import annotations

from pathlib import Path

from conftest import write_seed_dataset

from seedflow import features, simulate
from seedflow.io import seed, zarr_store
from seedflow.representations import Session


def make_sessions(root: Path, spec: simulate.SimulationSpec) -> list[Session]:
    """Simulate ``spec`` in SEED's layout, ingest and extract features of every session."""
    folder = write_seed_dataset(root, spec)
    sessions = []
    for subject in range(1, spec.subjects + 1):
        for session in range(1, spec.sessions + 1):
            source = seed.open_session(folder / simulate.session_filename(subject, session),
                                       folder / "label.mat", sfreq=spec.sfreq)
            raw = root / "zarr" / f"sub-{subject}" / f"ses-{session}.zarr"
            zarr_store.write_session(source, raw, chunk_seconds=10, attrs={
                "subject": str(subject), "session": str(session), "dataset": "simulated"})
            out = root / "features" / f"sub-{subject}" / f"ses-{session}.zarr"
            features.extract(raw, out, features.FeatureSpec(bands=features.DEFAULT_BANDS))
            sessions.append(Session(str(subject), str(session), out, raw))
    return sessions
