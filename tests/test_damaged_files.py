"""A damaged recording of any supported format stops ingest with one DatasetError naming the
file and what is wrong, and no store is written; an intact file of each format ingests every
sample; a full disk is one error; simulated files are the same bytes in every run."""

import errno
import os
import pickle
import re
import struct
import time
import warnings
from pathlib import Path

import h5py
import mne
import numpy as np
import pytest
import scipy.io
import zarr

from conftest import REPO
from layouts import open_source, write_simulated
from seedflow import datasets
from seedflow.simulate import seed as simulate_seed
from seedflow.errors import DatasetError, SeedflowError
from seedflow.channels import normalise
from seedflow.datasets import seed
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore

_SHARED = [REPO.parent / "shared" / "data" / "mne-testing-data",
           Path("/work/shared/data/mne-testing-data")]
SHARED = next((p for p in _SHARED if p.is_dir()), None)
needs_shared = pytest.mark.skipif(
    SHARED is None, reason="MNE's test recordings (shared/data/mne-testing-data) not found")

SFREQ = 256.0
NAMES = ["Fp1", "Fp2", "Cz", "Pz"]
# Three annotated trials covering the whole 20-s recording: (onset s, duration s, class)
TRIALS = ((0.0, 4.0, "a"), (4.0, 8.0, "b"), (12.0, 8.0, "a"))
WRITERS = {"edf": ("sub-1_eeg.edf", "edfio"), "fif": ("sub-1_eeg.fif", None),
           "brainvision": ("sub-1_eeg.vhdr", "pybv")}


def _recording(folder: Path, fmt: str) -> Path:
    """A 20-s, 4-channel recording with :data:`TRIALS` as annotations, written by MNE."""
    name, exporter = WRITERS[fmt]
    if exporter:
        pytest.importorskip(exporter, reason=f"MNE exports {fmt} with {exporter} "
                                             "(a test dependency)")
    data = np.random.default_rng(0).standard_normal((len(NAMES), int(20 * SFREQ))) * 1e-5
    raw = mne.io.RawArray(data, mne.create_info(NAMES, SFREQ, "eeg"), verbose="error")
    raw.set_annotations(mne.Annotations(*zip(*TRIALS)))
    path = folder / name
    if fmt == "fif":
        raw.save(path, verbose="error")
    else:
        mne.export.export_raw(path, raw, fmt=fmt, verbose="error")
    return path


def _shared_copy(folder: Path, name: str, *parts: str) -> Path:
    """A copy of one of MNE's test recordings (and its data file) under ``folder``."""
    for source in (name, *parts):
        (folder / ("sub-1_eeg" + Path(source).suffix)).write_bytes((SHARED / source).read_bytes())
    return folder / ("sub-1_eeg" + Path(name).suffix)


def _events(path: Path, spans) -> Path:
    events = path.with_name("sub-1_events.tsv")
    events.write_text("onset\tduration\ttrial_type\n"
                      + "".join(f"{on!r}\t{dur!r}\t{kind}\n" for on, dur, kind in spans))
    return events


def _ingest(path: Path, out: Path, events: Path | None = None, **dataset) -> None:
    """Ingest ``path`` as the workflow does (kind ``mne``: trials from events)."""
    labels = {"a": "x", "b": "y", "Comment/a": "x", "Comment/b": "y"}  # BrainVision: Comment/
    config = {"dataset": {"kind": "mne", "root": str(path.parent), "event_labels": labels,
                          **dataset},
              "simulation": {}}
    recording = datasets.Recording("1", "1", path, (events,) if events else ())
    ingest_store.write(open_source(config, recording), out, chunk_seconds=1,
                             attrs={})


def _assert_stops(path: Path, problem: str, tmp_path: Path, **ingest) -> None:
    """Ingest stops with a DatasetError naming ``path`` and ``problem`` (regex); no store."""
    out = tmp_path / "out.zarr"
    with pytest.raises(DatasetError, match=f"{re.escape(path.name)}: .*{problem}"):
        _ingest(path, out, **ingest)
    assert not out.exists() and not (tmp_path / "out.zarr.tmp").exists()


def _cut(path: Path, size: int) -> None:
    path.write_bytes(path.read_bytes()[:size])


def _overwrite(path: Path, at: int, data: bytes) -> None:
    content = bytearray(path.read_bytes())
    content[at:at + len(data)] = data
    path.write_bytes(bytes(content))


