"""Trial tables: where each trial of a continuous recording starts and ends, and its label.

A user's table is a TSV file with a header and the columns ``session``, ``trial``,
``start_s``, ``end_s``, ``label`` (times in seconds from the start of the recording), and an
optional ``subject`` column for rows that apply to one subject only. Rows without a subject
apply to every subject of that session. Tables are read, never guessed.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from seedflow.errors import DatasetError

COLUMNS = ("session", "trial", "start_s", "end_s", "label")


@dataclass(frozen=True)
class TrialRow:
    """One trial of a session: its number, time span (s) and label (code or class name)."""

    session: str
    trial: int
    start_s: float
    end_s: float
    label: str
    subject: str | None = None


def read(path: Path) -> list[TrialRow]:
    """Every row of a trial-table TSV, checked (one clear error naming the file and line)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(path, "trial table not found")
    with open(path, newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise DatasetError(path, f"trial table lacks columns {', '.join(missing)} "
                                     f"(needs tab-separated {', '.join(COLUMNS)})")
        rows = []
        for line, row in enumerate(reader, start=2):
            try:
                item = TrialRow(session=row["session"].strip(), trial=int(row["trial"]),
                                start_s=float(row["start_s"]), end_s=float(row["end_s"]),
                                label=row["label"].strip(),
                                subject=(row.get("subject") or "").strip() or None)
            except (TypeError, ValueError, AttributeError) as err:
                raise DatasetError(path, f"line {line}: {err}") from err
            if not 0 <= item.start_s < item.end_s:
                raise DatasetError(path, f"line {line}: trial {item.trial} has start_s "
                                         f"{item.start_s} and end_s {item.end_s}")
            rows.append(item)
    seen = set()
    for row in rows:
        key = (row.subject, row.session, row.trial)
        if key in seen:
            raise DatasetError(path, f"trial {row.trial} of session {row.session} is listed "
                                     "twice")
        seen.add(key)
    if not rows:
        raise DatasetError(path, "trial table has no rows")
    _check_no_overlap(rows, path)
    return rows


def _check_no_overlap(rows: list[TrialRow], path: Path) -> None:
    """Trials of one session may not share samples: windows of the same samples on both
    sides of a train/test split would leak."""
    groups: dict[tuple, list[TrialRow]] = {}
    for row in rows:
        groups.setdefault((row.subject, row.session), []).append(row)
    for (subject, session), group in groups.items():
        group = sorted(group, key=lambda r: r.start_s)
        for before, after in zip(group, group[1:]):
            if after.start_s < before.end_s:
                whose = f"subject {subject} " if subject else ""
                raise DatasetError(path, f"{whose}session {session}: trial {after.trial} "
                                         f"({after.start_s:g}-{after.end_s:g} s) overlaps "
                                         f"trial {before.trial} ({before.start_s:g}-"
                                         f"{before.end_s:g} s)")


def rows_for(rows: list[TrialRow], subject: str, session: str, source) -> list[TrialRow]:
    """Rows of one subject × session (subject-specific rows win), sorted by trial number."""
    own = [r for r in rows if r.session == session and r.subject == subject]
    chosen = own or [r for r in rows if r.session == session and r.subject is None]
    if not chosen:
        raise DatasetError(source, f"no trials for subject {subject} session {session}")
    return sorted(chosen, key=lambda r: r.trial)


def write(rows: list[TrialRow], path: Path) -> None:
    """Write a trial table TSV (the format :func:`read` accepts)."""
    with open(path, "w", newline="") as f:
        writer = csv.writer(f, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for r in rows:
            writer.writerow([r.session, r.trial, f"{r.start_s:g}", f"{r.end_s:g}", r.label])
