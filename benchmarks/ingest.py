"""Peak memory of ingesting one long continuous recording (default: 1 h, 62 EEG + 4 other
channels, 1000 Hz, SEED-V-like FIF with a 15-trial table) into the Zarr layout, or (with
``--dreamer``) one subject of a DREAMER.mat of the real file's size.

The recording is written first (segment by segment, noise: its content does not matter
here); ingest then runs in a child process whose peak resident memory is measured, next to
a child that only imports the same modules. Usage::

    python benchmarks/ingest.py [--minutes 60] [--sfreq 1000] [--workdir DIR] [--keep]
    python benchmarks/ingest.py --dreamer [--subject 23] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LIMIT_MIB = 1024
N_TRIALS = 15
# DREAMER: 23 subjects x 18 film clips of 65-393 s (spread evenly here), 61 s baselines,
# EEG 14 ch at 128 Hz and ECG 2 ch at 256 Hz, float64, in one compressed MATLAB struct.
DREAMER_SUBJECTS, DREAMER_CLIPS, DREAMER_BASELINE_S = 23, 18, 61
DREAMER_CLIP_S = (65, 393)


def write_recording(root: Path, minutes: float, sfreq: float) -> Path:
    """EEG_raw/1_1_20200101.fif and trial_table.tsv under ``root``; returns the FIF path."""
    import mne
    import numpy as np

    from seedflow.channels import SEED_62
    from seedflow.datasets import trial_table

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


def write_dreamer(root: Path) -> Path:
    """``root/DREAMER.mat`` with DREAMER's struct and sizes (quantised noise like Emotiv's
    0.51 uV steps, so it compresses like real data); returns its path."""
    import numpy as np
    import scipy.io

    from seedflow.channels import DREAMER_14

    rng = np.random.default_rng(0)
    clips = np.linspace(*DREAMER_CLIP_S, DREAMER_CLIPS).round().astype(int)

    def cells(seconds, sfreq, channels):
        out = np.empty((len(seconds), 1), dtype=object)
        for k, s in enumerate(seconds):
            steps = rng.integers(-60, 60, (int(s * sfreq), channels)).astype(np.float64)
            out[k, 0] = 4200.0 + 0.513 * steps
        return out

    data = np.empty((1, DREAMER_SUBJECTS), dtype=object)
    for s in range(DREAMER_SUBJECTS):
        scores = rng.integers(1, 6, (DREAMER_CLIPS, 3)).astype(float)
        data[0, s] = {
            "Age": 25.0, "Gender": "male",
            "EEG": {"baseline": cells([DREAMER_BASELINE_S] * DREAMER_CLIPS, 128, 14),
                    "stimuli": cells(clips, 128, 14)},
            "ECG": {"baseline": cells([DREAMER_BASELINE_S] * DREAMER_CLIPS, 256, 2),
                    "stimuli": cells(clips, 256, 2)},
            "ScoreValence": scores[:, :1], "ScoreArousal": scores[:, 1:2],
            "ScoreDominance": scores[:, 2:]}
    electrodes = np.empty((1, 14), dtype=object)
    electrodes[0, :] = DREAMER_14
    out = root / "DREAMER.mat"
    scipy.io.savemat(out, {"DREAMER": {
        "Data": data, "EEG_SamplingRate": 128.0, "ECG_SamplingRate": 256.0,
        "EEG_Electrodes": electrodes, "noOfSubjects": float(DREAMER_SUBJECTS),
        "noOfVideoSequences": float(DREAMER_CLIPS)}}, format="5", do_compression=True)
    return out


def _config(dataset: dict) -> dict:
    """The default config (config/config.yaml) reading ``dataset``."""
    from seedflow import config

    defaults = config.load(Path(__file__).resolve().parents[1] / "config" / "config.yaml")
    return config.merge(defaults, {"dataset": dataset})


def _ingest(config: dict, recording, root: Path) -> None:
    """The workflow's ingest step for ``recording``."""
    from seedflow import datasets
    from seedflow.datasets.base import ReaderSpec
    from seedflow.stores import ingest as ingest_store

    source = datasets.open_source(ReaderSpec.from_config(config), recording)
    ingest_store.write(source, root / "ses-1.zarr", chunk_seconds=10, attrs={})


def ingest_dreamer(root: Path, subject: str) -> None:
    """The workflow's ingest step for one DREAMER subject (runs in the child)."""
    from seedflow import datasets

    config = _config({"kind": "dreamer", "root": str(root)})
    recording = next(r for r in datasets.recordings(config) if r.subject == subject)
    _ingest(config, recording, root)


def ingest(root: Path) -> None:
    """The workflow's ingest step on the benchmark recording (runs in the child)."""
    from seedflow import datasets

    config = _config({"kind": "seed-ger", "root": str(root),
                      "trial_table": str(root / "trial_table.tsv")})
    (recording,) = datasets.recordings(config)
    _ingest(config, recording, root)


def imports_only() -> None:
    from seedflow import datasets  # noqa: F401
    from seedflow.stores import ingest  # noqa: F401


def child_peak_mib(*args: str) -> tuple[float, float]:
    """(peak RSS in MiB, wall seconds) of this script run as a child with ``args``; the
    child's own peak (``wait4``), not the largest of every child so far."""
    start = time.perf_counter()
    child = subprocess.Popen([sys.executable, __file__, *args])
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise RuntimeError(f"the child {args} failed")
    return usage.ru_maxrss / 1024, wall  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sfreq", type=float, default=1000.0)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the recording and store")
    parser.add_argument("--dreamer", action="store_true",
                        help="ingest one subject of a real-size DREAMER.mat instead")
    parser.add_argument("--subject", default="23", help="--dreamer: the subject ingested")
    parser.add_argument("--child", choices=["ingest", "imports", "write-dreamer"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--root", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "ingest":
        return ingest_dreamer(args.root, args.subject) if args.dreamer else ingest(args.root)
    if args.child == "imports":
        return imports_only()
    if args.child == "write-dreamer":
        return write_dreamer(args.root)

    root = Path(tempfile.mkdtemp(prefix="seedflow-bench-", dir=args.workdir))
    try:
        start = time.perf_counter()
        if args.dreamer:  # in a child: the writer's memory must not count as a child's peak
            subprocess.run([sys.executable, __file__, "--child", "write-dreamer", "--root",
                            str(root)], check=True)
            fif = root / "DREAMER.mat"
        else:
            fif = write_recording(root, args.minutes, args.sfreq)
        written = time.perf_counter() - start
        base, _ = child_peak_mib("--child", "imports")
        dreamer = ["--dreamer", "--subject", args.subject] if args.dreamer else []
        peak, wall = child_peak_mib("--child", "ingest", "--root", str(root), *dreamer)
        store = sum(f.stat().st_size for f in (root / "ses-1.zarr").rglob("*") if f.is_file())
        rows = [
            ("recording", f"DREAMER.mat ({DREAMER_SUBJECTS} subjects x {DREAMER_CLIPS} clips"
                          f", EEG + ECG), subject {args.subject} ingested" if args.dreamer
             else f"{args.minutes:g} min, 66 ch (62 EEG), {args.sfreq:g} Hz, FIF"),
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
