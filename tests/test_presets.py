"""recognition.preset: each literature setting resolves to the settings documented for it,
keys the user's own config files state win over it, and a preset whose split the dataset
cannot hold stops the plan with one error naming recognition.preset."""

import copy
import logging

import numpy as np
import pytest
import yaml

from conftest import REPO, TINY, snakemake
from seedflow import config as seedflow_config
from seedflow import presets
from seedflow.errors import SeedflowError
from seedflow.recognition import protocols
from specs import DEFAULTS

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
SEED_LABELS = np.array([1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1]) + 1  # label.mat


def _resolved(name: str, stated: dict | None = None) -> dict:
    """The defaults with ``stated`` merged (as Snakemake merges the user's files) and the
    preset applied over them."""
    stated = seedflow_config.merge({"recognition": {"preset": name}}, stated or {})
    config = seedflow_config.merge(DEFAULTS, stated)
    presets.apply(config, stated)
    seedflow_config.validate(config, SCHEMA)
    return config


def _session(subjects=1, sessions=1):
    """Trial keys and labels of SEED-like sessions: 15 trials, SEED's labels."""
    rows = [(str(s), str(k), t) for s in range(1, subjects + 1)
            for k in range(1, sessions + 1) for t in range(1, 16)]
    keys = np.array(rows, dtype=[("subject", "U32"), ("session", "U32"), ("trial", "i8")])
    return keys, np.tile(SEED_LABELS, subjects * sessions)


def test_seed_classic_is_trials_1_to_9_against_10_to_15_on_lds_smoothed_de():
    config = _resolved("seed-classic")
    rec, features = config["recognition"], config["features"]
    assert rec["protocols"] == ["subject_dependent"]
    assert (rec["train_trials"], rec["session_folds"], rec["validation_trials"]) == (9, 1, 0)
    assert (features["de_method"], features["smoothing"]) == ("stft", "lds")
    assert (features["window_seconds"], features["overlap_seconds"]) == (1.0, 0.0)
    keys, labels = _session()
    spec = protocols.ProtocolSpec.from_config(config, "subject_dependent")
    fold, = protocols.folds([("1", "1")], spec)
    split = protocols.split(fold, keys, labels, spec)
    assert keys["trial"][split.train].tolist() == list(range(1, 10))
    assert keys["trial"][split.test].tolist() == list(range(10, 16))


