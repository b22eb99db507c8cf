"""The simulator's signal model: EEG of SEED's 62 channels with planted emotion effects, the
same for every layout (each layout's module of :mod:`seedflow.simulate` writes it in its
dataset's files and places its classes' effects).

Per trial (all amplitudes in microvolts, as SEED's files):
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

import dataclasses
import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.io

from seedflow.channels import SEED_62, montage

if TYPE_CHECKING:  # an annotation only: datasets.base imports this package
    from seedflow.datasets.base import SessionHeader

# SEED's subjects' initials, which name the trial variables of its files (<initials>_eeg<k>).
INITIALS = ("djc", "jl", "jj", "lqj", "ly", "mhw", "phl", "sxy", "wk", "ww", "wsf", "wyw",
            "xyl", "ys", "zjy")
# The simulator's own bands: where the per-trial signature and the class effects add power
# (the features stage's bands are config key features.bands).
EFFECT_BANDS = {"delta": (1, 4), "theta": (4, 8), "alpha": (8, 14), "beta": (14, 31),
                "gamma": (31, 50)}
# Scalp centres (head coordinates, metres) of regions where a class adds power.
FRONTAL, POSTERIOR = (0.0, 0.06, 0.06), (0.0, -0.08, 0.05)
LEFT_TEMPORAL, RIGHT_TEMPORAL = (-0.07, -0.01, 0.02), (0.07, -0.01, 0.02)
RIGHT_FRONTAL, LEFT_FRONTAL = (0.05, 0.06, 0.05), (-0.05, 0.06, 0.05)

# scipy.io.savemat writes the time of writing into the 116-byte text header of a MAT-file;
# this fixed text instead keeps simulated files (and the report's input checksums) identical
# between runs with the same config.
MAT_HEADER_TEXT = b"MATLAB 5.0 MAT-file, written by the seedflow simulator"
_MAT_TEXT_BYTES = 116


@dataclass(frozen=True)
class SimulationSpec:
    """Scale and strength of a simulated dataset (config section ``simulation``, ``sfreq``
    resolved to the layout's real rate where it is null). In the spec a simulate job is
    given, the fields its file does not depend on are None (:meth:`only`)."""

    subjects: int | None
    sessions: int | None
    trials_per_session: int | None
    trial_seconds: float | None
    sfreq: float | None
    effect_size: float | None
    trial_signature: float | None
    seed: int | None

    @classmethod
    def from_config(cls, config: dict) -> "SimulationSpec":
        from seedflow import datasets

        section = config["simulation"]
        sfreq = section["sfreq"]
        if sfreq is None:
            sfreq = datasets.simulated_kinds()[section["layout"]].simulation().NATIVE_SFREQ
        return cls(subjects=section["subjects"], sessions=section["sessions"],
                   trials_per_session=section["trials_per_session"],
                   trial_seconds=float(section["trial_seconds"]), sfreq=float(sfreq),
                   effect_size=float(section["effect_size"]),
                   trial_signature=float(section["trial_signature"]), seed=section["seed"])

    def only(self, *fields: str) -> "SimulationSpec":
        """This spec with every field but ``fields`` None: what one file depends on."""
        return dataclasses.replace(self, **{f.name: None for f in dataclasses.fields(self)
                                            if f.name not in fields})


# What one simulated subject × session depends on (not how many there are).
RECORDING_FIELDS = ("trials_per_session", "trial_seconds", "sfreq", "effect_size",
                    "trial_signature", "seed")

_FIRST_DAY = datetime.date(2013, 10, 1)


def session_date(subject: int, session: int) -> str:
    """Recording date of a simulated session (sessions sort by date, as in SEED)."""
    day = _FIRST_DAY + datetime.timedelta(days=3 * subject + 9 * session)
    return day.strftime("%Y%m%d")


def session_of_date(subject: int, date: str) -> int:
    """The session a simulated file of ``subject`` dated ``date`` holds (the inverse of
    :func:`session_date`)."""
    days = (datetime.datetime.strptime(date, "%Y%m%d").date() - _FIRST_DAY).days
    session, rest = divmod(days - 3 * subject, 9)
    if rest or session < 1:
        raise ValueError(f"no simulated session of subject {subject} is dated {date}")
    return session


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

    def __init__(self, spec: SimulationSpec, effects: dict):
        self.spec = spec
        self.positions = _electrode_positions()
        self.effects = effects  # class code -> ((band, scalp centre), ...)

    def _rng(self, *keys: int) -> np.random.Generator:
        return np.random.default_rng([self.spec.seed, *keys])

    def _background_band_amplitude(self, band: str) -> float:
        """RMS of the 1/f background inside a band (sets the effect's scale)."""
        lo, hi = EFFECT_BANDS[band]
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

        for band, (lo, hi) in EFFECT_BANDS.items():  # class-independent trial signature
            centre = self.positions[rng.integers(n_ch)]
            amp = spec.trial_signature * self._background_band_amplitude(band) * rng.uniform(0, 2)
            source = _band_noise(rng, n, spec.sfreq, lo, hi)[0]
            x += amp * np.outer(_spatial_pattern(self.positions, centre), source)

        for band, centre in (() if label is None else self.effects[label]):
            lo, hi = EFFECT_BANDS[band]
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


def no_shared_files() -> tuple[str, ...]:
    """``shared_files`` of a layout whose reader needs nothing besides the recordings."""
    return ()


def no_paths(root: Path) -> dict:
    """``paths`` of a layout whose dataset settings name no file the simulation writes."""
    return {}


def recording_file_spec(spec: SimulationSpec, relative: str) -> SimulationSpec:
    """``file_spec`` of a layout whose every file is one recording."""
    return spec.only(*RECORDING_FIELDS)


def recording_header(path: Path, ch_names, sfreq: float, trials, class_names,
                     eog_names=()) -> SessionHeader:
    """The header the layout's reader will find in a simulated file (``trials``:
    (trial id, class index, samples) each)."""
    from seedflow.datasets.base import SessionHeader, Trial

    return SessionHeader(Path(path), tuple(ch_names), float(sfreq),
                         tuple(Trial(*t) for t in trials), tuple(class_names), tuple(eog_names))
