"""Small simulated datasets taken through ingest and features, for recognition tests."""

from __future__ import annotations

from pathlib import Path

from conftest import write_seed_dataset

from seedflow.features import extraction
from seedflow.simulate import seed as simulate_seed
from seedflow.simulate.signal import SimulationSpec
from seedflow.datasets import seed
from seedflow.stores import ingest as ingest_store
from seedflow.recognition.representations import Session
from specs import feature_spec
from specs import BANDS


def make_sessions(root: Path, spec: SimulationSpec) -> list[Session]:
    """Simulate ``spec`` in SEED's layout, ingest and extract features of every session."""
    folder = write_seed_dataset(root, spec)
    sessions = []
    for subject in range(1, spec.subjects + 1):
        for session in range(1, spec.sessions + 1):
            source = seed.open_session(folder / simulate_seed.session_filename(subject, session),
                                       folder / "label.mat", sfreq=spec.sfreq)
            raw = root / "ingest" / f"sub-{subject}" / f"ses-{session}.zarr"
            ingest_store.write(source, raw, chunk_seconds=10, attrs={
                "subject": str(subject), "session": str(session), "dataset": "simulated"})
            out = root / "features" / f"sub-{subject}" / f"ses-{session}.zarr"
            extraction.extract(ingest=raw, out=out, spec=feature_spec(bands=BANDS))
            sessions.append(Session(str(subject), str(session), out, raw))
    return sessions
