"""Simulated EEG with planted emotion effects, written in SEED's on-disk layout.

The signal model, per trial (all amplitudes in microvolts, as SEED's files):
- a 1/f background from independent sources smeared over neighbouring electrodes;
- a posterior alpha rhythm whose peak frequency and strength differ per subject;
- per-subject channel gains; slow drifts; eye blinks on frontal channels; line noise;
- a per-trial random signature: band-limited sources with random topographies whose power
  is fixed within the trial but independent of the class (so windows of one trial look
  alike, and a leaky split scores above chance even when ``effect_size`` is 0);
- the class effect: extra band power in a class-specific band and scalp region,
  ``effect_size`` times the background amplitude of that band (0 = no class information).
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.io

from seedflow.channels import SEED_62, montage

log = logging.getLogger(__name__)

SEED_LABELS = (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
_INITIALS = ("djc", "jl", "jj", "lqj", "ly", "mhw", "phl", "sxy", "wk", "ww", "wsf", "wyw",
             "xyl", "ys", "zjy")
BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 14), "beta": (14, 31), "gamma": (31, 50)}

# scipy.io.savemat writes the time of writing into the 116-byte text header of a MAT-file;
# this fixed text instead keeps simulated files (and the report's input checksums) identical
# between runs with the same config.
MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, written by the seedflow simulator"
_MAT_TEXT_BYTES = 116

# Class -> (band, scalp centre in head coordinates): where each emotion adds power.
# Positive: lateral temporal beta/gamma; negative: parieto-occipital alpha; neutral: frontal theta.
_CLASS_EFFECTS = {
    1: (("gamma", (0.07, -0.01, 0.02)), ("beta", (-0.07, -0.01, 0.02))),
    0: (("theta", (0.0, 0.06, 0.06)),),
    -1: (("alpha", (0.0, -0.08, 0.05)), ("delta", (0.0, 0.03, 0.09))),
}


@dataclass(frozen=True)
class SimulationSpec:
    """Scale and strength of a simulated SEED-like dataset."""

    subjects: int = 3
    sessions: int = 3
    trials_per_session: int = 15
    trial_seconds: float = 60.0
    sfreq: float = 200.0
    effect_size: float = 1.0
    trial_signature: float = 0.5
    seed: int = 42

    @classmethod
    def from_config(cls, section: dict) -> "SimulationSpec":
        return cls(**{k: section[k] for k in cls.__dataclass_fields__ if k in section})


def session_date(subject: int, session: int) -> str:
    """Recording date of a simulated session (sessions sort by date, as in SEED)."""
    day = datetime.date(2013, 10, 1) + datetime.timedelta(days=3 * subject + 9 * session)
    return day.strftime("%Y%m%d")


def session_filename(subject: int, session: int) -> str:
    return f"{subject}_{session_date(subject, session)}.mat"


def trial_labels(n_trials: int) -> list[int]:
    """SEED's label order, repeated when a session has more than 15 trials."""
    return [SEED_LABELS[i % len(SEED_LABELS)] for i in range(n_trials)]


def _electrode_positions() -> np.ndarray:
    pos = montage(SEED_62).get_positions()["ch_pos"]
    return np.array([pos[ch] for ch in SEED_62])


def _spatial_pattern(positions: np.ndarray, centre, width: float = 0.045) -> np.ndarray:
    d2 = ((positions - np.asarray(centre)) ** 2).sum(axis=1)
    return np.exp(-d2 / (2 * width**2))


def _band_noise(rng, n: int, sfreq: float, lo: float, hi: float, size: int = 1) -> np.ndarray:
    """Unit-variance Gaussian noise limited to [lo, hi] Hz (smooth spectral edges)."""
    freqs = np.fft.rfftfreq(n, 1 / sfreq)
    edge = 0.5
    gain = 1 / (1 + np.exp(-(freqs - lo) / edge)) * 1 / (1 + np.exp((freqs - hi) / edge))
    spectrum = np.fft.rfft(rng.standard_normal((size, n)), axis=1) * gain
    x = np.fft.irfft(spectrum, n=n, axis=1)
    return x / x.std(axis=1, keepdims=True)


