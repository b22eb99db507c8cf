import copy
from pathlib import Path

import pytest
import yaml

from seedflow import config
from seedflow.errors import SeedflowError

from conftest import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def defaults():
    return config.load(REPO / "config" / "config.yaml")


def test_defaults_are_valid(defaults):
    config.validate(defaults, SCHEMA)
    assert defaults["dataset"]["kind"] == "simulated"


def test_override_merges_nested_keys(defaults, tmp_path: Path):
    override = tmp_path / "mine.yaml"
    override.write_text(yaml.safe_dump({"simulation": {"subjects": 1}, "results": "out"}))
    merged = config.load(REPO / "config" / "config.yaml", override)
    assert merged["simulation"]["subjects"] == 1
    assert merged["simulation"]["sessions"] == defaults["simulation"]["sessions"]
    assert merged["results"] == "out"


@pytest.mark.parametrize("change, key", [
    (lambda c: c["simulation"].update(subjectz=3), "simulation.subjectz"),
    (lambda c: c["simulation"].update(subjects=0), "simulation.subjects"),
    (lambda c: c["dataset"].update(kind="seed-vi"), "dataset.kind"),
    (lambda c: c["recognition"].update(models=["cnn4d", "transformer9000"]),
     "recognition.models.1"),
    (lambda c: c.update(extra=True), "extra"),
])
def test_bad_key_or_value_names_the_key(defaults, change, key):
    bad = copy.deepcopy(defaults)
    change(bad)
    with pytest.raises(SeedflowError, match=f"key '{key}'"):
        config.validate(bad, SCHEMA)


def test_schema_lists_exactly_the_registered_dataset_kinds():
    """The registry of kinds (each module of seedflow.datasets defining KIND) is the one
    list of kinds: the schema's enums must name the same ones."""
    from seedflow import datasets

    properties = yaml.safe_load(SCHEMA.read_text())["properties"]
    assert sorted(properties["dataset"]["properties"]["kind"]["enum"]) == sorted(
        [datasets.SIMULATED, *datasets.kinds()])
    assert sorted(properties["simulation"]["properties"]["layout"]["enum"]) == sorted(
        datasets.simulated_kinds())


def _builtin(value) -> bool:
    """Whether Snakemake would compare ``value`` as a param (builtin types all the way)."""
    if isinstance(value, dict):
        return all(_builtin(k) and _builtin(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_builtin(v) for v in value)
    return value is None or type(value) in (str, int, float, bool)


def test_every_stage_spec_reaches_its_rule_as_builtin_values_and_back(defaults, tmp_path):
    """Snakemake silently leaves params of other types out of its rerun check: each spec,
    nested specs and optional ones included, must travel as builtins and come back equal."""
    from seedflow.features.spec import FeatureSpec
    from seedflow.recognition.preparation import Preparation
    from seedflow.recognition.protocols import Fold
    from seedflow.recognition.stacking import StackingSpec
    from seedflow.recognition.train import TrainSpec
    from seedflow.simulate.signal import SimulationSpec
    from seedflow.stores.ingest import IngestSpec
    from seedflow.synthesis.augmentation import AugmentationSpec
    from seedflow.synthesis.feature_gan import FeatureGanSpec
    from seedflow.synthesis.mixup import MixupSpec
    from seedflow.synthesis.signal_gan import SignalGanSpec

    specs = [FeatureSpec.from_config(defaults), IngestSpec.from_config(defaults, ["FP1", "FZ"]),
             IngestSpec.from_config(defaults), TrainSpec.from_config(defaults, "cnn4d", "loso"),
             TrainSpec.from_config(defaults, "svm", "subject_dependent"),
             TrainSpec.from_config(defaults, "svm", "subject_dependent_tvt"),
             TrainSpec.from_config(config.merge(defaults, {"recognition": {
                 "test_subjects": [3, 1], "validation_subjects": 1}}), "cnn4d",
                 "cross_subject_tvt"),
             StackingSpec.from_config(defaults), SimulationSpec.from_config(defaults),
             SignalGanSpec.from_config(defaults), FeatureGanSpec.from_config(defaults),
             MixupSpec.from_config(defaults), AugmentationSpec.from_config(defaults, "mixup"),
             AugmentationSpec.from_config(defaults, "feature_wgan_gp"),
             Preparation.from_config(defaults, tmp_path),
             Fold("loso", "sub-1", (("1", "1"), ("2", "1")), 3)]
    for spec in specs:
        param = config.as_param(spec)
        assert _builtin(param), param
        assert config.from_param(type(spec), param) == spec


def test_a_keras_backend_not_installed_or_unable_to_train_the_gans_stops_the_run(
        defaults, monkeypatch):
    """Config key keras_backend, checked before any job: the backend must be installed and,
    with synthesis on, be one the GANs' train steps exist for."""
    import importlib.util

    from seedflow import keras_backend

    keras_backend.check(defaults)  # jax, installed
    installed = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "torch" else installed(name, *a))
    torch = {**defaults, "keras_backend": "torch"}
    with pytest.raises(SeedflowError, match="keras_backend: Keras backend torch is not installed"):
        keras_backend.check(torch)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: object())
    with pytest.raises(SeedflowError, match="the GANs .* train under jax or tensorflow, not torch"):
        keras_backend.check(torch)
    keras_backend.check({**torch, "synthesis": {**defaults["synthesis"], "enabled": False}})


def test_predict_takes_the_backend_a_fold_was_trained_on(tmp_path):
    """A Keras fold's metrics.json names it; a stacking fold takes its Keras base model's
    (its meta-model reads their probabilities); scikit-learn folds name none."""
    import json

    from seedflow import keras_backend

    for name, metrics in {"cnn4d": {"backend": "jax"}, "svm": {}, "stacking": {}}.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "metrics.json").write_text(json.dumps(metrics))
    (tmp_path / "stacking" / "preprocessing.json").write_text(json.dumps(
        {"model": "stacking", "base_dirs": {"svm": "../svm", "cnn4d": "../cnn4d"}}))
    assert [keras_backend.of_fold(tmp_path / n) for n in ("cnn4d", "svm", "stacking")] == [
        "jax", None, "jax"]