def test_libeer_subject_dependent_is_9_3_3_trials_stratified_per_session():
    config = _resolved("libeer-subject-dependent")
    rec = config["recognition"]
    assert rec["protocols"] == ["subject_dependent_tvt"]
    assert (rec["test_trials"], rec["validation_trials"]) == (1, 1)
    assert config["features"]["smoothing"] == "lds"
    keys, labels = _session(subjects=2, sessions=2)
    spec = protocols.ProtocolSpec.from_config(config, "subject_dependent_tvt")
    sessions = sorted({(s, k) for s, k, _ in keys.tolist()})
    drawn = []
    for fold in protocols.folds(sessions, spec):
        mine = (keys["subject"] == fold.sessions[0][0]) & (keys["session"] == fold.sessions[0][1])
        split = protocols.split(fold, keys[mine], labels[mine], spec)
        validation = protocols.validation_trials(keys[mine], labels[mine], split.train,
                                                 rec["validation_trials"], rec["seed"])
        train = split.train & ~validation
        for side, count in ((train, 9), (validation, 3), (split.test, 3)):
            assert side.sum() == count
            assert sorted(labels[mine][side].tolist()) == sorted([0, 1, 2] * (count // 3))
        assert not (train & split.test).any() and not (validation & split.test).any()
        drawn.append(tuple(keys["trial"][mine][split.test]))
    assert len(set(drawn)) > 1  # drawn per session, not the same trials everywhere
    again = protocols.split(fold, keys[mine], labels[mine], spec)
    assert (again.test == split.test).all()  # and the same draw on every run


def test_libeer_cross_subject_is_fixed_9_3_3_subjects():
    config = _resolved("libeer-cross-subject")
    rec = config["recognition"]
    assert rec["protocols"] == ["cross_subject_tvt"]
    assert (rec["test_subjects"], rec["validation_subjects"], rec["validation_trials"]) == (3, 3, 0)
    keys, labels = _session(subjects=15, sessions=2)
    spec = protocols.ProtocolSpec.from_config(config, "cross_subject_tvt")
    sessions = sorted({(s, k) for s, k, _ in keys.tolist()})
    fold, = protocols.folds(sessions, spec)
    assert fold.name == "holdout" and len(fold.sessions) == 30
    split = protocols.split(fold, keys, labels, spec)
    sides = [set(keys["subject"][mask].tolist())
             for mask in (split.train, split.validation, split.test)]
    assert [len(side) for side in sides] == [9, 3, 3]
    assert set.union(*sides) == {str(s) for s in range(1, 16)}
    assert not (split.train & split.validation).any() and not (split.train & split.test).any()
    assert not (split.validation & split.test).any()


def test_seed_loso_leaves_one_subject_out_on_lds_smoothed_de():
    config = _resolved("seed-loso")
    assert config["recognition"]["protocols"] == ["loso"]
    assert (config["features"]["de_method"], config["features"]["smoothing"]) == ("stft", "lds")


def test_listed_subjects_are_taken_as_given_and_unknown_ones_are_an_error():
    spec = protocols.ProtocolSpec.from_config(seedflow_config.merge(DEFAULTS, {"recognition": {
        "test_subjects": [3, 4], "validation_subjects": ["1"]}}), "cross_subject_tvt")
    sets = protocols.subject_sets(["1", "2", "3", "4", "5"], spec)
    assert sets == {"test": ["3", "4"], "validation": ["1"], "train": ["2", "5"]}
    with pytest.raises(SeedflowError, match=r"recognition.test_subjects: \['3', '4'\]: not "
                                            r"subjects of the dataset: \['4'\]"):
        protocols.subject_sets(["1", "2", "3"], spec)


def test_explicit_keys_win_over_the_preset(caplog):
    stated = {"recognition": {"train_trials": 6}, "features": {"smoothing": "none"}}
    with caplog.at_level(logging.WARNING, logger="seedflow.presets"):
        config = _resolved("seed-classic", stated)
    assert config["recognition"]["train_trials"] == 6
    assert config["features"]["smoothing"] == "none"
    assert config["features"]["de_method"] == "stft"  # not stated: the preset's
    assert "features.smoothing = 'none' (preset: 'lds')" in caplog.text
    setting = presets.resolved(config)
    assert setting["preset"] == "seed-classic"
    assert setting["settings"]["recognition.train_trials"] == 6
    assert setting["settings"]["features.smoothing"] == "none"


def test_no_preset_changes_nothing():
    config = copy.deepcopy(DEFAULTS)
    assert presets.apply(config, {}) == {} and config == DEFAULTS
    assert presets.resolved(config)["preset"] is None


def test_every_preset_is_in_the_schema_and_documented():
    schema = yaml.safe_load(SCHEMA.read_text())
    assert schema["properties"]["recognition"]["properties"]["preset"]["enum"] == [
        None, *presets.PRESETS]
    readme = (REPO / "config" / "README.md").read_text() + (REPO / "README.md").read_text()
    for name in presets.PRESETS:
        assert f"`{name}`" in readme


def test_a_preset_the_dataset_cannot_hold_stops_the_plan_naming_the_preset(tmp_path):
    """tests/tiny.yaml: sessions of 6 trials, 2 per class. LibEER's subject-dependent
    setting holds out 1 test and 1 validation trial per class: no training trial is left.
    The dry run shows that Snakemake's merge of the user's files is what the preset sees:
    stating validation_trials there makes the plan work."""
    extra = tmp_path / "preset.yaml"
    extra.write_text("recognition:\n  preset: libeer-subject-dependent\n  models: [svm]\n"
                     "synthesis:\n  enabled: false\n")
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    assert result.returncode != 0
    output = result.stdout + result.stderr
    errors = [line for line in output.splitlines() if "config key" in line]
    assert len(errors) == 1, output
    assert errors[0].startswith("config key recognition.preset: libeer-subject-dependent")
    assert "sets recognition.validation_trials = 1" in errors[0]
    assert "state recognition.validation_trials in your config file" in errors[0]

    extra.write_text(extra.read_text().replace("  models: [svm]\n",
                                               "  models: [svm]\n  validation_trials: 0\n"))
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "models/svm/subject_dependent_tvt/sub-2_ses-1/metrics.json" in result.stdout
    assert "your config states recognition.validation_trials = 0 (preset: 1)" in (
        result.stdout + result.stderr)


def test_cross_subject_validation_subjects_drive_early_stopping():
    from specs import train_spec

    spec = train_spec("cnn4d", {"validation_trials": 2}, "cross_subject_tvt")
    assert spec.validation_trials == 0  # its validation is its validation subjects
    assert spec.fit.patience == DEFAULTS["recognition"]["patience"]
    assert train_spec("cnn4d", {"validation_subjects": 0}, "cross_subject_tvt").fit.patience is None
