"""SEED's official ExtractedFeatures: simulated in the real layout, streamed into the feature
store the recognition stage reads, and every bad input named."""

import dask.array as da
import h5py
import numpy as np
import pytest
import scipy.io

from conftest import write_seed_dataset
from seedflow.datasets import seed
from seedflow.features import extraction
from seedflow.simulate import seed as simulate_seed
from seedflow.features import smoothing
from seedflow.errors import DatasetError, SeedflowError
from seedflow.stores.features import FeatureStore
from seedflow.features import official as official_features
from seedflow.stores.ingest import IngestStore
from specs import feature_spec
from layouts import recordings_of


@pytest.fixture(scope="module")
def official(tmp_path_factory, seed_folder, session_store_path, tiny_spec):
    """The ExtractedFeatures file of the tiny session, next to its Preprocessed_EEG."""
    recording = seed_folder / simulate_seed.session_filename(1, 1)
    path = seed.feature_file(recording)
    simulate_seed.write_features(recording, path, tiny_spec.sfreq)
    return path


def test_simulator_writes_the_real_layout(official, tiny_spec):
    assert official.parent.name == "ExtractedFeatures"
    found = {name: shape for name, shape, _ in scipy.io.whosmat(official)}
    for k in range(1, tiny_spec.trials_per_session + 1):
        for kind in ("de", "psd"):
            for method in ("LDS", "movingAve"):
                assert found[f"{kind}_{method}{k}"] == (62, tiny_spec.trial_seconds, 5)
    mat = scipy.io.loadmat(official)
    # SEED's DE_PSD: DE = log2(100 E) per 1 s window of the microvolt trial, then smoothed
    trial = scipy.io.loadmat(official.parent.parent / "Preprocessed_EEG" / official.name)
    x = next(v for k, v in trial.items() if k.endswith("_eeg1"))
    spec = feature_spec(bands=official_features.SEED_BANDS, de_method="stft")
    de = extraction.trial_features(da.from_array(x), 200.0, spec).compute()[..., :5]
    np.testing.assert_allclose(mat["de_movingAve1"],
                               smoothing.moving_average(de, 5).transpose(1, 0, 2), rtol=1e-5)
    np.testing.assert_allclose(mat["psd_movingAve1"], smoothing.moving_average(
        2.0 ** de.astype(float) / 100, 5).transpose(1, 0, 2), rtol=1e-4)


@pytest.mark.parametrize("smoothing", official_features.SMOOTHINGS)
def test_official_features_fill_the_feature_store_layout(official, session_store_path,
                                                         tmp_path, smoothing):
    out = tmp_path / "features.zarr"
    official_features.write_store(features=official, ingest=session_store_path, out=out,
                                    smoothing=smoothing)
    store, session = FeatureStore.open(out), IngestStore.open(session_store_path)
    mat = scipy.io.loadmat(official)
    per_trial = 30
    assert store.de.shape == (6 * per_trial, 62, 5) and store.de.dtype == np.float32
    for index, trial_id in enumerate(session.trial_ids):
        rows = store.trial_id == trial_id
        np.testing.assert_array_equal(
            store.de[rows], mat[f"de_{smoothing}{trial_id}"].transpose(1, 0, 2).astype("f4"))
        np.testing.assert_array_equal(
            store.psd[rows], mat[f"psd_{smoothing}{trial_id}"].transpose(1, 0, 2).astype("f4"))
        assert (store.label[rows] == session.labels[index]).all()
        assert (store.trial_index[rows] == index).all()
        np.testing.assert_array_equal(store.window_start[rows],
                                      session.trial_start[index] + 200 * np.arange(per_trial))
    computed = tmp_path / "computed.zarr"
    extraction.extract(ingest=session_store_path, out=computed, spec=feature_spec(bands=official_features.SEED_BANDS))
    assert set(FeatureStore.open(computed).attrs) <= set(store.attrs)
    assert store.attrs["bands"] == official_features.SEED_BANDS
    assert store.attrs["de_method"].startswith("official")


