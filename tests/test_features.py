import logging

import numpy as np
import pytest
import scipy.signal
import zarr

from seedflow.features import extraction
from seedflow.errors import SeedflowError
from seedflow.features.spec import FeatureSpec
from seedflow.stores.features import FeatureStore
from seedflow.stores.ingest import IngestStore
from specs import config_with, feature_spec
from specs import BANDS
from seedflow.features.scheduling import Scheduling

# Blocks of 3 windows, raised to the filters' reach (12.2 s): several blocks per long trial.
SPEC = feature_spec(bands=BANDS, window_seconds=1.0, windows_per_chunk=3)


def _store(tmp_path, data, lengths, sfreq=200.0, chunk=250, bad=()):
    group = zarr.open_group(tmp_path / "s.zarr", mode="w")
    group.create_array("eeg", data=data.astype(np.float32), chunks=(data.shape[0], chunk))
    stops = np.cumsum(lengths)
    group.attrs.update(sfreq=sfreq, ch_names=[f"C{k}" for k in range(data.shape[0])],
                       trial_ids=list(range(1, len(lengths) + 1)),
                       trial_start=(stops - lengths).tolist(), trial_stop=stops.tolist(),
                       labels=[k % 3 for k in range(len(lengths))],
                       class_names=["a", "b", "c"], bad_channels=list(bad), subject="1",
                       trial_bad_channels=[list(bad)] * len(lengths), bad_trials=[],
                       session="1")
    return IngestStore.open(tmp_path / "s.zarr")


def _pink(rng, shape):
    """1/f-like test signal in volts (low frequencies dominate, as in EEG)."""
    return scipy.signal.lfilter([1.0], [1.0, -0.97], rng.standard_normal(shape), axis=1) * 4e-6


def _reference(store, spec):
    """In-memory reference: sosfiltfilt of each whole trial, then DE and PSD per window."""
    sfreq = store.sfreq
    win, hop = spec.window(sfreq)
    de, psd = [], []
    for start, stop in zip(store.trial_start, store.trial_stop):
        trial = store.eeg[:, start:stop].astype(np.float64)
        n = extraction.n_windows(trial.shape[1], win, hop)
        idx = np.arange(n)[:, None] * hop + np.arange(win)
        bands_de = []
        for sos in extraction.band_filters(spec.bands, sfreq, spec.filter_order):
            y = scipy.signal.sosfiltfilt(sos, trial, axis=1)[:, idx]
            bands_de.append(0.5 * np.log(2 * np.pi * np.e * y.var(axis=2)))
        de.append(np.stack(bands_de, axis=-1))
        freqs, p = scipy.signal.periodogram(trial[:, idx], fs=sfreq, window="hann", axis=2,
                                            scaling="density")
        psd.append(np.stack([p[..., (freqs >= lo) & (freqs < hi)].mean(axis=-1)
                             for lo, hi in spec.bands.values()], axis=-1))
    return (np.concatenate(de, axis=1).transpose(1, 0, 2),
            np.concatenate(psd, axis=1).transpose(1, 0, 2))


def _check(result, store, spec):
    de, psd = _reference(store, spec)
    assert result["de"].shape == de.shape
    np.testing.assert_allclose(result["de"], de, rtol=1e-5)
    np.testing.assert_allclose(result["psd"], psd, rtol=1e-5)