def _noise(n: int, seed: int = 1) -> bytes:
    return np.random.default_rng(seed).integers(0, 256, n, dtype=np.uint8).tobytes()


def _assert_whole(store_path: Path, path: Path, n_times: int, **read) -> None:
    """The store holds every sample of the recording, as MNE reads it whole."""
    store = IngestStore.open(store_path)
    raw = mne.io.read_raw(path, preload=True, verbose="error", **read)
    names = {normalise(name): name for name in raw.ch_names}
    expected = raw.get_data(picks=[names[normalise(name)] for name in store.ch_names])
    assert raw.n_times == n_times and store.trial_stop[-1] == n_times
    np.testing.assert_allclose(store.eeg[:], expected.astype(np.float32), rtol=1e-6)


# ---- intact files: no false alarm ----------------------------------------------------------

@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_intact_recording_ingests_every_sample(tmp_path, fmt):
    path = _recording(tmp_path, fmt)
    _ingest(path, tmp_path / "s.zarr")
    _assert_whole(tmp_path / "s.zarr", path, int(20 * SFREQ))
    assert IngestStore.open(tmp_path / "s.zarr").labels == [0, 1, 0]


@needs_shared
@pytest.mark.parametrize("name, parts, n_times, dataset, read", [
    ("test_bdf_stim_channel.bdf", (), 5000, {}, {}),
    ("test_raw_chanloc.set", ("test_raw_chanloc.fdt",), 385, {}, {}),
    ("scan41_short.cnt", (), 3070, {"cnt_data_format": "int16", "channels": ["1", "HEOG"]},
     {"data_format": "int16"}),
], ids=["bdf", "eeglab", "cnt"])
def test_intact_real_recording_ingests_every_sample(tmp_path, name, parts, n_times, dataset,
                                                    read):
    path = _shared_copy(tmp_path, name, *parts)
    sfreq = mne.io.read_raw(path, verbose="error", **read).info["sfreq"]
    half = n_times // 2
    events = _events(path, [(0.0, half / sfreq, "a"), (half / sfreq, (n_times - half) / sfreq,
                                                       "b")])
    _ingest(path, tmp_path / "s.zarr", events, **dataset)
    _assert_whole(tmp_path / "s.zarr", path, n_times, **read)


# ---- truncated files -----------------------------------------------------------------------

