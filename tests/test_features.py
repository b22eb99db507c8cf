import logging

import numpy as np
import pytest
import scipy.signal
import zarr

from seedflow import features
from seedflow.features import FeatureSpec, FeatureStore
from seedflow.io.zarr_store import SessionStore

SPEC = FeatureSpec(bands=features.DEFAULT_BANDS, window_seconds=1.0, windows_per_chunk=3)


def _store(tmp_path, data, lengths, sfreq=200.0, chunk=250):
    group = zarr.open_group(tmp_path / "s.zarr", mode="w")
    group.create_array("eeg", data=data.astype(np.float32), chunks=(data.shape[0], chunk))
    stops = np.cumsum(lengths)
    group.attrs.update(sfreq=sfreq, ch_names=[f"C{k}" for k in range(data.shape[0])],
                       trial_ids=list(range(1, len(lengths) + 1)),
                       trial_start=(stops - lengths).tolist(), trial_stop=stops.tolist(),
                       labels=[k % 3 for k in range(len(lengths))],
                       class_names=["a", "b", "c"], bad_channels=[], subject="1",
                       session="1")
    return SessionStore.open(tmp_path / "s.zarr")


def _reference(store, spec):
    """In-memory reference: filter each whole trial, then DE and PSD per window."""
    sfreq, win = store.sfreq, int(spec.window_seconds * store.sfreq)
    de, psd = [], []
    for start, stop in zip(store.trial_start, store.trial_stop):
        trial = store.eeg[:, start:stop].astype(np.float64)
        n = trial.shape[1] // win
        bands_de = []
        for sos in features.band_filters(spec.bands, sfreq, spec.filter_order):
            y = scipy.signal.sosfiltfilt(sos, trial, axis=1)[:, : n * win]
            bands_de.append(0.5 * np.log(2 * np.pi * np.e * y.reshape(-1, n, win).var(axis=2)))
        de.append(np.stack(bands_de, axis=-1))
        freqs, p = scipy.signal.periodogram(trial[:, : n * win].reshape(-1, n, win),
                                            fs=sfreq, window="hann", axis=2,
                                            scaling="density")
        psd.append(np.stack([p[..., (freqs >= lo) & (freqs < hi)].mean(axis=-1)
                             for lo, hi in spec.bands.values()], axis=-1))
    return (np.concatenate(de, axis=1).transpose(1, 0, 2),
            np.concatenate(psd, axis=1).transpose(1, 0, 2))


@pytest.mark.parametrize("lengths", [[1730, 2401, 999], [4000]])
def test_equals_in_memory_reference_across_chunk_boundaries(tmp_path, lengths):
    rng = np.random.default_rng(0)
    data = np.cumsum(rng.standard_normal((4, sum(lengths))), axis=1) * 1e-6
    store = _store(tmp_path, data, np.array(lengths))
    result = features.compute_session(store, SPEC, num_workers=2)
    de, psd = _reference(store, SPEC)
    assert result["de"].shape == de.shape == (sum(n // 200 for n in lengths), 4, 5)
    np.testing.assert_allclose(result["de"], de, rtol=1e-5)
    np.testing.assert_allclose(result["psd"], psd, rtol=1e-4)


def test_de_of_known_variance_signal():
    sfreq, sigma = 1000.0, 2e-5
    rng = np.random.default_rng(3)
    white = rng.standard_normal((1, 60_000)) * sigma
    sos = features.band_filters({"alpha": [8, 14]}, sfreq, 4)[0]
    x = da_from(white)
    de = features.trial_features(x, sfreq, FeatureSpec(bands={"alpha": [8, 14]})).compute()
    # White noise of variance s^2 keeps s^2 * (effective bandwidth) / (fs / 2) in the band.
    _, h = scipy.signal.sosfreqz(sos, worN=20_000, fs=sfreq)
    kept = np.mean(np.abs(h) ** 4)  # forward-backward filtering squares the gain
    variance = np.exp(2 * de[0, :, 0]) / (2 * np.pi * np.e)
    assert variance.mean() == pytest.approx(sigma**2 * kept, rel=0.05)


def da_from(array):
    import dask.array as da

    return da.from_array(array, chunks=(1, 7_000))


def test_windows_never_straddle_trials(tmp_path):
    lengths = np.array([1030, 870, 1210])
    store = _store(tmp_path, np.random.default_rng(1).standard_normal((2, lengths.sum())),
                   lengths)
    result = features.compute_session(store, SPEC)
    stops = np.array(store.trial_stop)[result["trial_index"]]
    starts = np.array(store.trial_start)[result["trial_index"]]
    assert np.all(result["window_start"] >= starts)
    assert np.all(result["window_start"] + 200 <= stops)
    assert np.bincount(result["trial_index"]).tolist() == [5, 4, 6]
    assert result["label"].tolist() == [0] * 5 + [1] * 4 + [2] * 6


def test_nan_segments_are_reported_not_hidden(tmp_path, caplog):
    data = np.random.default_rng(2).standard_normal((2, 2000))
    data[1, 450:460] = np.nan
    _store(tmp_path, data, np.array([2000]))
    with caplog.at_level(logging.WARNING):
        features.extract(tmp_path / "s.zarr", tmp_path / "f.zarr", SPEC)
    stored = FeatureStore.open(tmp_path / "f.zarr")
    assert stored.attrs["nan_windows"] > 0
    assert "non-finite" in caplog.text
    # A gap spoils the band-filtered DE of its trial but only the PSD of its own window.
    assert np.isnan(stored.de[:, 1]).all()
    assert np.isnan(stored.psd[:, 1]).sum() == 5 and np.isfinite(stored.psd[-1]).all()


def test_band_above_nyquist_is_rejected():
    with pytest.raises(ValueError, match="band gamma"):
        features.band_filters({"gamma": [31, 120]}, 200.0, 4)
