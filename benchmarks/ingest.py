"""Peak memory of ingesting one long continuous recording (default: 1 h, 62 EEG + 4 other
channels, 1000 Hz, SEED-V-like FIF with a 15-trial table) into the Zarr layout.

The recording is written first (segment by segment, noise: its content does not matter
here); ingest then runs in a child process whose peak resident memory is measured, next to
a child that only imports the same modules. Usage::

    python benchmarks/ingest.py [--minutes 60] [--sfreq 1000] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MIB = 1024
N_TRIALS = 15


def write_recording(root: Path, minutes: float, sfreq: float) -> Path:
    """EEG_raw/1_1_20200101.fif and trial_table.tsv under ``root``; returns the FIF path."""
    import mne
    import numpy as np

    from seedflow.channels import SEED_62
    from seedflow.io import trial_table

    names = [*SEED_62, "M1", "M2", "VEO", "HEO"]
    info = mne.create_info(names, sfreq, ["eeg"] * 64 + ["eog"] * 2)
    seconds = minutes * 60
    period = seconds / N_TRIALS
    rows = [trial_table.TrialRow("1", k + 1, k * period + 5, (k + 1) * period - 5,
                                 str(k % 3 - 1)) for k in range(N_TRIALS)]
    trial_table.write(rows, root / "trial_table.tsv")
    out = root / "EEG_raw" / "1_1_20200101.fif"
    out.parent.mkdir(parents=True)
    rng = np.random.default_rng(0)
    parts = []
    segment = 60.0
    for i in range(int(np.ceil(seconds / segment))):
        n = int(min(segment, seconds - i * segment) * sfreq)
        part = root / f"part{i}_raw.fif"
        data = (rng.standard_normal((len(names), n), dtype=np.float32) * 1e-5).astype(float)
        mne.io.RawArray(data, info, verbose="error").save(part, verbose="error")
        parts.append(mne.io.read_raw_fif(part, verbose="error"))
    mne.concatenate_raws(parts, verbose="error").save(out, verbose="error")
    for i in range(len(parts)):
        (root / f"part{i}_raw.fif").unlink()
    return out


def ingest(root: Path) -> None:
    """The workflow's ingest step on the benchmark recording (runs in the child)."""
    from seedflow import datasets
    from seedflow.io import zarr_store

    config = {"dataset": {"kind": "seed-ger", "root": str(root),
                          "trial_table": str(root / "trial_table.tsv")}}
    (recording,) = datasets.recordings(config)
    source = datasets.open_source(config, recording)
    zarr_store.write_session(source, root / "ses-1.zarr", chunk_seconds=10, attrs={})


def imports_only() -> None:
    from seedflow import datasets  # noqa: F401
    from seedflow.io import zarr_store  # noqa: F401


def child_peak_mib(*args: str) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of this script run as a child with ``args``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, *args], check=True)
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak <= before:
        raise RuntimeError("the child's peak did not exceed an earlier child's: run again")
    return peak / 1024, wall  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sfreq", type=float, default=1000.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the recording and store")
    parser.add_argument("--child", choices=["ingest", "imports"], help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "ingest":
        return ingest(args.root)
    if args.child == "imports":
        return imports_only()

    root = Path(tempfile.mkdtemp(prefix="seedflow-bench-", dir=args.workdir))
    try:
        start = time.perf_counter()
        fif = write_recording(root, args.minutes, args.sfreq)
        written = time.perf_counter() - start
        base, _ = child_peak_mib("--child", "imports")
        peak, wall = child_peak_mib("--child", "ingest", "--root", str(root))
        store = sum(f.stat().st_size for f in (root / "ses-1.zarr").rglob("*") if f.is_file())
        rows = [
            ("recording", f"{args.minutes:g} min, 66 ch (62 EEG), {args.sfreq:g} Hz, FIF"),
            ("recording size",
             f"{fif.stat().st_size / 2**20:.0f} MiB (written in {written:.0f} s)"),
            ("Zarr store size", f"{store / 2**20:.0f} MiB"),
            ("ingest wall time", f"{wall:.1f} s"),
            ("peak RSS, imports only", f"{base:.0f} MiB"),
            ("peak RSS, ingest", f"{peak:.0f} MiB"),
            ("limit", f"{LIMIT_MIB} MiB: {'PASS' if peak < LIMIT_MIB else 'FAIL'}"),
        ]
        width = max(len(k) for k, _ in rows)
        print(f"{'measure':<{width}} | value\n{'-' * width}-|------")
        for key, value in rows:
            print(f"{key:<{width}} | {value}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
