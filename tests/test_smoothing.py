import numpy as np

from seedflow.features import smoothing


def test_moving_average_matches_seed_smoothdata():
    x = np.random.default_rng(0).standard_normal((11, 3, 2))
    n = 5
    left, right = 2, 2
    expected = np.array([x[max(0, i - left):min(len(x), i + right + 1)].mean(axis=0)
                         for i in range(len(x))])
    np.testing.assert_allclose(smoothing.moving_average(x, n), expected)


def test_lds_smooths_noise_around_a_slow_trend():
    rng = np.random.default_rng(1)
    trend = np.cumsum(rng.standard_normal((400, 6)) * 0.01, axis=0)
    noisy = trend + rng.standard_normal(trend.shape)
    smooth = smoothing.lds(noisy)
    assert np.mean((smooth - trend) ** 2) < 0.2 * np.mean((noisy - trend) ** 2)
    np.testing.assert_allclose(smoothing.lds(np.full((50, 2), 3.5)), 3.5)


def test_smoothing_never_mixes_trials():
    values = np.repeat([[1.0], [5.0], [-2.0]], [4, 6, 3], axis=0)
    trial_index = np.repeat([0, 1, 2], [4, 6, 3])
    for method in ("moving_average", "lds"):
        out = smoothing.smooth_trials(values, trial_index, method, 5)
        np.testing.assert_allclose(out, values)
    assert smoothing.smooth_trials(values, trial_index, "none", 5) is values
