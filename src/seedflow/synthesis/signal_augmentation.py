"""Cheap signal augmentations, the baselines a generator has to beat (Rommel et al. 2022,
"Data augmentation for learning predictive models on EEG"; braindecode's
``braindecode.augmentation``): the Fourier-transform surrogate and the frequency shift.

Both act on a signal (channels, time) and keep its class label. braindecode implements them
for PyTorch tensors only; this workflow's data are NumPy arrays on the host and its models
run on any Keras backend, so the two transforms are written here with NumPy/SciPy, after
braindecode's definitions (``ft_surrogate``: random phases added to every frequency but 0 Hz
and Nyquist, antisymmetric so the result is real, the same phases on every channel unless
``channel_indep``; ``frequency_shift``: the analytic signal, zero-padded to a power of two
against circular wrap-around, multiplied by ``exp(2 pi i f t)``).
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import scipy.signal

SIGNAL_AUGMENTATIONS = ("ft_surrogate", "frequency_shift")


def ft_surrogate(x: np.ndarray, rng: np.random.Generator, *,
                 phase_noise_magnitude: float = 1.0, channel_indep: bool = False) -> np.ndarray:
    """``x`` (channels, time) with each frequency's phase shifted by
    ``phase_noise_magnitude * 2 pi u``, ``u ~ U[0, 1)``; amplitude spectrum unchanged.

    With the same phases on every channel (``channel_indep`` false) the cross-spectra, hence
    the channels' correlations, are kept too."""
    n = x.shape[-1]
    spectrum = scipy.fft.rfft(np.asarray(x, dtype=np.float64), axis=-1)
    rows = x.shape[0] if channel_indep else 1
    phase = 2 * np.pi * phase_noise_magnitude * rng.random((rows, spectrum.shape[-1]))
    phase[:, 0] = 0  # 0 Hz stays real
    if n % 2 == 0:
        phase[:, -1] = 0  # so does Nyquist
    return scipy.fft.irfft(spectrum * np.exp(1j * phase), n=n, axis=-1).astype(x.dtype)


def frequency_shift(x: np.ndarray, sfreq: float, shift: float) -> np.ndarray:
    """``x`` (channels, time) with its spectrum moved by ``shift`` Hz (single-sideband
    modulation of the analytic signal)."""
    n = x.shape[-1]
    padded = 2 ** int(np.ceil(np.log2(n)))
    analytic = scipy.signal.hilbert(np.asarray(x, dtype=np.float64), N=padded, axis=-1)
    t = np.arange(padded) / sfreq
    return (analytic * np.exp(2j * np.pi * shift * t))[..., :n].real.astype(x.dtype)


def augment(name: str, x: np.ndarray, sfreq: float, rng: np.random.Generator, *,
            phase_noise_magnitude: float, max_shift: float) -> np.ndarray:
    """One augmented copy of ``x`` (channels, time) by ``name``; the frequency shift draws
    its shift uniformly from ``[-max_shift, max_shift]`` Hz (braindecode's FrequencyShift)."""
    if name == "ft_surrogate":
        return ft_surrogate(x, rng, phase_noise_magnitude=phase_noise_magnitude)
    if name == "frequency_shift":
        return frequency_shift(x, sfreq, rng.uniform(-max_shift, max_shift))
    raise ValueError(f"unknown signal augmentation '{name}' "
                     f"(known: {', '.join(SIGNAL_AUGMENTATIONS)})")
