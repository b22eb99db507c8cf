"""SEED-IV ``eeg_raw_data/{1,2,3}/<subject>_<yyyymmdd>.mat``: the folder is the session.

Each file holds ``<initials>_eeg1`` .. ``_eeg24`` (62, n) in microvolts, read like SEED's
files (one variable at a time). Labels are fixed per session and published with the dataset.
"""

from __future__ import annotations

import re
from pathlib import Path

from seedflow.errors import DatasetError
from seedflow.io.base import SessionSource
from seedflow.io.seed import open_trial_file

SEED_IV_CLASSES = {0: "neutral", 1: "sad", 2: "fear", 3: "happy"}
SEED_IV_LABELS = {
    "1": (1, 2, 3, 0, 2, 0, 0, 1, 0, 1, 2, 1, 1, 1, 2, 3, 2, 2, 3, 3, 0, 3, 0, 3),
    "2": (2, 1, 3, 0, 0, 2, 0, 2, 3, 3, 2, 3, 2, 0, 1, 1, 2, 1, 0, 3, 0, 1, 3, 1),
    "3": (1, 2, 2, 1, 3, 3, 3, 1, 1, 2, 1, 0, 2, 3, 3, 0, 2, 3, 0, 0, 2, 0, 1, 0),
}
FOLDER = "eeg_raw_data"
_SESSION_FILE = re.compile(r"^(\d+)_(\d{8})\.mat$")


def discover(root: Path) -> list[tuple[str, str, Path]]:
    """(subject, session, file) for every ``eeg_raw_data/<session>/<subject>_<date>.mat``."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        raise DatasetError(folder, "folder not found (expected SEED-IV's eeg_raw_data layout)")
    found = []
    for session in sorted(SEED_IV_LABELS):
        for path in (folder / session).glob("*.mat"):
            match = _SESSION_FILE.match(path.name)
            if match:
                found.append((match[1], session, path))
    if not found:
        raise DatasetError(folder, "no <session>/<subject>_<yyyymmdd>.mat files "
                                   f"(sessions {', '.join(SEED_IV_LABELS)})")
    return sorted(found, key=lambda f: (int(f[0]), f[1]))


def session_labels(session: str) -> list[int]:
    """SEED-IV's published label list of a session folder (1, 2 or 3)."""
    if session not in SEED_IV_LABELS:
        raise DatasetError(session, f"SEED-IV has sessions {', '.join(SEED_IV_LABELS)}")
    return list(SEED_IV_LABELS[session])


def open_session(path: Path, session: str, sfreq: float = 200.0) -> SessionSource:
    """A SEED-IV subject file as a :class:`SessionSource` (labels 0..3)."""
    return open_trial_file(path, session_labels(session), SEED_IV_CLASSES, sfreq=sfreq,
                           label_source=f"SEED-IV session {session} labels")