def test_official_features_of_matlab_v73_files_are_read_with_h5py(official,
                                                                   session_store_path,
                                                                   tmp_path):
    v73 = tmp_path / "1_20131013.mat"
    mat = scipy.io.loadmat(official)
    with h5py.File(v73, "w", userblock_size=512) as f:
        for name in (n for n in mat if n.startswith(("de_LDS", "psd_LDS"))):
            f[name] = mat[name].T  # MATLAB stores column-major: h5py sees it transposed
    official_features.write_store(features=v73, ingest=session_store_path,
                                    out=tmp_path / "out.zarr", smoothing="LDS")
    store = FeatureStore.open(tmp_path / "out.zarr")
    np.testing.assert_array_equal(store.de[:30], mat["de_LDS1"].transpose(1, 0, 2).astype("f4"))


def _assert_fails(path, store_path, tmp_path, match, smoothing="LDS"):
    out = tmp_path / "out.zarr"
    with pytest.raises(DatasetError, match=match):
        official_features.write_store(features=path, ingest=store_path, out=out,
                                        smoothing=smoothing)
    assert not out.exists() and not (tmp_path / "out.zarr.tmp").exists()


def test_bad_official_feature_files(official, session_store_path, tmp_path):
    mat = {k: v for k, v in scipy.io.loadmat(official).items() if not k.startswith("__")}
    bad = tmp_path / "bad.mat"
    _assert_fails(tmp_path / "absent.mat", session_store_path, tmp_path,
                  "absent.mat: features file not found")
    scipy.io.savemat(bad, {k: v for k, v in mat.items() if k != "de_LDS4"})
    _assert_fails(bad, session_store_path, tmp_path, r"bad.mat: no variable de_LDS4 \(trial 4")
    scipy.io.savemat(bad, {**mat, "psd_LDS2": mat["psd_LDS2"][..., :4]})
    _assert_fails(bad, session_store_path, tmp_path,
                  r"variable psd_LDS2 has shape \(62, 30, 4\), expected \(62, T, 5\)")
    scipy.io.savemat(bad, {**mat, "de_LDS3": np.concatenate([mat["de_LDS3"]] * 2, axis=1)})
    _assert_fails(bad, session_store_path, tmp_path, r"de_LDS3 has shape \(62, 60, 5\).*T <= 30")
    bad.write_bytes(official.read_bytes()[:300])
    _assert_fails(bad, session_store_path, tmp_path, "bad.mat: truncated")
    bad.write_bytes(official.read_bytes()[:len(official.read_bytes()) // 2])
    _assert_fails(bad, session_store_path, tmp_path, "bad.mat: truncated")
    bad.write_bytes(b"not a MATLAB file" * 10)
    _assert_fails(bad, session_store_path, tmp_path, "bad.mat: cannot read MATLAB file")


def test_missing_folder_or_file_stops_the_plan(tmp_path, tiny_spec):
    write_seed_dataset(tmp_path, tiny_spec)
    config = {"dataset": {"kind": "seed", "root": str(tmp_path), "features": "official"},
              "simulation": {}}
    with pytest.raises(DatasetError, match="ExtractedFeatures: folder not found"):
        recordings_of(config)
    (tmp_path / "ExtractedFeatures").mkdir()
    with pytest.raises(DatasetError, match="ExtractedFeatures/1_20131013.mat: features file "
                                           "not found"):
        recordings_of(config)
    simulate_seed.write_features(tmp_path / "Preprocessed_EEG" / "1_20131013.mat",
                                 tmp_path / "ExtractedFeatures" / "1_20131013.mat", 200.0)
    found = recordings_of(config)
    assert found[0].feature_file == tmp_path / "ExtractedFeatures" / "1_20131013.mat"
    other = {"dataset": {"kind": "seed-iv", "root": str(tmp_path), "features": "official"}}
    with pytest.raises(SeedflowError, match="dataset.features: 'official' needs SEED's layout"):
        recordings_of(other)