def test_truncated_edf_stops_instead_of_losing_trials(tmp_path):
    """The issue's case: an EDF cut to half its bytes read as 2 of 3 trials, one cut short."""
    path = _recording(tmp_path, "edf")
    _cut(path, path.stat().st_size // 2)
    _assert_stops(path, "MNE warns 'Number of records from the header does not match the "
                        "file size", tmp_path)


@needs_shared
def test_truncated_bdf(tmp_path):
    path = _shared_copy(tmp_path, "test_bdf_stim_channel.bdf")
    events = _events(path, [(0.0, 5.0, "a"), (5.0, 5.0, "b")])
    _cut(path, path.stat().st_size // 2)
    _assert_stops(path, "MNE warns 'Number of records from the header does not match",
                  tmp_path, events=events)


def test_truncated_fif(tmp_path):
    path = _recording(tmp_path, "fif")
    _cut(path, path.stat().st_size * 6 // 10)
    _assert_stops(path, r"truncated or damaged: the last of the \d+ samples its header "
                        r"announces cannot be read .*MNE warned 'Invalid tag", tmp_path)


def test_truncated_brainvision(tmp_path):
    """MNE counts BrainVision samples from the data file's size: a file cut inside a sample,
    one that loses markers, or one shorter than the header's DataPoints is an error."""
    path = _recording(tmp_path, "brainvision")
    data = path.with_suffix(".eeg")
    whole = data.read_bytes()
    frame = len(NAMES) * 4  # float32 samples
    data.write_bytes(whole[:int(15 * SFREQ) * frame + 6])
    _assert_stops(path, f"truncated data file {data.name}: {int(15 * SFREQ) * frame + 6} "
                        f"bytes are not whole samples of 4 channels x 4 bytes", tmp_path)
    data.write_bytes(whole[:int(10 * SFREQ) * frame])  # the third trial's marker is lost
    _assert_stops(path, r"MNE warns 'Omitted 1 annotation\(s\) that were outside data range",
                  tmp_path)
    header = path.read_text().replace("[Common Infos]\n",
                                      f"[Common Infos]\nDataPoints={int(20 * SFREQ)}\n")
    path.write_text(header)
    data.write_bytes(whole[:int(18 * SFREQ) * frame])  # every marker is still inside
    _assert_stops(path, f"truncated data file {data.name} holds {int(18 * SFREQ)} samples, "
                        f"the header announces {int(20 * SFREQ)} \\(DataPoints\\)", tmp_path)


@needs_shared
def test_truncated_eeglab_data_file(tmp_path):
    path = _shared_copy(tmp_path, "test_raw_chanloc.set", "test_raw_chanloc.fdt")
    events = _events(path, [(0.0, 1.0, "a")])  # a trial well before the cut
    _cut(path.with_suffix(".fdt"), path.with_suffix(".fdt").stat().st_size // 2)
    _assert_stops(path, "truncated or damaged: the last of the 385 samples its header "
                        "announces cannot be read", tmp_path, events=events)


@needs_shared
def test_truncated_cnt(tmp_path):
    path = _shared_copy(tmp_path, "scan41_short.cnt")
    events = _events(path, [(0.0, 1.0, "a")])  # a trial well before the cut
    settings = {"events": events, "cnt_data_format": "int16", "channels": ["1", "2"]}
    whole = path.read_bytes()
    event_table = struct.unpack("<i", whole[886:890])[0]
    path.write_bytes(whole[:event_table + 9 + 3 * 19])  # 3 of its 6 events (19 bytes each)
    _assert_stops(path, rf"truncated: its event table \(from byte {event_table}\) ends at "
                        rf"byte {event_table + 9 + 6 * 19}", tmp_path, **settings)
    path.write_bytes(whole[:500_000])  # inside the samples
    _assert_stops(path, "truncated", tmp_path, **settings)


# ---- damaged headers -----------------------------------------------------------------------

EDF_RECORDS = slice(236, 244)  # header field: number of data records (8 ASCII characters)


def _edf_records(path: Path) -> int:
    return int(path.read_bytes()[EDF_RECORDS])


def test_edf_header_disagreeing_with_its_data(tmp_path):
    path = _recording(tmp_path, "edf")
    records = _edf_records(path)
    _overwrite(path, EDF_RECORDS.start, f"{2 * records:<8d}".encode())
    _assert_stops(path, "Number of records from the header does not match", tmp_path)
    _overwrite(path, 256, _noise(768))  # the channel part of the header
    _assert_stops(path, "MNE cannot read this recording", tmp_path)


def test_edf_of_an_unstopped_recorder_needs_accept_warnings(tmp_path):
    """EDF allows -1 records while recording; the user may accept MNE's count by size."""
    path = _recording(tmp_path, "edf")
    _overwrite(path, EDF_RECORDS.start, b"-1      ")
    _assert_stops(path, r"Number of records .*config key dataset.accept_warnings", tmp_path)
    _ingest(path, tmp_path / "s.zarr", accept_warnings=["Number of records from the header"])
    _assert_whole(tmp_path / "s.zarr", path, int(20 * SFREQ))


@needs_shared
def test_bdf_header_damaged(tmp_path):
    path = _shared_copy(tmp_path, "test_bdf_stim_channel.bdf")
    events = _events(path, [(0.0, 5.0, "a"), (5.0, 5.0, "b")])
    records = _edf_records(path)
    _overwrite(path, EDF_RECORDS.start, f"{records + 3:<8d}".encode())
    _assert_stops(path, "Number of records from the header does not match", tmp_path,
                  events=events)
    _overwrite(path, 0, _noise(256))
    _assert_stops(path, "MNE cannot read this recording", tmp_path, events=events)


def test_fif_header_damaged(tmp_path):
    path = _recording(tmp_path, "fif")
    whole = path.read_bytes()
    # The second tag (after the 36-byte file id) points to the tag directory at the end.
    kind, _, size, _ = struct.unpack(">iiii", whole[36:52])
    assert (kind, size) == (101, 4)  # FIFF_DIR_POINTER
    _overwrite(path, 52, struct.pack(">i", 4000))
    _assert_stops(path, "MNE warns 'FIF tag directory missing", tmp_path)
    path.write_bytes(whole[:300])
    _assert_stops(path, "MNE cannot read this recording .*MNE warned 'Invalid tag", tmp_path)
    path.write_bytes(_noise(64) + whole[64:])
    _assert_stops(path, "MNE cannot read this recording", tmp_path)


def test_brainvision_header_damaged(tmp_path):
    path = _recording(tmp_path, "brainvision")
    header = path.read_bytes()
    _overwrite(path, 0, b"X" * 30)  # the first line names the format version
    _assert_stops(path, "MNE warns .*MNE-Python currently only supports header versions",
                  tmp_path)
    path.write_bytes(header.replace(b"MarkerFile=sub-1_eeg.vmrk", b"MarkerFile=lost.vmrk"))
    path.with_suffix(".vmrk").unlink()
    _assert_stops(path, "MNE warns \"MarkerFile 'lost.vmrk' not found; no annotations",
                  tmp_path)
    path.write_bytes(header[:100])
    _assert_stops(path, "MNE cannot read this recording", tmp_path)


@needs_shared
def test_cnt_header_damaged(tmp_path):
    path = _shared_copy(tmp_path, "scan41_short.cnt")
    settings = {"events": _events(path, [(0.0, 1.0, "a")]), "cnt_data_format": "int16",
                "channels": ["1", "2"]}
    whole = path.read_bytes()
    _overwrite(path, 886, struct.pack("<i", 2 * len(whole)))  # the event table's offset
    _assert_stops(path, f"truncated, or its header is damaged: the header puts the event "
                        f"table at byte {2 * len(whole)}", tmp_path, **settings)
    path.write_bytes(_noise(256) + whole[256:])
    _assert_stops(path, "MNE cannot read this recording", tmp_path, **settings)


# ---- the block-reading path ----------------------------------------------------------------

def test_warning_while_reading_samples_stops_ingest(tmp_path):
    """MNE warns only when reading: an EDF channel at a lower rate, read block by block,
    gets edge artefacts at each block."""
    edfio = pytest.importorskip("edfio", reason="writing EDF needs edfio (a test dependency)")
    rng = np.random.default_rng(0)
    path = tmp_path / "sub-1_eeg.edf"
    edfio.Edf([edfio.EdfSignal(rng.standard_normal(int(rate) * 10) * 10, sampling_frequency=rate,
                               label=label, physical_dimension="uV")
               for label, rate in (("Fp1", 256), ("Cz", 128))]).write(path)
    events = _events(path, [(0.0, 5.0, "a"), (5.0, 5.0, "b")])
    _assert_stops(path, r"MNE warns 'Loading an EDF with mixed sampling frequencies", tmp_path,
                  events=events)


# ---- SEED .mat (MATLAB v5 and v7.3) --------------------------------------------------------

SEED_TRIALS = {f"ab_eeg{k}": np.random.default_rng(k).standard_normal((62, 400))
               for k in (1, 2, 3)}


def _seed_file(path: Path, kind: str) -> Path:
    if kind == "v7.3":  # HDF5 after MATLAB's 512-byte user block
        with h5py.File(path, "w", userblock_size=512) as f:
            for name, x in SEED_TRIALS.items():
                f[name] = x.T
        with open(path, "r+b") as f:
            f.write(b"MATLAB 7.3 MAT-file, HDF5 schema 1.00 .".ljust(124) + b"\x00\x02IM")
    else:
        scipy.io.savemat(path, SEED_TRIALS, do_compression=kind == "v5-compressed")
    return path


@pytest.fixture
def seed_labels(tmp_path):
    path = tmp_path / "label.mat"
    scipy.io.savemat(path, {"label": np.array([[1, 0, -1]])})
    return path


def _damage_half(path):
    _cut(path, path.stat().st_size // 2)


SEED_DAMAGE = {  # (how, what the error says) per MATLAB file kind
    "v5": [(_damage_half, r"truncated: its variables need \d+ bytes, the file has \d+"),
           (lambda p: _cut(p, 100), "truncated: 100 bytes, shorter than the 128-byte "
                                    "MAT-file header"),
           (lambda p: _overwrite(p, 124, _noise(4)), r"cannot read MATLAB file \(Unknown mat "
                                                     r"file type"),
           (lambda p: _overwrite(p, 128, _noise(8)), r"cannot read MATLAB file \(Expecting "
                                                     r"miMATRIX type")],
    "v5-compressed": [(_damage_half, r"truncated: its variables need \d+ bytes"),
                      (lambda p: _cut(p, 200), r"truncated: its variables need \d+ bytes, "
                                               r"the file has 200")],
    "v7.3": [(_damage_half, r"truncated: its HDF5 \(MATLAB v7.3\) header says \d+ bytes, "
                            r"the file has \d+"),
             (lambda p: _cut(p, 300), r"damaged: its header says MATLAB v7.3 \(HDF5\), but "
                                      r"h5py finds no HDF5 superblock"),
             (lambda p: _overwrite(p, 512, _noise(8)), "damaged: its header says MATLAB v7.3")],
}


@pytest.mark.parametrize("kind", sorted(SEED_DAMAGE))
def test_damaged_seed_file_stops_before_ingest(tmp_path, seed_labels, kind):
    intact = _seed_file(tmp_path / "intact.mat", kind)
    ingest_store.write(seed.open_session(intact, seed_labels), tmp_path / "s.zarr",
                             chunk_seconds=1, attrs={})
    np.testing.assert_array_equal(IngestStore.open(tmp_path / "s.zarr").eeg[:],
                                  (np.hstack(list(SEED_TRIALS.values())) * 1e-6)
                                  .astype(np.float32))
    for damage, problem in SEED_DAMAGE[kind]:
        path = tmp_path / "1_20200101.mat"
        path.write_bytes(intact.read_bytes())
        damage(path)
        with pytest.raises(DatasetError, match=f"1_20200101.mat: {problem}"):
            seed.open_session(path, seed_labels)  # before anything is written


# ---- a full disk ---------------------------------------------------------------------------

def test_full_disk_is_one_error_and_keeps_the_existing_store(tmp_path, seed_labels,
                                                             monkeypatch):
    path = _seed_file(tmp_path / "1_20200101.mat", "v5")
    out = tmp_path / "ses-1.zarr"
    ingest_store.write(seed.open_session(path, seed_labels), out, chunk_seconds=1,
                             attrs={"run": "first"})
    writes = []

    def full_disk(array, key, value):
        writes.append(key)
        if len(writes) > 1:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return original(array, key, value)

    original = zarr.Array.__setitem__
    monkeypatch.setattr(zarr.Array, "__setitem__", full_disk)
    for target in (out, tmp_path / "new.zarr"):
        writes.clear()
        with pytest.raises(SeedflowError, match=f"{re.escape(target.name)}: no space left on "
                                                f"device while writing it; nothing was "
                                                f"written"):
            ingest_store.write(seed.open_session(path, seed_labels), target,
                                     chunk_seconds=1, attrs={"run": "second"})
        assert not target.with_name(target.name + ".tmp").exists()
    assert not (tmp_path / "new.zarr").exists()
    assert IngestStore.open(out).attrs["run"] == "first"


# ---- simulated files are reproducible ------------------------------------------------------

@pytest.mark.parametrize("layout", ["seed", "seed-iv", "dreamer"])
def test_simulated_mat_files_are_the_same_bytes_in_every_run(tmp_path, monkeypatch, layout):
    """scipy writes the time into a MAT-file's header; a later run must not differ."""
    settings = {"trials_per_session": 2, "trial_seconds": 2}
    write_simulated(tmp_path / "a", layout, **settings)
    monkeypatch.setattr(time, "asctime", lambda *_: "Fri Jan  2 03:04:05 2032")
    write_simulated(tmp_path / "b", layout, **settings)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.mat"))
    assert files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    if layout == "seed":
        recording = tmp_path / "a" / files[0]
        simulate_seed.write_features(recording, tmp_path / "f1.mat", sfreq=200)
        monkeypatch.undo()
        simulate_seed.write_features(recording, tmp_path / "f2.mat", sfreq=200)
        assert (tmp_path / "f1.mat").read_bytes() == (tmp_path / "f2.mat").read_bytes()


def test_marker_before_the_first_sample_is_no_damage_but_one_cut_at_the_end_is(tmp_path):
    """MNE limits annotations crossing either end of the data: at the start (a marker just
    before the first sample, as ANT amplifiers write) that is harmless; at the end the file
    was cut inside an event. (MNE does not say which end: an annotation ending at the last
    sample tells, so here the recording runs on 2 s after the last trial.)"""
    data = np.random.default_rng(0).standard_normal((len(NAMES), int(22 * SFREQ))) * 1e-5
    raw = mne.io.RawArray(data, mne.create_info(NAMES, SFREQ, "eeg"), verbose="error")
    raw.set_meas_date(0)
    annotations = mne.Annotations([-0.01, *[o for o, _, _ in TRIALS]],
                                  [0.02, *[d for _, d, _ in TRIALS]],
                                  ["Marker/Impedance", *[k for _, _, k in TRIALS]],
                                  orig_time=raw.info["meas_date"])
    path = tmp_path / "sub-1_raw.fif"
    with mne.utils.use_log_level("error"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw.set_annotations(annotations)
    raw.save(path, verbose="error")
    _ingest(path, tmp_path / "start.zarr")  # the marker at the start is only logged

    # A BrainVision data file cut at a whole sample inside the last trial (12-20 s).
    (tmp_path / "cut").mkdir()
    path = _recording(tmp_path / "cut", "brainvision")
    data = path.with_suffix(".eeg")
    data.write_bytes(data.read_bytes()[:int(16 * SFREQ) * len(NAMES) * 4])
    _assert_stops(path, r"MNE warns 'Limited 1 annotation\(s\) that were expanding "
                        r"outside the data range", tmp_path)


# ---- DEAP and FACED pickles ------------------------------------------------------------------

def _rewritten(path: Path, change) -> None:
    """``path``'s pickle loaded, changed by ``change`` and pickled again."""
    with open(path, "rb") as f:
        content = pickle.load(f)
    path.write_bytes(pickle.dumps(change(content), protocol=2))


def _without_labels(content: dict) -> dict:
    return {"data": content["data"]}


PICKLE_DAMAGE = {  # layout -> (damage, what the error says)
    "deap": [(_damage_half, r"truncated or damaged: the pickle ends at byte \d+ inside an "
                            r"item"),
             (lambda p: _cut(p, p.stat().st_size - 1), r"truncated: the pickle ends at byte "
                                                        r"\d+ before its stop mark"),
             (lambda p: _rewritten(p, _without_labels),
              r"no 'labels' in the pickle \(it holds: 'data'\); DEAP's files hold 'data' and "
              r"'labels'"),
             (lambda p: _rewritten(p, lambda c: {**c, "data": c["data"][:, :32]}),
              r"'data' has shape \(3, 32, 640\), expected \(3, 40, n_samples\)"),
             (lambda p: _rewritten(p, lambda c: {**c, "labels": c["labels"][:, :3]}),
              r"'labels' has shape \(3, 3\), expected \(3, 4\)"),
             (lambda p: _rewritten(p, lambda c: {**c, "labels": c["labels"] * 2}),
              r"valence ratings outside DEAP's 1..9 \(trial 1: 15"),
             (lambda p: _rewritten(p, lambda c: [c["data"]]),
              "the pickle holds a list, not DEAP's dict of 'data' and 'labels'")],
    "faced": [(_damage_half, r"truncated or damaged: the pickle ends at byte \d+"),
              (lambda p: _rewritten(p, lambda c: c[:, :30]),
               r"the array has shape \(28, 30, 500\), expected \(28, 32, n_samples\)"),
              (lambda p: _rewritten(p, lambda c: {"data": c}),
               "the pickle holds a dict, not FACED's array of numbers"),
              (lambda p: _rewritten(p, lambda c: c.astype(str)[:, :, :2]),
               r"the pickle holds an array of <U\d+, not FACED's array of numbers")],
}


@pytest.mark.parametrize("layout", sorted(PICKLE_DAMAGE))
def test_damaged_pickle_stops_before_ingest(tmp_path, layout):
    trials = {"deap": 3, "faced": 28}[layout]
    config = write_simulated(tmp_path / "data", layout, trials_per_session=trials,
                             trial_seconds=2)
    recording = datasets.recordings(config)[0]
    intact = recording.path.read_bytes()
    ingest_store.write(open_source(config, recording), tmp_path / "s.zarr", chunk_seconds=1,
                       attrs={})
    assert IngestStore.open(tmp_path / "s.zarr").trial_stop[-1] == trials * 2 * {
        "deap": 128, "faced": 250}[layout]
    for damage, problem in PICKLE_DAMAGE[layout]:
        recording.path.write_bytes(intact)
        damage(recording.path)
        out = tmp_path / "out.zarr"
        with pytest.raises(DatasetError, match=f"{re.escape(recording.path.name)}: {problem}"):
            ingest_store.write(open_source(config, recording), out, chunk_seconds=1, attrs={})
        assert not out.exists()


def test_damaged_real_deap_file_names_the_real_shape(tmp_path):
    """Read as the real kind, a file must hold DEAP's 40 trials of 8064 samples."""
    config = write_simulated(tmp_path / "data", "deap", trials_per_session=40,
                             trial_seconds=1)
    real = {**config, "dataset": {**config["dataset"], "kind": "deap"}}
    with pytest.raises(DatasetError, match=r"s01.dat: 'data' has shape \(40, 40, 512\), "
                                           r"expected \(40, 40, 8064\)"):
        open_source(real, datasets.recordings(real)[0])
