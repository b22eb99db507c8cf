import json

import numpy as np
import pytest

from seedflow.features import extraction
from seedflow import models
from seedflow.recognition import protocols
from seedflow.recognition import train
from seedflow.recognition.metrics import aggregate, fold_metrics
from seedflow.recognition.representations import Session
from specs import feature_spec
from specs import BANDS
from specs import train_spec

SETTINGS = {"seed": 0, "train_trials": 3, "learning_rate": 1e-3, "epochs": 8,
            "batch_size": 32}
FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))


@pytest.fixture(scope="module")
def feature_store(tmp_path_factory, session_store_path):
    out = tmp_path_factory.mktemp("features") / "ses-1.zarr"
    extraction.extract(ingest=session_store_path, out=out, spec=feature_spec(bands=BANDS))
    return out


def test_cnn4d_builds_for_the_grid():
    import keras

    norm = keras.layers.Normalization(axis=(1, 2, 3), mean=0.0, variance=1.0)
    model = models.build("cnn4d", (9, 9, 5), 3, norm)
    out = model(np.zeros((2, 9, 9, 5), dtype="float32"))
    assert tuple(out.shape) == (2, 3)
    np.testing.assert_allclose(np.asarray(out).sum(axis=1), 1.0, rtol=1e-5)


def test_cnn4d_learns_planted_effect_and_writes_outputs(tmp_path, feature_store):
    result = train.train_fold(model="cnn4d", fold=FOLD, sessions=[Session("1", "1", feature_store)], out_dir=tmp_path, spec=train_spec("cnn4d", SETTINGS, FOLD.protocol))
    for name in ("model.keras", "history.csv", "predictions.csv", "metrics.json",
                 "validation_predictions.csv", "preprocessing.json"):
        assert (tmp_path / name).is_file()
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["accuracy"] == result["accuracy"]
    assert saved["n_test_windows"] == 90  # trials 4-6, 30 windows each
    assert result["accuracy"] > 0.6  # chance is 1/3 with effect_size 2


def test_same_seed_same_numbers(tmp_path, feature_store):
    short = {**SETTINGS, "epochs": 2}
    session = [Session("1", "1", feature_store)]
    a = train.train_fold(model="cnn4d", fold=FOLD, sessions=session, out_dir=tmp_path / "a", spec=train_spec("cnn4d", short, FOLD.protocol))
    b = train.train_fold(model="cnn4d", fold=FOLD, sessions=session, out_dir=tmp_path / "b", spec=train_spec("cnn4d", short, FOLD.protocol))
    assert a["confusion_matrix"] == b["confusion_matrix"]
    assert (tmp_path / "a" / "predictions.csv").read_text() == (
        tmp_path / "b" / "predictions.csv").read_text()


def test_metrics_and_aggregation():
    y = np.array([0, 0, 1, 1, 2, 2])
    m = fold_metrics(y, np.array([0, 1, 1, 1, 2, 0]), 3)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert m["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert m["recall_per_class"] == [0.5, 1.0, 0.5]
    assert m["chance_level"] == pytest.approx(1 / 3)
    folds = [{"model": "cnn4d", "protocol": "p", "fold": f, "n_classes": 3,
              "chance_level": 1 / 3, "accuracy": a, "f1_macro": a} for f, a in
             (("x", 0.5), ("y", 0.7))]
    (record,) = aggregate(folds, "simulated")
    assert record["accuracy_mean"] == pytest.approx(0.6)
    assert record["accuracy_std"] == pytest.approx(0.1)
    assert record["n_folds"] == 2
    for key in ("model", "protocol", "dataset", "n_classes", "chance_level",
                "f1_macro_mean"):
        assert key in record
