"""What the features stage computes (config section ``features``, less the scheduler and
resources, which change how it runs but not what it computes)."""

from __future__ import annotations

from dataclasses import dataclass

from seedflow.errors import SeedflowError
from seedflow.features import smoothing
from seedflow.features.preprocessing import Preprocessing

DE_METHODS = ("filter", "stft")
FILTER_METHODS = ("fft", "sosfiltfilt")


@dataclass(frozen=True)
class FeatureSpec:
    """What to compute and how; see config/README.md for every field."""

    bands: dict
    window_seconds: float
    overlap_seconds: float
    filter_order: int
    windows_per_chunk: int
    de_method: str
    filter_method: str
    stft_n: int | None
    smoothing: str
    smoothing_windows: int
    preprocessing: Preprocessing

    def __post_init__(self):
        if not 0 <= self.overlap_seconds < self.window_seconds:
            raise SeedflowError("features.overlap_seconds must be >= 0 and smaller than "
                                f"features.window_seconds ({self.window_seconds})")
        for key, value, allowed in (("de_method", self.de_method, DE_METHODS),
                                    ("filter_method", self.filter_method, FILTER_METHODS),
                                    ("smoothing", self.smoothing, smoothing.METHODS)):
            if value not in allowed:
                raise SeedflowError(f"features.{key}: '{value}' is not one of {allowed}")

    @classmethod
    def from_config(cls, config: dict) -> "FeatureSpec":
        section = config["features"]
        return cls(bands=dict(section["bands"]),
                   window_seconds=float(section["window_seconds"]),
                   overlap_seconds=float(section["overlap_seconds"]),
                   filter_order=section["filter_order"],
                   windows_per_chunk=section["windows_per_chunk"],
                   de_method=section["de_method"], filter_method=section["filter_method"],
                   stft_n=section["stft_n"], smoothing=section["smoothing"],
                   smoothing_windows=section["smoothing_windows"],
                   preprocessing=Preprocessing.from_config(config))

    @classmethod
    def from_record(cls, record: dict) -> "FeatureSpec":
        """The spec a trained model's ``preprocessing.json`` records."""
        return cls(**{**record, "preprocessing": Preprocessing(**record["preprocessing"])})

    def window(self, sfreq: float) -> tuple[int, int]:
        """Window length and hop in samples at ``sfreq``."""
        win = int(round(self.window_seconds * sfreq))
        hop = win - int(round(self.overlap_seconds * sfreq))
        return win, hop
