"""How a fold's input stores were made from the recordings (``preprocessing.json`` of a
trained model, less the model's own entries): what ``seedflow predict`` repeats on a new
recording. Built from the config by the workflow, written by
:func:`seedflow.recognition.train.train_fold`, read by :mod:`seedflow.recognition.predict`.
Resources and schedulers, which change no number, are not part of it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from seedflow.features.spec import FeatureSpec


@dataclass(frozen=True)
class Preparation:
    """The reader (:func:`seedflow.datasets.reader_record`: kind, settings, simulated
    facts, the dataset folder and trial table relative to the model's folder), the ingest
    chunk length, and the features (None: SEED's official features, which predict cannot
    compute)."""

    reader: dict
    chunk_seconds: float
    features: FeatureSpec | None

    @classmethod
    def from_config(cls, config: dict, model_dir: Path) -> "Preparation":
        from seedflow import datasets

        official = datasets.official_features(config)
        return cls(datasets.reader_record(config, model_dir),
                   float(config["ingest"]["chunk_seconds"]),
                   None if official else FeatureSpec.from_config(config))

    def record(self) -> dict:
        """The entries of ``preprocessing.json`` (JSON)."""
        return {"reader": self.reader, "ingest": {"chunk_seconds": self.chunk_seconds},
                "features": None if self.features is None
                else dataclasses.asdict(self.features),
                "official_features": self.features is None}
