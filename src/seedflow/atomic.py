"""Atomic writes, in one place: an output appears under its final name only once complete,
and an existing one is replaced whole or not at all.

- :func:`atomic_directory`: a folder (a Zarr store) written under a temporary sibling name
  and renamed onto its final name when complete;
- :func:`replaced`: a file written under a temporary sibling name, flushed to disk
  (``fsync``) and renamed onto its final name (``os.replace``), the rename made durable
  where the system can.
A failure or a kill leaves the final name as it was (absent, or the previous output).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from pathlib import Path

from seedflow.errors import SeedflowError

# errno -> what the user is told when a store cannot be written for lack of room
_NO_ROOM = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}


@contextlib.contextmanager
def atomic_directory(final: Path):
    """Yield a temporary sibling path; move it onto ``final`` only if the block succeeds.

    On failure the temporary path is removed (``final``, if it exists, is kept as it was);
    a full disk or quota is one :class:`SeedflowError` naming ``final``.
    """
    final = Path(final)
    tmp = final.with_name(final.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        yield tmp
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(err, OSError) and err.errno in _NO_ROOM:
            kept = "; the existing store is unchanged" if final.exists() else ""
            raise SeedflowError(f"{final}: {_NO_ROOM[err.errno]} while writing it; nothing "
                                f"was written{kept} (free some space and rerun)") from err
        raise
    old = final.with_name(final.name + ".old")
    if final.exists():
        os.replace(final, old)
    os.replace(tmp, final)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def replaced(final: Path, *, ending: str = ""):
    """Yield a temporary sibling path to write a file to; when the block succeeds, flush it
    to disk and rename it onto ``final``. On failure the temporary file is removed and
    ``final`` is kept as it was; the error propagates.

    The temporary name is ``final``'s name plus ``.tmp``, so that a leftover is never taken
    for an output (or a recording); writers that need a name ending (MNE's ``_eeg.fif``,
    ``.html``) give it as ``ending``, and ``.tmp`` goes before it.
    """
    final = Path(final)
    name = final.name
    if ending and not name.endswith(ending):
        raise ValueError(f"{final} does not end with {ending}")
    tmp = final.with_name(f"{name[:len(name) - len(ending)]}.tmp{ending}")
    try:
        yield tmp
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    with contextlib.suppress(OSError):  # make the rename durable, where the system can
        folder = os.open(final.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
