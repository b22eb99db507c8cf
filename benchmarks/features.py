"""Benchmark of the feature stage: out of core (seedflow) vs in memory (MNE).

For each length, writes a 62-channel 1000 Hz recording into the ingest Zarr layout (trials
of 4 min, like SEED's), then runs in a fresh subprocess each:
- ``seedflow``: ``seedflow.features.extraction.extract`` (Dask over Zarr, FFT zero-phase path) with
  ``--workers`` threads, feature store written;
- ``mne-memory``: the whole recording loaded into memory, then per trial and band
  ``mne.filter.filter_data`` (IIR: the same Butterworth, order 4, second-order sections,
  zero phase; n_jobs=1) + NumPy DE per window, and the same periodogram PSD;
and prints a table: length, method, wall time of the work, CPU time and peak RSS of the
process (measured before the result is read back for the comparison) and the
largest relative difference of its DE and PSD from the in-memory MNE result over windows
farther than the filters' reach (12.2 s at 1000 Hz) from trial edges, where each side pads
differently. The baseline is skipped above ``--baseline-max-minutes`` (memory).

    python benchmarks/features.py --lengths 15 60 240 --workers 2

The recording is a fast stand-in for the project simulator (too slow at this size):
per channel, 1/f-like background (white noise through a one-pole low-pass, carried across
chunks), a 10 Hz alpha rhythm and 50 Hz line noise, about 20 uV, in volts.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SFREQ = 1000.0
N_CHANNELS = 62
TRIAL_SECONDS = 240
CHUNK_SECONDS = 10
HERE = Path(__file__).resolve()


def make_recording(path: Path, minutes: float, seed: int = 0) -> None:
    """Write the simulated recording (ingest layout) unless it is already there."""
    import scipy.signal
    import zarr

    from seedflow.channels import SEED_62
    from seedflow.atomic import atomic_directory
    from seedflow.stores import COMPRESSOR

    if (path / "zarr.json").exists():
        return
    n = int(minutes * 60 * SFREQ)
    chunk = int(CHUNK_SECONDS * SFREQ)
    rng = np.random.default_rng(seed)
    b, a = [1.0], [1.0, -0.97]
    state = np.zeros((N_CHANNELS, 1))
    phase = rng.uniform(0, 2 * np.pi, (N_CHANNELS, 1))
    alpha_amp = rng.uniform(2e-6, 8e-6, (N_CHANNELS, 1))
    with atomic_directory(path) as tmp:
        group = zarr.open_group(tmp, mode="w")
        eeg = group.create_array("eeg", shape=(N_CHANNELS, n), chunks=(N_CHANNELS, chunk),
                                 dtype="float32", compressors=COMPRESSOR)
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            t = np.arange(lo, hi) / SFREQ
            white = rng.standard_normal((N_CHANNELS, hi - lo)) * 4e-6
            background, state = scipy.signal.lfilter(b, a, white, axis=1, zi=state)
            x = (background + alpha_amp * np.sin(2 * np.pi * 10 * t + phase)
                 + 1e-6 * np.sin(2 * np.pi * 50 * t))
            eeg[:, lo:hi] = x.astype(np.float32)
        stops = np.minimum(np.arange(1, -(-n // int(TRIAL_SECONDS * SFREQ)) + 1)
                           * int(TRIAL_SECONDS * SFREQ), n)
        starts = np.concatenate([[0], stops[:-1]])
        group.attrs.update(sfreq=SFREQ, ch_names=list(SEED_62),
                           trial_ids=list(range(1, len(stops) + 1)),
                           trial_start=starts.tolist(), trial_stop=stops.tolist(),
                           labels=[k % 3 for k in range(len(stops))],
                           class_names=["negative", "neutral", "positive"], bad_channels=[],
                           source_file="benchmarks/features.py", units="V",
                           subject="bench", session="1")


def run_seedflow(store: Path, out: Path, workers: int) -> dict:
    from seedflow.features import extraction
    from seedflow.features.scheduling import Scheduling
    from seedflow.features.spec import FeatureSpec
    from seedflow.stores.features import FeatureStore

    spec = FeatureSpec.from_config(_defaults())
    start = time.perf_counter()
    extraction.extract(ingest=store, out=out / "features.zarr", spec=spec,
                       scheduling=Scheduling.local(workers))
    wall = time.perf_counter() - start
    peak = _peak_rss_gib()  # before reading the result back for the comparison
    stored = FeatureStore.open(out / "features.zarr")
    np.savez(out / "features.npz", de=stored.de, psd=stored.psd)
    return {"wall": wall, "peak_rss_gib": peak}


def run_mne(store: Path, out: Path, workers: int) -> dict:
    import mne
    import scipy.signal

    from seedflow.stores.ingest import IngestStore

    bands = _defaults()["features"]["bands"]
    start = time.perf_counter()
    session = IngestStore.open(store)
    data = session.eeg[:]
    win = int(SFREQ)
    de, psd = [], []
    for lo_s, hi_s in zip(session.trial_start, session.trial_stop):
        trial = data[:, lo_s:hi_s].astype(np.float64)
        n = trial.shape[1] // win
        bands_de = []
        for lo, hi in bands.values():
            y = mne.filter.filter_data(trial, SFREQ, lo, hi, method="iir", n_jobs=1,
                                       iir_params=dict(order=4, ftype="butter", output="sos"),
                                       verbose=False)
            var = y[:, : n * win].reshape(len(y), n, win).var(axis=2)
            bands_de.append(0.5 * np.log(2 * np.pi * np.e * var))
        de.append(np.stack(bands_de, axis=-1))
        freqs, p = scipy.signal.periodogram(trial[:, : n * win].reshape(len(trial), n, win),
                                            fs=SFREQ, window="hann", axis=2)
        psd.append(np.stack([p[..., (freqs >= lo) & (freqs < hi)].mean(axis=-1)
                             for lo, hi in bands.values()], axis=-1))
    de = np.concatenate(de, axis=1).transpose(1, 0, 2)
    psd = np.concatenate(psd, axis=1).transpose(1, 0, 2)
    wall = time.perf_counter() - start
    np.savez(out / "features.npz", de=de, psd=psd)
    return {"wall": wall, "peak_rss_gib": _peak_rss_gib()}


def _defaults() -> dict:
    """The default config (config/config.yaml): the features the workflow computes."""
    from seedflow import config

    return config.load(HERE.parents[1] / "config" / "config.yaml")


def _peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


METHODS = {"seedflow": run_seedflow, "mne-memory": run_mne}


def child(method: str, store: Path, out: Path, workers: int) -> None:
    """One measured run in this fresh process; prints wall, CPU time, peak RSS as JSON."""
    result = METHODS[method](store, out, workers)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["cpu"] = usage.ru_utime + usage.ru_stime
    print(json.dumps(result))


def interior_windows(store: Path) -> np.ndarray:
    """Windows whose filters never reach a trial edge (where edge padding differs)."""
    from seedflow.features.extraction import band_filters
    from seedflow.features.preprocessing import impulse_response_length
    from seedflow.stores.ingest import IngestStore

    session = IngestStore.open(store)
    bands = _defaults()["features"]["bands"]
    reach = max(impulse_response_length(s) for s in band_filters(bands, SFREQ, 4))
    keep = []
    for lo, hi in zip(session.trial_start, session.trial_stop):
        starts = np.arange((hi - lo) // int(SFREQ)) * int(SFREQ)
        keep.append((starts >= reach) & (starts + SFREQ <= hi - lo - reach))
    return np.concatenate(keep)


def max_relative_difference(a: Path, b: Path, keep: np.ndarray) -> float:
    fa, fb = np.load(a), np.load(b)
    worst = 0.0
    for name in ("de", "psd"):
        x, y = fa[name][keep].astype(np.float64), fb[name][keep].astype(np.float64)
        worst = max(worst, float(np.max(np.abs(x - y) / np.abs(y))))
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[15, 60, 240],
                        help="recording lengths in minutes (default: 15 60 240)")
    parser.add_argument("--workers", type=int, default=2,
                        help="Dask threads of the out-of-core run (MNE runs with n_jobs=1, "
                             "its faster setting on 2 cores)")
    parser.add_argument("--baseline-max-minutes", type=float, default=60,
                        help="skip the in-memory baseline above this length (memory)")
    parser.add_argument("--dir", type=Path, default=None,
                        help="where recordings are written (default: a temporary folder)")
    parser.add_argument("--child", nargs=3, metavar=("METHOD", "STORE", "OUT"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        method, store, out = args.child
        child(method, Path(store), Path(out), args.workers)
        return
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        rows = []
        print("| length | method | wall time (s) | CPU time (s) | peak RSS (GiB) | "
              "max rel. diff vs in-memory MNE |\n|---|---|---|---|---|---|", flush=True)
        for minutes in args.lengths:
            store = Path(tmp) / f"rec-{minutes:g}min.zarr"
            t0 = time.perf_counter()
            make_recording(store, minutes)
            print(f"<!-- {minutes:g} min recording written in "
                  f"{time.perf_counter() - t0:.0f} s -->", file=sys.stderr, flush=True)
            results = {}
            methods = ["seedflow"] + (["mne-memory"] if minutes <= args.baseline_max_minutes
                                      else [])
            for method in methods:
                out = Path(tmp) / f"{method}-{minutes:g}"
                out.mkdir()
                proc = subprocess.run(
                    [sys.executable, str(HERE), "--workers", str(args.workers), "--child",
                     method, str(store), str(out)], capture_output=True, text=True)
                if proc.returncode:
                    sys.exit(f"{method} on {minutes:g} min failed:\n{proc.stderr}")
                results[method] = (json.loads(proc.stdout.strip().splitlines()[-1]), out)
            keep = interior_windows(store)
            for method, (result, out) in results.items():
                if method == "mne-memory":
                    diff_text = "reference"
                elif "mne-memory" in results:
                    diff = max_relative_difference(out / "features.npz",
                                                   results["mne-memory"][1] / "features.npz",
                                                   keep)
                    diff_text = f"{diff:.1e}"
                else:
                    diff_text = "n/a (in-memory baseline skipped: does not fit)"
                row = (f"| {minutes:g} min | {method} | {result['wall']:.1f} | "
                       f"{result['cpu']:.1f} | {result['peak_rss_gib']:.2f} | {diff_text} |")
                rows.append(row)
                print(row, flush=True)
            if minutes > args.baseline_max_minutes:
                print(f"| {minutes:g} min | mne-memory | skipped | skipped | skipped | needs "
                      "the whole recording in memory |", flush=True)
            for method in results:
                shutil.rmtree(Path(tmp) / f"{method}-{minutes:g}", ignore_errors=True)
            shutil.rmtree(store, ignore_errors=True)


if __name__ == "__main__":
    main()
