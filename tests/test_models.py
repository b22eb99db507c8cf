"""Every model of the registry trains on simulated data, saves, and reloads exactly."""

import csv

import numpy as np
import pytest
from recognition_data import make_sessions
from scipy.stats import binomtest

from seedflow import models
from seedflow.recognition import protocols
from seedflow.simulate import seed as simulate_seed
from seedflow.recognition import train
from conftest import simulation_spec
from specs import config_with, train_spec
from seedflow.recognition.preparation import Preparation

SETTINGS = {"seed": 0, "train_trials": 3, "learning_rate": 1e-3, "epochs": 2,
            "batch_size": 16, "segment_windows": 4, "sequence_windows": 5}
FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
KERAS = [n for n in models.NAMES if models.spec(n).kind == "keras"]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=6,
                                   trial_seconds=20, effect_size=2.0, seed=3)
    return make_sessions(tmp_path_factory.mktemp("models"), spec)


def _probabilities(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return np.array([[float(r[k]) for k in r if k[0] == "p" and k[1:].isdigit()]
                     for r in rows])


@pytest.mark.parametrize("name", KERAS)
def test_keras_model_trains_saves_and_reloads(name, sessions, tmp_path):
    import keras

    result = train.train_fold(model=name, fold=FOLD, sessions=sessions, out_dir=tmp_path, spec=train_spec(name, SETTINGS, FOLD.protocol))
    assert 0 <= result["accuracy"] <= 1 and result["epochs_run"] == 2
    with open(tmp_path / "history.csv") as f:
        assert [int(r["epoch"]) for r in csv.DictReader(f)] == [0, 1]
    saved = _probabilities(tmp_path / "predictions.csv")
    np.testing.assert_allclose(saved.sum(axis=1), 1, atol=1e-4)
    assert len(saved) == result["n_test_windows"]
    # The saved model reloads (custom layers included) and predicts the same.
    samples, _, _, test = train.fold_samples(FOLD, sessions, train_spec(name, SETTINGS, FOLD.protocol))
    reloaded = keras.saving.load_model(tmp_path / "model.keras")
    again = reloaded.predict(np.asarray(samples.subset(test).x[:]), verbose=0)
    np.testing.assert_allclose(again, saved, atol=1e-5)


@pytest.mark.parametrize("name", ["svm", "logreg"])
def test_baselines_learn_the_planted_effect(name, sessions, tmp_path):
    result = train.train_fold(model=name, fold=FOLD, sessions=sessions, out_dir=tmp_path, spec=train_spec(name, SETTINGS, FOLD.protocol))
    assert (tmp_path / "model.joblib").is_file()
    assert result["accuracy"] > 0.6  # chance 1/3 with effect_size 2


# dgcnn and eegnet on a planted effect, and on none (trial signatures only). EEGNet reads the
# raw, unfiltered windows (blinks, drift, line noise): on this little data it needs a stronger
# effect and more windows than the DE models. Sessions at 128 Hz, EEGNet's own rate.
LEARNING = {"seed": 0, "train_trials": 9, "validation_trials": 0, "learning_rate": 3e-3,
            "batch_size": 16}


@pytest.fixture(scope="module")
def planted_128(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=15, trial_seconds=10,
                           effect_size=4.0, sfreq=128, seed=3)
    return make_sessions(tmp_path_factory.mktemp("planted"), spec)


@pytest.fixture(scope="module")
def null_128(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=2, trials_per_session=15, trial_seconds=6,
                           effect_size=0.0, trial_signature=1.0, sfreq=128, seed=11)
    return make_sessions(tmp_path_factory.mktemp("null"), spec)


@pytest.mark.parametrize("name, epochs", [("dgcnn", 10), ("eegnet", 20)])
def test_graph_and_raw_window_models_learn_a_planted_effect_and_nothing_without_one(
        name, epochs, planted_128, null_128, tmp_path):
    spec = train_spec(name, {**LEARNING, "epochs": epochs}, FOLD.protocol)
    result = train.train_fold(model=name, fold=FOLD, sessions=planted_128,
                              out_dir=tmp_path / "planted", spec=spec)
    n = result["n_test_windows"]
    assert n == 6 * 10 and result["epochs_run"] == epochs
    hits = round(result["accuracy"] * n)
    assert binomtest(hits, n, 1 / 3, alternative="greater").pvalue < 1e-4, result["accuracy"]
    hits = trials = 0
    for session in null_128:
        fold = protocols.Fold("subject_dependent", f"sub-1_ses-{session.session}",
                              (("1", session.session),))
        result = train.train_fold(model=name, fold=fold, sessions=[session],
                                  out_dir=tmp_path / fold.name, spec=spec)
        tested = round(result["n_test_windows"] / 6)  # 6 windows per trial
        hits += round(result["trial_accuracy"] * tested)
        trials += tested
    assert trials == 12
    assert binomtest(hits, trials, 1 / 3).pvalue > 0.01, (hits, trials)


def test_builders_are_backend_agnostic_keras():
    """Model code uses keras.ops only: no backend module is imported by a model file."""
    from pathlib import Path

    folder = Path(models.__file__).parent
    for path in folder.glob("*.py"):
        text = path.read_text()
        for banned in ("import tensorflow", "import torch", "import jax", "tf."):
            assert banned not in text, (path.name, banned)


# EEGNet's spatial filters (seedflow.models.layers.SpatialFilters) against Keras'
# DepthwiseConv2D, same seed: initial kernel, output and max-norm constraint.
SPATIAL_FILTERS = """
import keras
import numpy as np
from seedflow.models.layers import SpatialFilters
x = np.random.default_rng(0).standard_normal((5, 62, 30, 8)).astype("float32")
keras.utils.set_random_seed(1)
depthwise = keras.layers.DepthwiseConv2D((62, 1), depth_multiplier=2, use_bias=False,
                                         depthwise_constraint=keras.constraints.MaxNorm(1.0))
depthwise.build(x.shape)
keras.utils.set_random_seed(1)
spatial = SpatialFilters(2, max_norm=1.0)
spatial.build(x.shape)
big = 3 * np.random.default_rng(2).standard_normal(spatial.kernel.shape).astype("float32")
numpy = keras.ops.convert_to_numpy
print(keras.backend.backend(),
      float(np.abs(numpy(depthwise.kernel) - numpy(spatial.kernel)).max()),
      float(np.abs(numpy(depthwise(x)) - numpy(spatial(x))).max()),
      float(np.abs(numpy(depthwise.depthwise_constraint(big))
                   - numpy(spatial.kernel.constraint(big))).max()))
"""


@pytest.mark.parametrize("backend", ["jax", "tensorflow"])
def test_eegnet_spatial_filters_compute_a_depthwise_convolution(backend):
    """Under JAX they are an einsum (XLA runs grouped convolutions ~95 times slower on
    CPU), elsewhere the backend's depthwise convolution: both give DepthwiseConv2D's
    numbers."""
    import os
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-c", SPATIAL_FILTERS], capture_output=True,
                         text=True, timeout=300,
                         env={**os.environ, "KERAS_BACKEND": backend, "JAX_PLATFORMS": "cpu"})
    assert run.returncode == 0, run.stderr[-3000:]
    name, kernel, output, constraint = run.stdout.split()
    assert name == backend and float(kernel) == 0.0 and float(constraint) == 0.0
    assert float(output) < 1e-5