class _Subject:
    """Per-subject constants: electrode mixing, gains, alpha peak and topography."""

    def __init__(self, rng, positions: np.ndarray):
        d2 = ((positions[:, None, :] - positions[None, :, :]) ** 2).sum(axis=2)
        mixing = np.exp(-d2 / (2 * 0.03**2))
        self.mixing = mixing / np.sqrt((mixing**2).sum(axis=1, keepdims=True))
        self.gains = np.exp(rng.normal(0, 0.15, len(positions)))
        self.alpha_peak = rng.uniform(9.0, 11.5)
        self.alpha_pattern = _spatial_pattern(positions, (0, -0.09, 0.03), 0.06)
        self.alpha_amplitude = rng.uniform(4.0, 9.0)
        self.frontal = _spatial_pattern(positions, (0, 0.09, 0.0), 0.04)


class SeedSimulator:
    """Generates trials of one simulated SEED-like dataset, reproducibly from a seed."""

    background_uv = 12.0

    def __init__(self, spec: SimulationSpec, effects: dict | None = None):
        self.spec = spec
        self.positions = _electrode_positions()
        self.effects = _CLASS_EFFECTS if effects is None else effects  # label -> (band, centre)s

    def _rng(self, *keys: int) -> np.random.Generator:
        return np.random.default_rng([self.spec.seed, *keys])

    def _background_band_amplitude(self, band: str) -> float:
        """RMS of the 1/f background inside a band (sets the effect's scale)."""
        lo, hi = BANDS[band]
        return self.background_uv * np.sqrt(np.log(hi / lo) / np.log(75 / 0.5))

    def trial(self, subject: int, session: int, trial: int, label: int) -> np.ndarray:
        """One trial, float64 (62, n_samples) in microvolts."""
        return self.segment(subject, session, trial, label)[0]

    def segment(self, subject: int, session: int, trial: int, label: int | None,
                seconds: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(EEG (62, n) in microvolts, the blink waveform (n,)) of a trial, or of a rest
        period without class effect when ``label`` is None; ``seconds`` defaults to a trial."""
        spec = self.spec
        seconds = spec.trial_seconds if seconds is None else seconds
        n = int(round(seconds * spec.sfreq))
        sub = _Subject(self._rng(subject), self.positions)
        rng = self._rng(subject, session, trial)
        n_ch = len(SEED_62)

        freqs = np.fft.rfftfreq(n, 1 / spec.sfreq)
        pink = 1 / np.sqrt(np.maximum(freqs, 0.5))
        spectrum = np.fft.rfft(rng.standard_normal((n_ch, n)), axis=1) * pink
        background = sub.mixing @ np.fft.irfft(spectrum, n=n, axis=1)
        x = self.background_uv * background / background.std()

        alpha = _band_noise(rng, n, spec.sfreq, sub.alpha_peak - 1.5, sub.alpha_peak + 1.5)
        x += sub.alpha_amplitude * np.outer(sub.alpha_pattern, alpha[0])

        for band, (lo, hi) in BANDS.items():  # class-independent trial signature
            centre = self.positions[rng.integers(n_ch)]
            amp = spec.trial_signature * self._background_band_amplitude(band) * rng.uniform(0, 2)
            source = _band_noise(rng, n, spec.sfreq, lo, hi)[0]
            x += amp * np.outer(_spatial_pattern(self.positions, centre), source)

        for band, centre in (() if label is None else self.effects[label]):
            lo, hi = BANDS[band]
            amp = spec.effect_size * self._background_band_amplitude(band)
            source = _band_noise(rng, n, spec.sfreq, lo, hi, size=2)
            pattern = _spatial_pattern(self.positions, centre)
            x += amp * pattern[:, None] * (source[0] + 0.5 * source[1]) / np.sqrt(1.25)

        t = np.arange(n) / spec.sfreq
        drift = np.cumsum(rng.standard_normal((n_ch, n)), axis=1) / np.sqrt(n) * 8.0
        x += drift - drift.mean(axis=1, keepdims=True)
        x += 1.5 * np.sin(2 * np.pi * 50.0 * t + rng.uniform(0, 2 * np.pi))
        blinks = np.zeros(n)
        for onset in rng.uniform(0, max(t[-1] - 0.5, 0), size=int(seconds / 6)):
            blinks += 120.0 * np.exp(-0.5 * ((t - onset - 0.15) / 0.07) ** 2)
        x += np.outer(sub.frontal, blinks)
        return sub.gains[:, None] * x, blinks


def savemat(path: Path, variables: dict, **options) -> None:
    """``scipy.io.savemat`` (MAT-file v5) with :data:`MAT_HEADER_TEXT` as the header text."""
    with open(path, "w+b") as f:
        scipy.io.savemat(f, variables, format="5", **options)
        f.seek(0)
        f.write(MAT_HEADER_TEXT.ljust(_MAT_TEXT_BYTES))


def write_seed_session(spec: SimulationSpec, subject: int, session: int, path: Path) -> None:
    """Write one session as SEED's ``<subject>_<yyyymmdd>.mat`` (one variable per trial)."""
    simulator = SeedSimulator(spec)
    initials = _INITIALS[(subject - 1) % len(_INITIALS)]
    trials = {}
    labels = trial_labels(spec.trials_per_session)
    for k, label in enumerate(labels, start=1):
        trials[f"{initials}_eeg{k}"] = simulator.trial(subject, session, k, label)
        log.info("subject %d session %d: trial %d/%d simulated", subject, session, k,
                 len(labels))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    savemat(tmp, trials)
    tmp.replace(path)  # never leave a half-written .mat under the final name


def session_of_date(spec: SimulationSpec, subject: int, date: str) -> int:
    """The session number a simulated file's date stands for."""
    for session in range(1, spec.sessions + 1):
        if session_date(subject, session) == date:
            return session
    raise ValueError(f"no simulated session of subject {subject} is dated {date}")


def write_seed_labels(spec: SimulationSpec, path: Path) -> None:
    """Write SEED's ``label.mat`` (variable ``label``, shape (1, n_trials))."""
    path.parent.mkdir(parents=True, exist_ok=True)
    labels = np.array([trial_labels(spec.trials_per_session)], dtype=np.int16)
    savemat(path, {"label": labels})


def write_seed_features(recording: Path, path: Path, sfreq: float) -> None:
    """Write SEED's ``ExtractedFeatures/<subject>_<date>.mat`` for a simulated
    ``Preprocessed_EEG`` file, as SEED computed it: per trial, 1 s windows, the official DE
    ``log2(100 E)`` (:mod:`seedflow.features`' ``stft`` method) and PSD ``E``, smoothed by a
    moving average and by SEED's LDS, stored as ``{de,psd}_{movingAve,LDS}<k>`` (62, T, 5)."""
    import dask.array as da

    from seedflow import features, smoothing
    from seedflow.io import seed, seed_features

    spec = features.FeatureSpec(bands=seed_features.BANDS, de_method="stft",
                                window_seconds=seed_features.WINDOW_SECONDS)
    variables = {}
    for name in sorted(n for n, _, _ in scipy.io.whosmat(recording)
                       if seed._TRIAL_KEY.match(n)):
        x = scipy.io.loadmat(recording, variable_names=[name])[name]  # microvolts
        values = features.trial_features(da.from_array(x), sfreq, spec).compute(
            scheduler="synchronous").astype(np.float64)
        de = values[..., :len(spec.bands)]
        trial = seed._trial_number(name)
        official = {"de": de, "psd": 2.0 ** de / 100}  # E from DE = log2(100 E)
        for kind, value in official.items():
            rows = np.zeros(len(value), dtype=int)
            for label, method in (("movingAve", "moving_average"), ("LDS", "lds")):
                variables[f"{kind}_{label}{trial}"] = smoothing.smooth_trials(
                    value, rows, method).transpose(1, 0, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    savemat(tmp, variables)
    tmp.replace(path)
