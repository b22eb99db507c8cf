"""The workflow on each dataset layout, from the files in that layout through ingest, features,
the cheapest model (linear SVM, synthesis off) to metrics.json and the HTML reports.

SEED runs with its official ExtractedFeatures (``dataset.features: official``), the other
layouts with computed features; ``mne`` reads FIF recordings with BIDS events files.
seed-ger and seed-fra share seed-v's reader (tested in test_readers). FACED's labels follow
its 28 clips' order (three of an emotion in a row), so it runs the trial-grouped ``kfold``
protocol; DEAP's trials are read after their 3-s baseline."""

import json
import shutil

import pytest
import yaml

from layouts import write_simulated
from seedflow.stores.features import FeatureStore
from seedflow.datasets import trial_table
from seedflow.stores.ingest import IngestStore
from test_workflow import TINY, snakemake

SEED_V_CLASSES = ["disgust", "fear", "sad", "neutral", "happy"]
LAYOUTS = {  # layout -> (sessions, simulated files, sampling rate, channels, classes)
    "seed": (2, 3, 200, 62, ["negative", "neutral", "positive"]),  # files: + label.mat
    "seed-iv": (2, 2, 200, 62, ["neutral", "sad", "fear", "happy"]),
    "seed-v": (2, 3, 1000, 62, SEED_V_CLASSES),
    "dreamer": (1, 1, 128, 14, ["low", "high"]),
    "deap": (1, 1, 128, 32, ["low", "high"]),
    "faced": (1, 1, 250, 30, ["anger", "disgust", "fear", "sadness", "neutral", "amusement",
                              "inspiration", "joy", "tenderness"]),
    "mne": (1, 0, 1000, 64, SEED_V_CLASSES),  # every 10-05 channel: SEED's 62, M1, M2
}
TRIALS, SECONDS = 6, 4
FACED_CLIPS, FACED_SECONDS, FACED_FOLDS = 28, 2, 2
RUN = {"recognition": {"models": ["svm"], "train_trials": 3},
       "synthesis": {"enabled": False, "feature_gan": {"enabled": False}}}


def _mne_dataset(root) -> dict:
    """A FIF recording named the BIDS way, with its events TSV (from a simulated SEED-V)."""
    config = write_simulated(root / "source", "seed-v", trials_per_session=TRIALS,
                             trial_seconds=SECONDS)
    folder = root / "bids"
    folder.mkdir()
    source = next((root / "source" / "EEG_raw").glob("*.fif"))
    shutil.copy(source, folder / "sub-1_ses-1_task-film_eeg.fif")
    rows = trial_table.read(root / "source" / "trial_table.tsv")
    (folder / "sub-1_ses-1_task-film_events.tsv").write_text(
        "onset\tduration\ttrial_type\n" + "".join(
            f"{r.start_s}\t{r.end_s - r.start_s}\t{r.label}\n" for r in rows))
    assert config["simulation"]["sfreq"] is None  # SEED-V's rate, 1000 Hz
    return {"dataset": {"kind": "mne", "root": str(folder),
                        "event_labels": {str(k): name for k, name in enumerate(SEED_V_CLASSES)}}}


def _config(tmp_path, layout) -> dict:
    if layout == "mne":
        return {**RUN, **_mne_dataset(tmp_path)}
    trials, seconds = _trials(layout)
    config = {**RUN, "simulation": {"layout": layout, "sfreq": None, "subjects": 1,
                                    "sessions": 2, "trials_per_session": trials,
                                    "trial_seconds": seconds}}
    if layout == "seed":
        config["dataset"] = {"features": "official"}
    if layout == "faced":
        config["dataset"] = {"target": "emotion"}
        config["recognition"] = {**RUN["recognition"], "protocols": ["kfold"],
                                 "kfold": FACED_FOLDS}
    return config


def _trials(layout) -> tuple[int, int]:
    """(trials per session, seconds per trial)."""
    return (FACED_CLIPS, FACED_SECONDS) if layout == "faced" else (TRIALS, SECONDS)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_layout_runs_to_metrics_and_reports(tmp_path, layout):
    sessions, n_files, sfreq, n_channels, classes = LAYOUTS[layout]
    trials, seconds = _trials(layout)
    protocol, n_folds = ("kfold", FACED_FOLDS) if layout == "faced" else (
        "subject_dependent", sessions)
    config = tmp_path / "layout.yaml"
    config.write_text(yaml.safe_dump(_config(tmp_path, layout)))
    args = ["--configfile", str(TINY), str(config)]
    plan = snakemake(tmp_path, "-n", *args)
    assert plan.returncode == 0, plan.stderr
    lines = (plan.stdout + plan.stderr).splitlines()
    for rule, count in (("simulate_file", n_files), ("ingest", sessions), ("signal_gan", 0),
                        ("simulate_features", sessions if layout == "seed" else 0),
                        ("official_features" if layout == "seed" else "features", sessions)):
        assert any(line.split() == [rule, str(count)] for line in lines) == (count > 0), rule

    run = snakemake(tmp_path, "--cores", "2", *args)
    assert run.returncode == 0, run.stderr[-5000:]
    results = tmp_path / "results"
    for k in range(1, sessions + 1):
        store = IngestStore.open(results / "ingest" / "sub-1" / f"ses-{k}.zarr")
        assert store.sfreq == sfreq and len(store.ch_names) == n_channels
        assert store.class_names == classes and len(store.labels) == trials
        assert store.eeg.shape[1] == trials * seconds * sfreq
        feats = FeatureStore.open(results / "features" / "sub-1" / f"ses-{k}.zarr")
        assert feats.de.shape == (trials * seconds, n_channels, 5)
        assert feats.attrs["de_method"].startswith("official" if layout == "seed" else "filter")

    record, = json.loads((results / "summary" / "metrics.json").read_text())
    assert (record["model"], record["protocol"]) == ("svm", protocol)
    assert record["n_classes"] == len(classes) and record["n_folds"] == n_folds
    assert 0 < record["chance_level"] <= 1
    for key in ("accuracy_mean", "f1_macro_mean", "trial_accuracy_mean"):
        assert 0 <= record[key] <= 1, key
    folds = [f"fold-{j}" for j in range(1, n_folds + 1)] if layout == "faced" else [
        f"sub-1_ses-{k}" for k in range(1, sessions + 1)]
    tested = [json.loads((results / "models" / "svm" / protocol / fold / "metrics.json")
                         .read_text())["confusion_matrix"] for fold in folds]
    if layout == "faced":  # every window tested once, in one of the folds
        assert sum(sum(map(sum, matrix)) for matrix in tested) == trials * seconds
    else:
        assert all(sum(map(sum, matrix)) == (trials - 3) * seconds for matrix in tested)

    subject = (results / "reports" / "sub-1.html").read_text()
    per_subject = ("Model svm",) if protocol == "subject_dependent" else ()  # kfold: pooled
    for section in ("Montage", "Raw traces", "DE topomaps", *per_subject):
        assert section in subject, section
    assert "Real vs synthetic" not in subject
    summary = (results / "summary" / "report.html").read_text()
    for section in ("Recognition results", "Synthesis is off", "Input files"):
        assert section in summary, section
    assert not (results / "synthetic").exists()
