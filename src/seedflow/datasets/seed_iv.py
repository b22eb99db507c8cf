"""Dataset kind ``seed-iv``: SEED-IV's ``eeg_raw_data/{1,2,3}/<subject>_<yyyymmdd>.mat``: the folder is the session.

Each file holds ``<initials>_eeg1`` .. ``_eeg24`` (62, n) in microvolts, read like SEED's
files (one variable at a time). Labels are fixed per session and published with the dataset.
"""

from __future__ import annotations

import re
from pathlib import Path

from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionSource,
                                   recordings_by_identity)
from seedflow.datasets.seed import open_trial_file
from seedflow.errors import DatasetError

SEED_IV_CLASSES = {0: "neutral", 1: "sad", 2: "fear", 3: "happy"}
SEED_IV_LABELS = {
    "1": (1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3),
    "2": (2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1),
    "3": (1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0),
}
FOLDER = "eeg_raw_data"
_SESSION_FILE = re.compile(r"^(\d+)_(\d{8})\.mat$")


def discover(root: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, session, file) for every ``eeg_raw_data/<session>/<subject>_<date>.mat``.

    Any other ``.mat`` file under ``eeg_raw_data`` (any case, any depth) stops the listing,
    unless ``excluded``; so does a subject twice in one session.
    """
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found (expected SEED-IV's eeg_raw_data layout)")

    def identity(path: Path) -> tuple[str, str] | None:
        parts = path.relative_to(folder).parts
        match = _SESSION_FILE.match(parts[-1])
        if len(parts) != 2 or parts[0] not in SEED_IV_LABELS or not match:
            return None
        return match[1], parts[0]

    found = recordings_by_identity(folder, (".mat",), identity, excluded,
                                   f"<session>/<subject>_<yyyymmdd>.mat (sessions "
                                   f"{', '.join(SEED_IV_LABELS)})")
    if not found:
        raise DatasetError(folder, "no <session>/<subject>_<yyyymmdd>.mat files "
                                   f"(sessions {', '.join(SEED_IV_LABELS)})")
    return [(s, k, found[(s, k)]) for s, k in sorted(found, key=lambda f: (int(f[0]), f[1]))]


def session_labels(session: str) -> list[int]:
    """SEED-IV's published label list of a session folder (1, 2 or 3)."""
    if session not in SEED_IV_LABELS:
        raise DatasetError(session, f"SEED-IV has sessions {', '.join(SEED_IV_LABELS)}")
    return list(SEED_IV_LABELS[session])


def open_session(path: Path, session: str, sfreq: float = 200.0,
                 n_trials: int | None = None) -> SessionSource:
    """A SEED-IV subject file as a :class:`SessionSource` (labels 0..3): all 24 trials of
    the session, or its first ``n_trials`` (the simulated layout's shorter sessions)."""
    labels = session_labels(session)[:n_trials]
    return open_trial_file(path, labels, SEED_IV_CLASSES, sfreq=sfreq,
                           label_source=f"SEED-IV's session {session} label list")


class SeedIV(Kind):
    name = "seed-iv"
    suffixes = (".mat",)
    reader_keys = ("sfreq",)
    simulator = "seedflow.simulate.seed_iv"

    def discover(self, root, dataset, excluded):
        return [Recording(s, k, p) for s, k, p in discover(root, excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        return open_session(recording.path, recording.session, sfreq=reader.sfreq(),
                            n_trials=reader.simulated.trials_per_session
                            if reader.simulated else None)

    def identify(self, path):
        path = Path(path)  # <session>/<subject>_<date>.mat
        return path.stem.split("_")[0], path.parent.name


KIND = SeedIV()
