import dask.array as da
import numpy as np
import pytest
import scipy.signal

from seedflow.features import preprocessing
from seedflow.errors import SeedflowError
from specs import preprocessing_spec

SFREQ = 500.0
CH = ["A", "B", "C", "D"]


@pytest.fixture(scope="module")
def trial():
    rng = np.random.default_rng(0)
    return np.cumsum(rng.standard_normal((4, 23_457)), axis=1).astype(np.float32) * 1e-6


def _lazy(x):
    return da.from_array(x, chunks=(4, 1_000))  # chunk borders fall everywhere


def test_average_reference_leaves_out_bad_channels(trial):
    x, _ = preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH,
                                       preprocessing_spec(reference="average"), chunk=1_000,
                                       bad_channels=["D"])
    np.testing.assert_allclose(x.compute(), trial - trial[:3].mean(axis=0), atol=1e-12)
    x, _ = preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH,
                                       preprocessing_spec(reference=["A", "B"]), chunk=1_000)
    np.testing.assert_allclose(x.compute(), trial - trial[:2].mean(axis=0), atol=1e-12)


@pytest.mark.parametrize("prep, sos", [
    (preprocessing_spec(notch=50), lambda: preprocessing.notch_filter(50, SFREQ)),
    (preprocessing_spec(bandpass=[0.5, 45]), lambda: scipy.signal.butter(
        4, [0.5, 45], btype="bandpass", fs=SFREQ, output="sos")),
])
def test_filters_equal_whole_trial_sosfiltfilt(trial, prep, sos):
    x, sfreq = preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH, prep, chunk=1_000)
    expected = scipy.signal.sosfiltfilt(sos(), trial.astype(np.float64), axis=1)
    assert x.numblocks[1] > 1 and sfreq == SFREQ
    np.testing.assert_allclose(x.compute(), expected, rtol=1e-5,
                               atol=1e-5 * np.abs(expected).max())


def test_notch_removes_line_and_harmonics():
    t = np.arange(20_000) / SFREQ
    x = (np.sin(2 * np.pi * 50 * t) + np.sin(2 * np.pi * 150 * t)
         + np.sin(2 * np.pi * 10 * t))[None].astype(np.float32)
    y, _ = preprocessing.preprocess_trial(_lazy(np.repeat(x, 4, axis=0)), SFREQ, CH,
                                       preprocessing_spec(notch=50), chunk=2_000)
    core = y.compute()[0, 5_000:15_000]
    np.testing.assert_allclose(core, np.sin(2 * np.pi * 10 * t[5_000:15_000]), atol=1e-2)


@pytest.mark.parametrize("new_sfreq", [200.0, 128.0, 1000.0])
def test_resampling_equals_resample_poly_on_the_whole_trial(trial, new_sfreq):
    x, sfreq = preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH,
                                           preprocessing_spec(resample=new_sfreq), chunk=3_000)
    up, down = {200.0: (2, 5), 128.0: (32, 125), 1000.0: (2, 1)}[new_sfreq]
    expected = scipy.signal.resample_poly(trial.astype(np.float64), up, down, axis=1)
    assert sfreq == new_sfreq and x.shape == expected.shape
    np.testing.assert_allclose(x.compute(), expected, rtol=1e-5,
                               atol=1e-6 * np.abs(expected).max())


def test_bad_preprocessing_values_name_the_key(trial):
    with pytest.raises(SeedflowError, match="preprocessing.reference"):
        preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH,
                                    preprocessing_spec(reference=["Cz"]), chunk=1_000)
    with pytest.raises(SeedflowError, match="preprocessing.bandpass"):
        preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH,
                                    preprocessing_spec(bandpass=[1, 400]), chunk=1_000)
    with pytest.raises(SeedflowError, match="preprocessing.notch"):
        preprocessing.preprocess_trial(_lazy(trial), SFREQ, CH, preprocessing_spec(notch=300),
                                    chunk=1_000)


def test_nan_samples_stay_within_the_filters_reach(trial):
    """A gap of one channel spoils that channel only within the notch filter's reach (not
    its whole chunk); beyond it the result equals filtering with the gap set to 0."""
    damaged = trial.copy()
    damaged[1, 5_000:5_050] = np.nan
    x, _ = preprocessing.preprocess_trial(_lazy(damaged), SFREQ, CH, preprocessing_spec(notch=50),
                                       chunk=1_000)
    x = x.compute()
    sos = preprocessing.notch_filter(50, SFREQ)
    reach = preprocessing.impulse_response_length(sos)
    spoiled = np.zeros(damaged.shape[1], bool)
    spoiled[5_000 - reach:5_050 + reach] = True
    assert np.isnan(x[1, spoiled]).all() and np.isfinite(x[1, ~spoiled]).all()
    assert np.isfinite(x[[0, 2, 3]]).all()
    filled = scipy.signal.sosfiltfilt(sos, np.nan_to_num(damaged).astype(np.float64), axis=1)
    np.testing.assert_allclose(x[1, ~spoiled], filled[1, ~spoiled], rtol=1e-5, atol=1e-12)
