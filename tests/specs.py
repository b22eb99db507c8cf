"""Stage specs for tests: the default config (config/config.yaml) with a test's own settings
over it, built by the specs' ``from_config`` exactly as the workflow builds them."""

from __future__ import annotations

import dataclasses
import os

from conftest import REPO

from seedflow import config as seedflow_config
from seedflow.features.preprocessing import Preprocessing
from seedflow.features.scheduling import SlurmWorkers
from seedflow.features.spec import FeatureSpec
from seedflow.recognition.protocols import ProtocolSpec
from seedflow.recognition.stacking import StackingSpec
from seedflow.recognition.train import TrainSpec
from seedflow.synthesis.feature_gan import FeatureGanSpec
from seedflow.synthesis.mixup import MixupSpec
from seedflow.synthesis.signal_gan import SignalGanSpec
from seedflow.synthesis.training import GanSpec, SpectralGanSpec

DEFAULTS = seedflow_config.load(REPO / "config" / "config.yaml")
# In-process tests train on the backend Keras runs here (KERAS_BACKEND, else TensorFlow);
# the workflow's jobs take config key keras_backend.
DEFAULTS["keras_backend"] = os.environ.get("KERAS_BACKEND", "tensorflow")
BANDS = DEFAULTS["features"]["bands"]  # the features stage's default bands


def config_with(**sections: dict) -> dict:
    """The default config, each given section's keys replaced by the given ones."""
    return seedflow_config.merge(DEFAULTS, sections)


def train_spec(model: str, settings: dict, protocol: str = "subject_dependent") -> TrainSpec:
    """A fold's spec with ``settings`` over the default ``recognition`` section; the critical
    bands and channels are not measured unless ``settings`` asks (tests/test_importance.py
    and the tiny run test them; elsewhere they would only add time)."""
    settings = {"importance_repeats": 0, **settings}
    return TrainSpec.from_config(config_with(recognition=settings), model, protocol)


def stacking_spec(settings: dict) -> StackingSpec:
    return StackingSpec.from_config(config_with(recognition=settings))


def gan_spec(settings: dict) -> GanSpec:
    """The feature GAN's spec, ``settings`` over the default ``synthesis`` section."""
    return GanSpec.from_config(config_with(synthesis=settings))


def spectral_gan_spec(settings: dict) -> SpectralGanSpec:
    """The signal GAN's spec, ``settings`` over the default ``synthesis`` section."""
    return SpectralGanSpec.from_config(config_with(synthesis=settings))


def signal_gan_spec(settings: dict, recognition: dict | None = None,
                    features: dict | None = None) -> SignalGanSpec:
    return SignalGanSpec.from_config(config_with(synthesis=settings,
                                                 recognition=recognition or {},
                                                 features=features or {}))


def feature_gan_spec(settings: dict, recognition: dict | None = None) -> FeatureGanSpec:
    return FeatureGanSpec.from_config(config_with(synthesis=settings,
                                                  recognition=recognition or {}))


def mixup_spec(settings: dict, recognition: dict | None = None) -> MixupSpec:
    return MixupSpec.from_config(config_with(synthesis=settings, recognition=recognition or {}))


def feature_spec(**fields) -> FeatureSpec:
    """The default ``features`` section's spec with ``fields`` replaced."""
    return dataclasses.replace(FeatureSpec.from_config(DEFAULTS), **fields)


def preprocessing_spec(**fields) -> Preprocessing:
    """The default ``features.preprocessing`` (every step off) with ``fields`` replaced."""
    return dataclasses.replace(Preprocessing.from_config(DEFAULTS), **fields)


def protocol_spec(protocol: str, settings: dict) -> ProtocolSpec:
    """``settings`` over the default ``recognition`` section, for ``protocol``."""
    return ProtocolSpec.from_config(config_with(recognition=settings), protocol)


def slurm_workers(**fields) -> SlurmWorkers:
    """The default ``features.slurm`` section's workers with ``fields`` replaced."""
    return dataclasses.replace(SlurmWorkers.from_config(DEFAULTS), **fields)
