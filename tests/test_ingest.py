import shutil

import h5py
import numpy as np
import pytest
import scipy.io
import zarr

from seedflow.simulate import seed as simulate_seed
from seedflow.channels import SEED_62
from seedflow.errors import DatasetError, SeedflowError
from seedflow.datasets import seed
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore


def test_store_holds_trials_in_volts_with_boundaries(session_store_path, seed_folder):
    store = IngestStore.open(session_store_path)
    raw = scipy.io.loadmat(seed_folder / simulate_seed.session_filename(1, 1))
    n = 30 * 200
    assert store.eeg.dtype == np.float32
    assert store.eeg.shape == (62, 6 * n)
    assert store.eeg.chunks == (62, 7 * 200)
    assert store.ch_names == SEED_62
    assert store.trial_start == [k * n for k in range(6)]
    assert store.trial_stop == [(k + 1) * n for k in range(6)]
    assert store.trial_ids == [1, 2, 3, 4, 5, 6]
    # SEED labels 1, 0, -1, -1, 0, 1 -> class indices of (negative, neutral, positive)
    assert store.labels == [2, 1, 0, 0, 1, 2]
    assert store.class_names == ["negative", "neutral", "positive"]
    assert store.attrs["units"] == "V" and store.sfreq == 200
    np.testing.assert_allclose(store.trial(4), (raw["djc_eeg5"] * 1e-6).astype(np.float32))


def _write_mat(path, trials):
    with open(path, "wb") as f:
        scipy.io.savemat(f, trials)


@pytest.fixture
def labels_file(tmp_path):
    """labels_file(n): a label.mat of n SEED labels (one per trial of the session)."""
    def write(n):
        path = tmp_path / "label.mat"
        labels = [1, 0, -1, 0, 1, -1, 0, 1, -1, 1, 0][:n]
        scipy.io.savemat(path, {"label": np.array([labels])})
        return path
    return write


def test_trials_are_ordered_by_number_not_text(tmp_path, labels_file):
    rng = np.random.default_rng(0)
    order = (10, 2, 1, 11, 9, 3, 4, 5, 6, 7, 8)
    trials = {f"ab_eeg{k}": rng.standard_normal((62, 100 + k)) for k in order}
    _write_mat(tmp_path / "1_20200101.mat", trials)
    source = seed.open_session(tmp_path / "1_20200101.mat", labels_file(11))
    assert [t.trial_id for t in source.trials] == list(range(1, 12))
    assert [t.n_samples for t in source.trials] == [100 + k for k in range(1, 12)]
    np.testing.assert_allclose(source.trial_data(9), (trials["ab_eeg10"] * 1e-6).astype("f4"))


def test_matlab_v73_files_are_read_with_h5py(tmp_path, labels_file):
    data = np.random.default_rng(1).standard_normal((62, 300))
    with h5py.File(tmp_path / "2_20200101.mat", "w", userblock_size=512) as f:
        f["xy_eeg1"] = data.T  # MATLAB stores column-major: h5py sees it transposed
        f["xy_eeg2"] = data.T[:200]
    with open(tmp_path / "2_20200101.mat", "r+b") as f:  # MATLAB's v7.3 header
        f.write(b"MATLAB 7.3 MAT-file, HDF5 schema 1.00 .".ljust(124) + b"\x00\x02IM")
    source = seed.open_session(tmp_path / "2_20200101.mat", labels_file(2))
    assert [t.n_samples for t in source.trials] == [300, 200]
    np.testing.assert_allclose(source.trial_data(0), (data * 1e-6).astype("f4"))


def test_discover_orders_sessions_by_date(tmp_path):
    folder = tmp_path / "Preprocessed_EEG"
    folder.mkdir()
    for name in ("10_20140101.mat", "2_20131201.mat", "2_20131101.mat", "label.mat"):
        (folder / name).touch()
    found = [(s, k, p.name) for s, k, p in seed.discover(tmp_path)]
    assert found == [("2", "1", "2_20131101.mat"), ("2", "2", "2_20131201.mat"),
                     ("10", "1", "10_20140101.mat")]


def test_truncated_file_is_one_clear_error_and_writes_nothing(tmp_path, seed_folder):
    good = seed_folder / simulate_seed.session_filename(1, 1)
    bad = tmp_path / "1_20200101.mat"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    out = tmp_path / "out.zarr"
    with pytest.raises(DatasetError, match="1_20200101.mat"):
        source = seed.open_session(bad, seed_folder / "label.mat")
        ingest_store.write(source, out, chunk_seconds=10, attrs={})
    assert not out.exists() and not (tmp_path / "out.zarr.tmp").exists()


def test_wrong_channel_count_is_reported(tmp_path, labels_file):
    _write_mat(tmp_path / "1_20200101.mat", {"ab_eeg1": np.zeros((32, 100))})
    with pytest.raises(DatasetError, match=r"ab_eeg1 has shape \(32, 100\)"):
        seed.open_session(tmp_path / "1_20200101.mat", labels_file(1))


def test_missing_label_file_is_reported(tmp_path):
    _write_mat(tmp_path / "1_20200101.mat", {"ab_eeg1": np.zeros((62, 100))})
    with pytest.raises(DatasetError, match="label.mat: label file not found"):
        seed.open_session(tmp_path / "1_20200101.mat", tmp_path / "label.mat")


def test_failed_ingest_keeps_the_existing_store(tmp_path, session_store_path, labels_file):
    out = tmp_path / "ses-1.zarr"
    _write_mat(tmp_path / "1_20200101.mat", {"ab_eeg1": np.ones((62, 100))})
    ingest_store.write(seed.open_session(tmp_path / "1_20200101.mat", labels_file(1)), out,
                             chunk_seconds=1, attrs={})
    broken = seed.open_session(tmp_path / "1_20200101.mat", labels_file(1))
    broken.read_trial = lambda index: np.zeros((62, 5))  # shorter than announced
    with pytest.raises(DatasetError, match="trial 1 has shape"):
        ingest_store.write(broken, out, chunk_seconds=1, attrs={})
    assert IngestStore.open(out).eeg.shape == (62, 100)


def test_flat_and_nan_channels_are_flagged(tmp_path, labels_file):
    data = np.random.default_rng(2).standard_normal((62, 400))
    data[3] = 0.0
    data[10, 50:60] = np.nan
    _write_mat(tmp_path / "1_20200101.mat", {"ab_eeg1": data})
    out = tmp_path / "s.zarr"
    ingest_store.write(seed.open_session(tmp_path / "1_20200101.mat", labels_file(1)), out,
                             chunk_seconds=1, attrs={})
    assert IngestStore.open(out).bad_channels == ["AF3", "F2"]


def test_store_without_trial_quality_lists_is_refused(tmp_path, session_store_path):
    """A store lacking the per-trial lists is refused, not read as if every trial were clean."""
    old = tmp_path / "old.zarr"
    shutil.copytree(session_store_path, old)
    group = zarr.open_group(old, mode="r+")
    attrs = dict(group.attrs)
    del attrs["trial_bad_channels"], attrs["bad_trials"]
    group.attrs.clear()
    group.attrs.update(attrs)
    with pytest.raises(SeedflowError, match="old.zarr: ingest store lacks "
                                            "trial_bad_channels, bad_trials"):
        IngestStore.open(old)
