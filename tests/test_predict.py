"""``seedflow predict``: a trained model (stacking included) and a recording in the format
of the training data (SEED .mat, a SEED-V-like FIF with its trial table, an MNE-readable
file with annotations or an events TSV, a real Neuroscan CNT) give the same probabilities
as the workflow gave for the same windows, with the training preprocessing."""

import csv
import json
import shutil
from pathlib import Path

import mne
import pytest
from conftest import predict_cli
from layouts import complete, open_source, recordings_of, write_simulated
from test_cnt import CNT

from seedflow.features import extraction
from seedflow.recognition import protocols
from seedflow.recognition import stacking
from seedflow.recognition import train
from seedflow.cli import main
from seedflow.stores import ingest as ingest_store
from seedflow.recognition.representations import Session
from specs import BANDS
from seedflow.recognition.preparation import Preparation
from seedflow.features.spec import FeatureSpec
from specs import train_spec
from specs import stacking_spec

SETTINGS = {"seed": 0, "validation_trials": 1}
FEATURES = {"window_seconds": 1.0, "bands": dict(BANDS), "filter_order": 4,
            "windows_per_chunk": 60, "scheduler": "threads"}


def prepare(config: dict, root: Path) -> list[Session]:
    """Ingest and features of every recording as the workflow's rules make them."""
    config = complete(config)
    sessions = []
    for recording in recordings_of(config):
        raw = root / "zarr" / f"{recording.subject}_{recording.session}.zarr"
        ingest_store.write(open_source(config, recording), raw,
                                 chunk_seconds=config["ingest"]["chunk_seconds"],
                                 attrs={"subject": recording.subject,
                                        "session": recording.session, "dataset": "test"})
        out = root / "features" / f"{recording.subject}_{recording.session}.zarr"
        extraction.extract(ingest=raw, out=out, spec=FeatureSpec.from_config(config))
        sessions.append(Session(recording.subject, recording.session, out, raw))
    return sessions


def preprocessing(config: dict, model_dir: Path) -> dict:
    """What the train rule keeps for ``seedflow predict``."""
    return Preparation.from_config(complete(config), model_dir).record()


def rows(path: Path) -> list[dict]:
    with open(path) as f:
        return list(csv.DictReader(f))


def assert_same_predictions(predicted: Path, expected: Path) -> None:
    """Every window predicted during training has the same probabilities from predict."""
    by_window = {(r["trial_id"], r["window_start"]): r for r in rows(predicted)}
    reference = rows(expected)
    assert reference
    for row in reference:
        got = by_window[(row["trial_id"], row["window_start"])]
        assert got["label"] == row["label"] and got["predicted"] == row["predicted"]
        columns = [k for k in row if k[0] == "p" and k[1:].isdigit()]
        assert max(abs(float(got[k]) - float(row[k])) for k in columns) < 2e-6


@pytest.fixture(scope="module")
def seed_run(tmp_path_factory):
    """SEED .mat data (9 trials: 6 train, 1 per class for validation, 3 test), svm and
    logreg trained and stacked."""
    root = tmp_path_factory.mktemp("predict-seed")
    config = write_simulated(root, "seed", trials_per_session=9, trial_seconds=8,
                             sfreq=200)
    config.update(ingest={"chunk_seconds": 10}, features=FEATURES)
    sessions = prepare(config, root)
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
    models = root / "models"
    for name in ("svm", "logreg"):
        train.train_fold(model=name, fold=fold, sessions=sessions, out_dir=models / name, spec=train_spec(name, {**SETTINGS, "train_trials": 6}, fold.protocol), preprocessing=preprocessing(config, models / name))
    stacking.train_fold(base_dirs={m: models / m for m in ("svm", "logreg")}, protocol="subject_dependent", fold=fold.name, out_dir=models / "stacking", spec=stacking_spec(SETTINGS))
    return root, models


def test_stacking_predicts_a_seed_mat_recording_as_in_the_workflow(seed_run, tmp_path):
    root, models = seed_run
    (recording,) = (root / "Preprocessed_EEG").glob("1_*.mat")
    shutil.copytree(models, tmp_path / "moved")  # base models found relative to the stacking
    assert main(["predict", "--model", str(tmp_path / "moved" / "stacking"), "--recording",
                 str(recording), "--out", str(tmp_path / "out")]) == 0
    assert len(rows(tmp_path / "out" / "windows.csv")) == 9 * 8
    assert_same_predictions(tmp_path / "out" / "windows.csv",
                            models / "stacking" / "predictions.csv")
    trials = rows(tmp_path / "out" / "trials.csv")
    assert [int(r["trial_id"]) for r in trials] == list(range(1, 10))
    assert {r["subject"] for r in trials} == {"1"}
    assert all(r["predicted_class"] in ("negative", "neutral", "positive") for r in trials)