@pytest.mark.parametrize("method", ["fft", "sosfiltfilt"])
@pytest.mark.parametrize("lengths", [[12_345, 7_777, 2_401, 999], [3_000]])
def test_equals_in_memory_reference_across_chunk_boundaries(tmp_path, lengths, method):
    data = _pink(np.random.default_rng(0), (4, sum(lengths)))
    store = _store(tmp_path, data, np.array(lengths))
    spec = feature_spec(bands=BANDS, windows_per_chunk=3,
                       filter_method=method)
    result = extraction.compute_session(store, spec, Scheduling.local(2))
    assert result["de"].shape == (sum(n // 200 for n in lengths), 4, 5)
    _check(result, store, spec)


def test_processes_scheduler_gives_the_same_features(tmp_path):
    lengths = np.array([6_000, 3_000])
    store = _store(tmp_path, _pink(np.random.default_rng(7), (2, lengths.sum())), lengths)
    _check(extraction.compute_session(store, SPEC, Scheduling("processes", 2, None, None)),
           store, SPEC)


def test_equals_reference_at_1000_hz_with_overlapping_windows(tmp_path):
    lengths = np.array([95_500, 41_000])  # depth 12 171 samples: 4 and 2 blocks
    store = _store(tmp_path, _pink(np.random.default_rng(1), (3, lengths.sum())), lengths,
                   sfreq=1000.0, chunk=7_000)
    spec = feature_spec(bands=BANDS, window_seconds=1.0,
                       overlap_seconds=0.25, windows_per_chunk=5)
    _check(extraction.compute_session(store, spec, Scheduling.local(2)), store, spec)


def test_equals_reference_on_simulated_session(session_store_path):
    store = IngestStore.open(session_store_path)  # 62 channels, 30 s trials, 7 s chunks
    _check(extraction.compute_session(store, SPEC, Scheduling.local(2)), store, SPEC)


def test_de_of_known_variance_signal():
    sfreq, sigma = 1000.0, 2e-5
    rng = np.random.default_rng(3)
    white = rng.standard_normal((1, 60_000)) * sigma
    sos = extraction.band_filters({"alpha": [8, 14]}, sfreq, 4)[0]
    x = da_from(white)
    de = extraction.trial_features(x, sfreq, feature_spec(bands={"alpha": [8, 14]})).compute()
    # White noise of variance s^2 keeps s^2 * (effective bandwidth) / (fs / 2) in the band.
    _, h = scipy.signal.sosfreqz(sos, worN=20_000, fs=sfreq)
    kept = np.mean(np.abs(h) ** 4)  # forward-backward filtering squares the gain
    variance = np.exp(2 * de[:, 0, 0]) / (2 * np.pi * np.e)
    assert variance.mean() == pytest.approx(sigma**2 * kept, rel=0.05)


def da_from(array):
    import dask.array as da

    return da.from_array(array, chunks=(1, 7_000))


@pytest.mark.parametrize("overlap", [0.0, 0.5])
def test_windows_never_straddle_trials(tmp_path, overlap):
    lengths = np.array([1030, 870, 1210])
    store = _store(tmp_path, np.random.default_rng(1).standard_normal((2, lengths.sum())),
                   lengths)
    spec = feature_spec(bands=BANDS, overlap_seconds=overlap)
    result = extraction.compute_session(store, spec)
    stops = np.array(store.trial_stop)[result["trial_index"]]
    starts = np.array(store.trial_start)[result["trial_index"]]
    assert np.all(result["window_start"] >= starts)
    assert np.all(result["window_start"] + 200 <= stops)
    expected = [5, 4, 6] if overlap == 0 else [9, 7, 11]
    assert np.bincount(result["trial_index"]).tolist() == expected
    assert result["label"].tolist() == sum(([k] * n for k, n in enumerate(expected)), [])


def test_nan_segments_are_reported_not_hidden(tmp_path, caplog):
    data = np.random.default_rng(2).standard_normal((2, 2000))
    data[1, 450:460] = np.nan
    _store(tmp_path, data, np.array([2000]))
    with caplog.at_level(logging.WARNING):
        extraction.extract(ingest=tmp_path / "s.zarr", out=tmp_path / "f.zarr", spec=SPEC)
    stored = FeatureStore.open(tmp_path / "f.zarr")
    assert stored.attrs["nan_windows"] > 0
    assert stored.attrs["nonfinite_input_windows"] == 1
    assert "non-finite samples (NaN/inf) in 1 windows of trials [1], channels ['C1']" \
        in caplog.text
    counts = zarr.open_group(tmp_path / "f.zarr")["nonfinite_samples"][:]
    assert counts[2, 1] == 10 and counts.sum() == 10
    # A gap spoils its channel's band-filtered DE within each filter's reach (delta 12.2 s:
    # the whole trial; gamma 0.93 s: windows 1-3) and the PSD of its own window only; the
    # other channel is untouched.
    assert np.isnan(stored.de[:, 1, 0]).all()
    assert np.flatnonzero(np.isnan(stored.de[:, 1, 4])).tolist() == [1, 2, 3]
    assert np.isfinite(stored.de[:, 0]).all() and np.isfinite(stored.de[4:, 1, 3]).all()
    assert np.isnan(stored.psd[:, 1]).sum() == 5 and np.isfinite(stored.psd[-1]).all()


def test_seed_official_stft_de(tmp_path):
    """Matches a line-by-line transcription of SEED's released DE_PSD loop."""
    lengths = np.array([1000, 650])
    data = _pink(np.random.default_rng(4), (3, lengths.sum()))
    store = _store(tmp_path, data, lengths)
    spec = feature_spec(bands=BANDS, de_method="stft")
    result = extraction.compute_session(store, spec)
    fs, n_fft, win = 200, 512, 200
    hann = np.array([0.5 - 0.5 * np.cos(2 * np.pi * k / (win + 1)) for k in range(1, win + 1)])
    expected = []
    for start, stop in zip(store.trial_start, store.trial_stop):
        for w in range((stop - start) // win):
            row = []
            for ch in range(3):
                x = store.eeg[ch, start + w * win:start + (w + 1) * win].astype(np.float64)
                mag = np.abs(np.fft.fft(x * hann, n_fft)[: n_fft // 2])
                bands = []
                for lo, hi in BANDS.values():
                    first, last = int(lo / fs * n_fft), int(hi / fs * n_fft)
                    energy = sum(mag[p] ** 2 for p in range(first - 1, last))
                    bands.append(np.log2(100 * energy / (last - first + 1)))
                row.append(bands)
            expected.append(row)
    np.testing.assert_allclose(result["de"], np.array(expected), rtol=1e-5)


@pytest.mark.parametrize("method", ["moving_average", "lds"])
def test_smoothing_keeps_missing_windows_missing_and_spares_their_neighbours(method):
    from seedflow.features import smoothing

    x = np.random.default_rng(0).standard_normal((40, 2, 5))
    x[10:12, 1] = np.nan
    x[20, 0, 3] = -np.inf
    smoothed = smoothing.smooth_trials(x, np.zeros(40, int), method, 5)
    assert np.array_equal(np.isfinite(smoothed), np.isfinite(x))
    clean = smoothing.smooth_trials(x[:, :1, :3], np.zeros(40, int), method, 5)
    np.testing.assert_array_equal(smoothed[:, :1, :3], clean)  # other entries unchanged


def test_smoothing_stays_within_trials_and_keeps_raw(tmp_path):
    lengths = np.array([2000, 2000])
    store = _store(tmp_path, _pink(np.random.default_rng(5), (2, 4000)), lengths)
    raw = extraction.compute_session(store, SPEC)
    spec = feature_spec(bands=BANDS, windows_per_chunk=3,
                       smoothing="moving_average", smoothing_windows=3)
    smoothed = extraction.compute_session(store, spec)
    np.testing.assert_array_equal(smoothed["de_unsmoothed"], raw["de"])
    # Window 9 (last of trial 1) averages windows 8-9 only, never window 10 of trial 2.
    np.testing.assert_allclose(smoothed["de"][9], raw["de"][8:10].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(smoothed["de"][10], raw["de"][10:12].mean(axis=0), rtol=1e-6)


def test_extract_with_preprocessing_and_resampling(tmp_path):
    lengths = np.array([6000, 4000])
    data = _pink(np.random.default_rng(6), (4, lengths.sum()))
    _store(tmp_path, data, lengths, sfreq=500.0, chunk=700)
    section = {"bands": BANDS, "window_seconds": 1.0,
               "preprocessing": {"reference": "average", "notch": 50, "bandpass": [0.5, 70],
                                 "resample": 200}}
    extraction.extract(ingest=tmp_path / "s.zarr", out=tmp_path / "f.zarr", 
                       spec=FeatureSpec.from_config(config_with(features=section)))
    stored = FeatureStore.open(tmp_path / "f.zarr")
    assert stored.attrs["feature_sfreq"] == 200
    assert stored.attrs["preprocessing"]["notch"] == 50
    assert stored.de.shape == (12 + 8, 4, 5) and np.isfinite(stored.de).all()
    # Window starts stay in samples of the 500 Hz ingest store.
    assert stored.window_start[:3].tolist() == [0, 500, 1000]
    assert stored.window_start[12] == 6000


def test_memory_budget_too_small_is_one_clear_error(tmp_path):
    lengths = np.array([40_000])
    store = _store(tmp_path, np.zeros((2, 40_000)), lengths)
    with pytest.raises(SeedflowError, match="raise the rule's mem_mb"):
        extraction.compute_session(store, SPEC, Scheduling("threads", 2, 1, None))


def test_band_above_nyquist_is_rejected():
    with pytest.raises(ValueError, match="band gamma"):
        extraction.band_filters({"gamma": [31, 120]}, 200.0, 4)


def test_bad_options_are_rejected():
    with pytest.raises(SeedflowError, match="features.de_method"):
        feature_spec(bands=BANDS, de_method="wavelet")
    with pytest.raises(SeedflowError, match="features.overlap_seconds"):
        feature_spec(bands=BANDS, overlap_seconds=1.0)


def test_schema_accepts_feature_options_and_a_scheduler_address():
    from seedflow import config

    from conftest import REPO

    schema = REPO / "workflow" / "schemas" / "config.schema.yaml"
    cfg = config.load(REPO / "config" / "config.yaml")
    cfg["features"].update(scheduler="tcp://node1:8786", de_method="stft",
                           smoothing="lds", overlap_seconds=0.5,
                           preprocessing={"reference": ["FZ"], "notch": 50,
                                          "bandpass": [0.5, 70], "resample": 200})
    config.validate(cfg, schema)
    FeatureSpec.from_config(config_with(features=cfg["features"]))
    cfg["features"]["scheduler"] = "slurm"
    config.validate(cfg, schema)
    cfg["features"]["scheduler"] = "gpu"
    with pytest.raises(SeedflowError, match="features.scheduler"):
        config.validate(cfg, schema)


@pytest.mark.parametrize("smooth", ["none", "lds"])
def test_extract_writes_batch_by_batch_what_compute_session_holds(tmp_path, smooth):
    # 2 workers: batches of 6 blocks (each block raised to the filters' reach), so more
    # than one batch; batch and trial boundaries fall inside the store's chunks of 3 rows.
    lengths = np.array([8_000, 6_100, 5_600, 9_000, 5_200])
    store = _store(tmp_path, _pink(np.random.default_rng(8), (3, lengths.sum())), lengths)
    spec = feature_spec(bands=BANDS, windows_per_chunk=3, smoothing=smooth)
    plan = extraction.plan_session(store, spec, num_workers=2)
    assert plan.values.numblocks[0] > extraction.BLOCKS_PER_WORKER * 2
    extraction.extract(ingest=tmp_path / "s.zarr", out=tmp_path / "f.zarr", spec=spec, scheduling=Scheduling.local(2))
    expected = extraction.compute_session(store, spec, Scheduling.local(2))
    group = zarr.open_group(tmp_path / "f.zarr", mode="r")
    assert set(expected) <= set(group.array_keys())
    for name, value in expected.items():
        np.testing.assert_array_equal(group[name][:], value, err_msg=name)
    if smooth != "none":
        assert not np.allclose(group["de"][:], group["de_unsmoothed"][:])


def test_a_trial_shorter_than_a_window_is_one_error(tmp_path):
    lengths = np.array([1030, 150])  # the second trial: 0.75 s at 200 Hz
    store = _store(tmp_path, np.random.default_rng(1).standard_normal((2, lengths.sum())),
                   lengths)
    with pytest.raises(SeedflowError, match=r"features.window_seconds: trial 2 of .* lasts "
                                            r"0.75 s, shorter than one window \(1 s\)"):
        extraction.plan_session(store, feature_spec(bands=BANDS))
