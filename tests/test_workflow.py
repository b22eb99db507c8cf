"""The workflow as a user runs it: dry run, lint, config errors, and a tiny complete run."""

import json
import os
import re
import subprocess
import sys

import pytest

from conftest import REPO, TINY, snakemake


def test_dry_run_plans_jobs_per_subject_and_session_without_touching_data(tmp_path):
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY))
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    for rule, count in (("simulate_file", 3), ("ingest", 2), ("features", 2), ("train", 2),
                        ("signal_gan", 1), ("feature_gan", 1), ("mixup", 1), ("subject_report", 2), ("summary_report", 1)):
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), rule
    assert not (tmp_path / "results").exists()


def test_lint_is_clean(tmp_path):
    result = snakemake(tmp_path, "--lint")
    assert result.returncode == 0, result.stdout + result.stderr


def test_planning_does_not_import_keras():
    """Every module the rule files import, as the planning process imports them, leaves
    Keras (TensorFlow: seconds per Snakemake process, cluster jobs included) unimported."""
    lines = {line.strip() for rules in (REPO / "workflow" / "rules").glob("*.smk")
             for line in rules.read_text().splitlines()
             if re.match(r"\s*(from|import) seedflow", line)}
    probe = "\n".join([*sorted(lines), "import sys", "print('keras' in sys.modules)"])
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_bad_config_stops_before_any_job_and_names_the_key(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("simulation:\n  subjects: 0\n")
    result = snakemake(tmp_path, "--cores", "1", "--configfile", str(TINY), str(bad))
    assert result.returncode != 0
    assert "simulation.subjects" in result.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.slow
def test_tiny_run_end_to_end(tiny_run):
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-5000:]
    results = workdir / "results"
    assert sorted(p.name for p in (results / "simulated" / "Preprocessed_EEG").iterdir()) == [
        "1_20131013.mat", "2_20131016.mat", "label.mat"]
    for subject in ("1", "2"):
        assert (results / "ingest" / f"sub-{subject}" / "ses-1.zarr" / "zarr.json").is_file()
        assert (results / "features" / f"sub-{subject}" / "ses-1.zarr" / "de").is_dir()
        report = (results / "reports" / f"sub-{subject}.html").read_text()
        assert "Montage" in report and "DE topomaps" in report
    record, *augmented = json.loads((results / "summary" / "metrics.json").read_text())
    synthetic = [r for r in augmented if r.get("kind") == "synthesis"]
    augmented = [r for r in augmented if r.get("kind") == "augmentation"]
    assert [r["model"] for r in synthetic] == ["feature_wgan_gp", "mixup", "signal_gan"]
    # The augmentation experiment: cnn4d on real + synthetic windows of the same 2 folds.
    assert [(r["model"], r["augmentation"]) for r in augmented] == [
        ("cnn4d", "feature_wgan_gp"), ("cnn4d", "mixup")]
    for r in augmented:
        assert r["folds"].keys() == r["gain_folds"].keys() == record["folds"].keys()
        assert r["real_accuracy_mean"] == pytest.approx(record["accuracy_mean"])
        assert r["gain_mean"] == pytest.approx(r["accuracy_mean"] - record["accuracy_mean"])
        assert r["n_synthetic_windows_mean"] > 0
    for r in synthetic:
        assert r["protocol"] == "train_synthetic_test_real" and r["folds"].keys() == {"pooled"}
        assert set(r["quality"]["pooled"]) == {"negative", "neutral", "positive"}
    assert record["model"] == "cnn4d" and record["protocol"] == "subject_dependent"
    assert record["setting"]["preset"] is None  # no preset: the config's own setting
    assert record["setting"]["settings"]["recognition.train_trials"] == 3
    assert record["setting"]["settings"]["features.smoothing"] == "none"
    assert record["dataset"] == "simulated" and record["n_classes"] == 3
    assert record["n_folds"] == 2 and record["chance_level"] == pytest.approx(1 / 3)
    assert 0 <= record["accuracy_mean"] <= 1 and record["accuracy_std"] >= 0
    assert 0 <= record["f1_macro_mean"] <= 1
    summary = (results / "summary" / "report.html").read_text()
    for section in ("Recognition results", "Setting", "Synthetic data · signal_gan",
                    "Augmentation gain", "Configuration", "Software versions"):
        assert section in summary
    assert (results / "synthetic" / "signal_gan" / "pooled" / "generator.keras").is_file()
    assert (results / "synthetic" / "signal_gan" / "pooled" / "recording_eeg.fif").is_file()
    assert (results / "logs" / "train" / "cnn4d_subject_dependent_sub-1_ses-1.log").stat().st_size


def test_dry_run_plans_one_job_per_model_protocol_and_fold(tmp_path):
    """2 subjects x 1 session: 2 subject-dependent folds, 2 LOSO folds, 3 K-folds (9 trials
    per session, so that 6 training trials keep a training trial of each class beside its
    validation trial)."""
    extra = tmp_path / "models.yaml"
    extra.write_text("recognition:\n  models: [cnn4d, tsception, svm, stacking]\n"
                     "  protocols: [subject_dependent, loso, kfold]\n  kfold: 3\n"
                     "  validation_trials: 1\n  stacking: [cnn4d, svm]\n  train_trials: 6\n"
                     "simulation:\n  trials_per_session: 9\n")
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    assert result.returncode == 0, result.stderr
    out = result.stdout + result.stderr
    for rule, count in (("train", 14), ("train_baseline", 7), ("stacking", 7)):
        assert any(line.split() == [rule, str(count)] for line in out.splitlines()), rule
    assert "models/tsception/loso/sub-1" in out and "checkpoints" not in out


def test_per_subject_synthesis_plans_one_gan_per_subject(tmp_path):
    per_subject = tmp_path / "per_subject.yaml"
    per_subject.write_text("synthesis:\n  per_subject: true\n")
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(per_subject))
    assert result.returncode == 0, result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    for rule in ("signal_gan", "feature_gan", "mixup"):
        assert any(line.split() == [rule, "2"] for line in lines), rule
    assert "synthetic/signal_gan/sub-2/recording.zarr" in result.stdout