def test_predict_errors_name_the_problem(seed_run, tmp_path, capsys):
    root, models = seed_run
    (recording,) = (root / "Preprocessed_EEG").glob("1_*.mat")
    table = tmp_path / "table.tsv"
    table.write_text("session\ttrial\tstart_s\tend_s\tlabel\n")
    cases = [(["--model", str(tmp_path / "none"), "--recording", str(recording)],
              "model folder not found"),
             (["--model", str(models / "svm"), "--recording", str(table)],
              "unsupported recording format '.tsv' for dataset kind 'seed'"),
             (["--model", str(models / "svm"), "--recording", str(recording), "--kind",
               "seed-v"], "unsupported recording format '.mat' for dataset kind 'seed-v'")]
    for args, message in cases:
        assert main(["predict", *args, "--out", str(tmp_path / "out")]) == 1
        assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_trial_without_a_usable_window_has_a_row_without_prediction(seed_run, tmp_path,
                                                                       caplog):
    """Trial 4 of the recording lost on every channel: its windows are all left out, and
    trials.csv still lists it, with no prediction and no sample."""
    import numpy as np
    import scipy.io

    root, models = seed_run
    (recording,) = (root / "Preprocessed_EEG").glob("1_*.mat")
    mat = {k: v for k, v in scipy.io.loadmat(recording).items() if not k.startswith("__")}
    (key,) = [k for k in mat if k.endswith("_eeg4")]
    mat[key][:] = np.nan
    damaged = tmp_path / "data" / recording.name
    damaged.parent.mkdir()
    scipy.io.savemat(damaged, mat, format="5")
    shutil.copyfile(recording.with_name("label.mat"), damaged.with_name("label.mat"))
    assert main(["predict", "--model", str(models / "svm"), "--recording", str(damaged),
                 "--out", str(tmp_path / "out")]) == 0
    trials = rows(tmp_path / "out" / "trials.csv")
    assert [int(r["trial_id"]) for r in trials] == list(range(1, 10))
    assert {k: v for k, v in trials[3].items() if k not in ("subject", "session", "label")} \
        == {"trial_id": "4", "predicted": "", "predicted_class": "", "n_samples": "0",
            "p0": "", "p1": "", "p2": ""}
    assert all(r["n_samples"] == "8" and r["predicted_class"] for r in trials if r is not
               trials[3])
    assert len(rows(tmp_path / "out" / "windows.csv")) == 8 * 8
    assert "trials without a usable window (no prediction in trials.csv): 4" in caplog.text


@pytest.fixture(scope="module")
def fif_run(tmp_path_factory):
    """SEED-V-like FIF recordings at 1000 Hz with a trial table, features made with
    preprocessing (notch, resampling) and smoothing, an svm trained on them."""
    root = tmp_path_factory.mktemp("predict-fif")
    config = write_simulated(root, "seed-v", trials_per_session=10, trial_seconds=6)
    config.update(ingest={"chunk_seconds": 2}, features={
        **FEATURES, "smoothing": "moving_average", "smoothing_windows": 3,
        "preprocessing": {"notch": 50, "resample": 250}})
    sessions = prepare(config, root)
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
    train.train_fold(model="svm", fold=fold, sessions=sessions, out_dir=root / "svm", spec=train_spec("svm", {**SETTINGS, "train_trials": 5,
                                                           "validation_trials": 0}, fold.protocol), preprocessing=preprocessing(config, root / "svm"))
    (recording,) = recordings_of(config)
    return recording, root / "svm"


def test_a_fif_recording_with_its_trial_table_is_predicted_as_in_the_workflow(fif_run,
                                                                             tmp_path):
    recording, model = fif_run
    copy = tmp_path / recording.path.name  # outside the training dataset: named by the file
    shutil.copyfile(recording.path, copy)
    assert main(["predict", "--model", str(model), "--recording", str(copy), "--labels",
                 str(recording.extra_inputs[0]), "--out", str(tmp_path / "out")]) == 0
    assert_same_predictions(tmp_path / "out" / "windows.csv", model / "predictions.csv")
    assert len(rows(tmp_path / "out" / "trials.csv")) == 10


