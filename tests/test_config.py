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