PREPROCESSING = {"ingest": {"chunk_seconds": 10},
                 "features": {"window_seconds": 1.0, "bands": {
                     "delta": [1, 4], "theta": [4, 8], "alpha": [8, 14], "beta": [14, 31],
                     "gamma": [31, 50]}, "filter_order": 4, "windows_per_chunk": 60}}


@pytest.mark.parametrize("name", ["cnn4d", "svm", "dgcnn", "eegnet"])
def test_predict_cli_reproduces_the_training_pipeline(name, sessions, tmp_path):
    from seedflow.cli import main

    root = sessions[0].ingest.parents[2]
    dataset = {"dataset": {"kind": "seed", "root": str(root)}, "simulation": {}}
    train.train_fold(model=name, fold=FOLD, sessions=sessions, out_dir=tmp_path / "model", spec=train_spec(name, {**SETTINGS, "epochs": 1}, FOLD.protocol), preprocessing=Preparation.from_config(config_with(**PREPROCESSING, **dataset), tmp_path / "model").record())
    folder = root / "Preprocessed_EEG"
    assert main(["predict", "--model", str(tmp_path / "model"), "--recording",
                 str(folder / simulate_seed.session_filename(1, 1)), "--labels",
                 str(folder / "label.mat"), "--out", str(tmp_path / "out")]) == 0
    with open(tmp_path / "out" / "windows.csv") as f:
        windows = list(csv.DictReader(f))
    assert len(windows) == 6 * 20
    # The test windows' probabilities equal those computed during training.
    tested = [r for r in windows if int(r["trial_id"]) > 3]
    with open(tmp_path / "model" / "predictions.csv") as f:
        expected = list(csv.DictReader(f))
    assert [(r["trial_id"], r["window_start"]) for r in tested] == [
        (r["trial_id"], r["window_start"]) for r in expected]
    for a, b in zip(tested, expected):
        assert abs(float(a["p0"]) - float(b["p0"])) < 1e-4
    with open(tmp_path / "out" / "trials.csv") as f:
        trials = list(csv.DictReader(f))
    assert [int(r["trial_id"]) for r in trials] == [1, 2, 3, 4, 5, 6]
    assert all(r["predicted_class"] in ("negative", "neutral", "positive") for r in trials)


def test_predict_rejects_a_folder_that_is_not_a_model(tmp_path, sessions, capsys):
    from seedflow.cli import main

    folder = sessions[0].ingest.parents[2] / "Preprocessed_EEG"
    assert main(["predict", "--model", str(tmp_path), "--recording",
                 str(folder / simulate_seed.session_filename(1, 1)), "--labels",
                 str(folder / "label.mat"), "--out", str(tmp_path / "out")]) == 1
    assert "not a trained model folder" in capsys.readouterr().err
