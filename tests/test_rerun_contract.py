"""Only what changed reruns: after one complete tiny run, a dry run with one kind of change
plans exactly the jobs whose outputs depend on it (Snakemake reruns a job whose params,
inputs or code changed), and nothing for resources, schedulers and cluster settings."""

import re
from pathlib import Path

import pytest
import yaml

from conftest import REPO, TINY, snakemake

AGGREGATES = {"metrics", "subject_report", "summary_report"}


def planned(workdir: Path, *configs: Path) -> list[tuple[str, dict]]:
    """(rule, wildcards) of every job a dry run plans with ``configs`` (in this order, each
    over the previous), ``rule all`` left out."""
    result = snakemake(workdir, "-n", "--configfile", *map(str, configs))
    assert result.returncode == 0, result.stderr[-5000:]
    jobs = []
    for line in (result.stdout + result.stderr).splitlines():
        rule = re.match(r"(?:local)?rule (\w+):$", line)
        if rule:
            jobs.append((rule.group(1), {}))
        wildcards = re.match(r"\s+wildcards: (.*)$", line)
        if wildcards and jobs:
            jobs[-1][1].update(item.split("=", 1) for item in wildcards.group(1).split(", "))
    return [(rule, w) for rule, w in jobs if rule != "all"]


def override(tmp_path: Path, name: str, settings: dict) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def done(tiny_run) -> Path:
    """The working directory of the complete tiny run; nothing is left to do in it."""
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-5000:]
    assert planned(workdir, TINY) == []
    return workdir


@pytest.mark.slow
def test_resources_schedulers_and_cluster_settings_plan_no_job(done, tmp_path):
    changed = {
        "features": {"mem_mb": 1234, "scheduler": "processes",
                     "slurm": {"workers": 3, "cores": 2, "mem_mb": 999, "runtime": 5,
                               "partition": "short", "account": "lab", "interface": "ib0",
                               "job_extra_directives": ["--qos=short"], "start_timeout": 60}},
        "cluster": {"partition": "cpu", "gpu_partition": "gpu", "gpus": 2, "gpu_model": "a100",
                    "cpus_per_gpu": 8, "mem_mb_per_input_mb": 6, "min_mem_mb": 3000,
                    "minutes_per_input_gb": 45, "min_runtime": 20, "train_mem_mb": 16000,
                    "train_runtime": 240},
    }
    assert planned(done, TINY, override(tmp_path, "resources", changed)) == []


def _reordered(value, key=None):
    """``value`` with the keys of every settings mapping in reverse order (not those of
    ``features.bands``, whose order is the order of the features' bands)."""
    if isinstance(value, dict) and key != "bands":
        return {k: _reordered(value[k], k) for k in reversed(list(value))}
    return value


@pytest.mark.slow
def test_restating_every_default_in_another_key_order_plans_no_job(done, tmp_path):
    defaults = yaml.safe_load((REPO / "config" / "config.yaml").read_text())
    restated = override(tmp_path, "defaults", _reordered(defaults))
    assert list(yaml.safe_load(restated.read_text())) == list(reversed(list(defaults)))
    assert planned(done, restated, TINY) == []


@pytest.mark.slow
def test_adding_a_model_plans_only_its_jobs_and_the_aggregates(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "svm", {"recognition":
                                                          {"models": ["cnn4d", "svm"]}}))
    trained = sorted((w["model"], w["fold"]) for rule, w in jobs if rule == "train_baseline")
    assert trained == [("svm", "sub-1_ses-1"), ("svm", "sub-2_ses-1")]
    assert {rule for rule, _ in jobs} == {"train_baseline", *AGGREGATES}
    assert len(jobs) == 2 + 1 + 2 + 1  # svm folds, metrics, subject reports, summary


@pytest.mark.slow
def test_changing_the_report_excerpt_plans_only_reports(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "excerpt", {"report": {"excerpt_seconds": 7}}))
    assert sorted(rule for rule, _ in jobs) == ["subject_report", "subject_report",
                                                "summary_report"]


@pytest.mark.slow
def test_adding_a_subject_plans_its_jobs_and_those_whose_inputs_change(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "subject", {"simulation": {"subjects": 3}}))
    pooled = AGGREGATES | {"signal_gan", "feature_gan", "mixup"}
    for rule, w in jobs:  # the new subject's files, stores and folds only
        assert rule in pooled or _subject(w) == "3", (rule, w)
    assert sorted(rule for rule, _ in jobs if rule not in pooled) == [
        "features", "ingest", "simulate_file", "train", "train_augmented", "train_augmented"]
    # the pooled GANs train on every subject; the aggregates and every subject's report
    # (which shows the pooled GAN's samples) read them
    assert sorted(rule for rule, _ in jobs if rule in pooled) == [
        "feature_gan", "metrics", "mixup", "signal_gan", "subject_report", "subject_report",
        "subject_report", "summary_report"]


def _subject(wildcards: dict) -> str | None:
    """The subject a per-subject job is about (its subject, its fold's, its file's)."""
    if "subject" in wildcards:
        return wildcards["subject"]
    found = (re.fullmatch(r"sub-([^_]+)_ses-.*", wildcards.get("fold", ""))
             or re.fullmatch(r"Preprocessed_EEG/(\d+)_\d{8}\.mat", wildcards.get("path", "")))
    return found and found.group(1)


@pytest.mark.slow
def test_changing_the_feature_window_reruns_the_features_and_what_reads_them(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "window", {"features": {"window_seconds": 2}}))
    assert sorted(w["session"] for rule, w in jobs if rule == "features") == ["1", "1"]
    # the raw-signal jobs (files, ingest stores, the signal GAN) do not read the features
    assert {rule for rule, _ in jobs} == {"features", "train", "feature_gan", "mixup",
                                          "train_augmented", *AGGREGATES}


@pytest.mark.slow
def test_changing_the_epochs_reruns_every_fold_and_nothing_before(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "epochs", {"recognition": {"epochs": 5}}))
    assert sorted(w["fold"] for rule, w in jobs if rule == "train") == ["sub-1_ses-1",
                                                                        "sub-2_ses-1"]
    assert {rule for rule, _ in jobs} == {"train", "train_augmented", *AGGREGATES}


@pytest.mark.slow
def test_changing_the_keras_backend_reruns_what_keras_trains_and_nothing_else(done, tmp_path):
    """The backend changes the numbers of every Keras training job (folds, both GANs, the
    augmentation arms); features, mixup and the stores stay."""
    jobs = planned(done, TINY, override(tmp_path, "backend", {"keras_backend": "tensorflow"}))
    assert sorted(w["fold"] for rule, w in jobs if rule == "train") == ["sub-1_ses-1",
                                                                        "sub-2_ses-1"]
    assert {rule for rule, _ in jobs} == {"train", "train_augmented", "signal_gan",
                                          "feature_gan", *AGGREGATES}


@pytest.mark.slow
def test_changing_the_planted_effect_rewrites_the_recordings_not_the_labels(done, tmp_path):
    jobs = planned(done, TINY, override(tmp_path, "effect", {"simulation": {"effect_size": 1}}))
    written = sorted(w["path"] for rule, w in jobs if rule == "simulate_file")
    assert len(written) == 2 and all(_subject(w) for rule, w in jobs if rule == "simulate_file")
    assert sorted(rule for rule, _ in jobs if rule in {"ingest", "features"}) == [
        "features", "features", "ingest", "ingest"]
