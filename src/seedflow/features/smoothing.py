"""Smoothing of window features along time, within one trial at a time (SEED's practice).

- ``moving_average``: centred mean over ``n`` windows, shortened at the trial's ends
  (MATLAB's ``movmean``, as in SEED's released ``de_movingAve`` features);
- ``lds``: a linear dynamic system, i.e. a random-walk state observed in noise, smoothed
  with a Kalman filter and a Rauch-Tung-Striebel backward pass (SEED's ``de_LDS``), with
  SEED's parameters: initial state = the trial's mean, prior variance 0.01, state noise
  1e-4, observation noise 1. The gains depend only on these variances, not on the units.
Non-finite values (windows spoiled by non-finite samples) are missing observations: they
stay non-finite and their neighbours are smoothed from the finite values only (moving
average: the mean of the finite values in reach; LDS: no update at a missing one).
Hand-written because neither SciPy nor MNE has a vectorised scalar Kalman smoother.
"""

from __future__ import annotations

import numpy as np

METHODS = ("none", "moving_average", "lds")


def moving_average(x: np.ndarray, n: int) -> np.ndarray:
    """Centred moving mean along axis 0 over ``n`` windows, truncated at the ends."""
    if n <= 1 or len(x) == 0:
        return x.copy()
    left, right = (n - 1) - (n - 1) // 2, (n - 1) // 2
    finite = np.isfinite(x)
    cumsum = np.concatenate([np.zeros((1, *x.shape[1:])),
                             np.cumsum(np.where(finite, x, 0).astype(np.float64), axis=0)])
    counts = np.concatenate([np.zeros((1, *x.shape[1:]), np.int64),
                             np.cumsum(finite, axis=0)])
    idx = np.arange(len(x))
    lo = np.clip(idx - left, 0, len(x))
    hi = np.clip(idx + right + 1, 0, len(x))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = (cumsum[hi] - cumsum[lo]) / (counts[hi] - counts[lo])
    return np.where(finite, mean, np.nan).astype(x.dtype)


def lds(x: np.ndarray, prior_var: float = 0.01, state_noise: float = 1e-4,
        observation_noise: float = 1.0) -> np.ndarray:
    """Kalman filter + RTS smoother of a random walk along axis 0, per other index."""
    if len(x) == 0:
        return x.copy()
    finite = np.isfinite(x)
    y = np.where(finite, x, 0.0).astype(np.float64)
    n = len(y)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = y.sum(axis=0) / finite.sum(axis=0)  # NaN where an entry has no observation
    var = np.full(y.shape[1:], prior_var)
    mean_f, var_f, var_p = np.empty_like(y), np.empty_like(y), np.empty_like(y)
    for t in range(n):
        var_p[t] = var if t == 0 else var + state_noise
        gain = np.where(finite[t], var_p[t] / (var_p[t] + observation_noise), 0.0)
        mean = mean + gain * (y[t] - mean)
        var = (1 - gain) * var_p[t]
        mean_f[t], var_f[t] = mean, var
    smooth = mean_f.copy()
    for t in range(n - 2, -1, -1):
        back = var_f[t] / var_p[t + 1]
        smooth[t] = mean_f[t] + back * (smooth[t + 1] - mean_f[t])
    return np.where(finite, smooth, np.nan).astype(x.dtype)


def smooth_trials(values: np.ndarray, trial_index: np.ndarray, method: str,
                  windows: int) -> np.ndarray:
    """Smooth (windows, ...) features trial by trial (``windows``: the moving average's
    length); ``none`` returns them unchanged."""
    if method == "none":
        return values
    out = np.empty_like(values)
    for trial in np.unique(trial_index):
        rows = trial_index == trial
        out[rows] = (moving_average(values[rows], windows) if method == "moving_average"
                     else lds(values[rows]))
    return out