def test_a_recording_without_a_training_channel_is_refused(fif_run, tmp_path, capsys):
    recording, model = fif_run
    raw = mne.io.read_raw_fif(recording.path, preload=True, verbose="error")
    copy = tmp_path / recording.path.name
    raw.drop_channels(["FP1"]).save(copy, verbose="error")
    assert main(["predict", "--model", str(model), "--recording", str(copy), "--labels",
                 str(recording.extra_inputs[0]), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert str(copy) in err and "FP1" in err


def test_a_fold_of_the_workflow_predicts_its_recording_as_the_workflow_did(tiny_run,
                                                                          tmp_path):
    """The train rule keeps what predict needs: a fold of the tiny run, given only the
    recording, reproduces the fold's test predictions."""
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-3000:]
    fold = workdir / "results" / "models" / "cnn4d" / "subject_dependent" / "sub-2_ses-1"
    (recording,) = (workdir / "results" / "simulated" / "Preprocessed_EEG").glob("2_*.mat")
    run = predict_cli("--model", str(fold), "--recording", str(recording), "--out",
                      str(tmp_path / "out"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert json.loads((fold / "metrics.json").read_text())["backend"] == "jax"
    assert {r["subject"] for r in rows(tmp_path / "out" / "windows.csv")} == {"2"}
    assert_same_predictions(tmp_path / "out" / "windows.csv", fold / "predictions.csv")


def test_an_mne_recording_with_annotations_is_predicted_as_in_the_workflow(fif_run,
                                                                          tmp_path):
    """The ``mne`` kind: trials from the file's annotations (a copy elsewhere is read with
    an events TSV instead), channels those of SEED's 62 the file has."""
    from seedflow.datasets import trial_table

    recording, _ = fif_run
    table_rows = trial_table.read(recording.extra_inputs[0])
    raw = mne.io.read_raw_fif(recording.path, preload=True, verbose="error")
    raw.set_annotations(mne.Annotations([r.start_s for r in table_rows],
                                        [r.end_s - r.start_s for r in table_rows],
                                        [f"code{r.label}" for r in table_rows]))
    root = tmp_path / "bids"
    root.mkdir()
    raw.save(root / "sub-7_ses-2_eeg.fif", verbose="error")
    config = {"dataset": {"kind": "mne", "root": str(root), "event_labels": {
        f"code{k}": name for k, name in enumerate(("sad", "happy", "fear", "neutral",
                                                   "disgust"))}},
              "simulation": {}, "ingest": {"chunk_seconds": 5}, "features": FEATURES}
    sessions = prepare(config, tmp_path)
    assert [(s.subject, s.session) for s in sessions] == [("7", "2")]
    fold = protocols.Fold("subject_dependent", "sub-7_ses-2", (("7", "2"),))
    model = tmp_path / "model"
    train.train_fold(model="logreg", fold=fold, sessions=sessions, out_dir=model, spec=train_spec("logreg", {**SETTINGS, "train_trials": 5,
                                                       "validation_trials": 0}, fold.protocol), preprocessing=preprocessing(config, model))
    elsewhere = tmp_path / "new" / "sub-7_ses-2_eeg.fif"
    elsewhere.parent.mkdir()
    raw.set_annotations(None).save(elsewhere, verbose="error")
    events = elsewhere.with_name("sub-7_ses-2_events.tsv")
    events.write_text("onset\tduration\ttrial_type\n" + "".join(
        f"{r.start_s}\t{r.end_s - r.start_s}\tcode{r.label}\n" for r in table_rows))
    for path in (root / "sub-7_ses-2_eeg.fif", elsewhere):
        out = tmp_path / "out" / path.parent.name
        assert main(["predict", "--model", str(model), "--recording", str(path), "--out",
                     str(out)]) == 0
        assert_same_predictions(out / "windows.csv", model / "predictions.csv")
        assert {(r["subject"], r["session"]) for r in rows(out / "trials.csv")} == {("7", "2")}


@pytest.mark.skipif(CNT is None, reason="real CNT file scan41_short.cnt not found "
                                        "(set SEEDFLOW_TEST_CNT)")
def test_a_real_neuroscan_cnt_recording_is_predicted_as_in_the_workflow(tmp_path):
    """MNE's real CNT test file (int16, 400 Hz) with a BIDS events TSV, two classes (the
    linear SVM's single decision value becomes two probabilities)."""
    (tmp_path / "sub-41_task-rest_eeg.cnt").symlink_to(CNT)
    (tmp_path / "sub-41_task-rest_events.tsv").write_text(
        "onset\tduration\ttrial_type\n0.2\t1.7\tsad\n2.0\t1.7\thappy\n3.8\t1.7\tsad\n"
        "5.6\t1.7\thappy\n")
    config = {"dataset": {"kind": "mne", "root": str(tmp_path), "cnt_data_format": "int16",
                          "channels": ["1", "2", "3", "4"],
                          "event_labels": {"sad": "negative", "happy": "positive"}},
              "simulation": {}, "ingest": {"chunk_seconds": 1}, "features": FEATURES}
    sessions = prepare(config, tmp_path / "work")
    fold = protocols.Fold("subject_dependent", "sub-41_ses-1", (("41", "1"),))
    model = tmp_path / "model"
    train.train_fold(model="svm", fold=fold, sessions=sessions, out_dir=model, spec=train_spec("svm", {"seed": 0, "train_trials": 2}, fold.protocol), preprocessing=preprocessing(config, model))
    assert main(["predict", "--model", str(model), "--recording",
                 str(tmp_path / "sub-41_task-rest_eeg.cnt"), "--out",
                 str(tmp_path / "out")]) == 0
    assert_same_predictions(tmp_path / "out" / "windows.csv", model / "predictions.csv")
    trials = rows(tmp_path / "out" / "trials.csv")
    assert [r["predicted_class"] in ("negative", "positive") for r in trials] == [True] * 4
    assert all(abs(float(r["p0"]) + float(r["p1"]) - 1) < 1e-5 for r in trials)
