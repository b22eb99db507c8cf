"""Train and evaluate one model on one fold of one protocol, from feature stores."""

from __future__ import annotations

import csv
import json
import logging
from pathlib import Path

import numpy as np

from seedflow import backend, models, protocols
from seedflow.features import FeatureStore
from seedflow.grid import to_grid
from seedflow.metrics import fold_metrics

log = logging.getLogger(__name__)


def fold_data(protocol: str, feature_paths: list[Path], train_trials: int):
    """(x_train, y_train, x_test, y_test, test bookkeeping, class names) for one fold."""
    if protocol != "subject_dependent":
        raise ValueError(f"unknown protocol '{protocol}'")
    (path,) = feature_paths
    store = FeatureStore.open(path)
    split = protocols.subject_dependent(store.trial_id, train_trials)
    x = to_grid(store.de, store.attrs["ch_names"])
    finite = np.isfinite(x).all(axis=(1, 2, 3))
    if not finite.all():
        log.warning("%s: %d windows with non-finite features left out", path,
                    int((~finite).sum()))
    train, test = split.train & finite, split.test & finite
    book = {"trial_id": store.trial_id[test], "label": store.label[test]}
    return (x[train], store.label[train], x[test], store.label[test], book,
            store.attrs["class_names"])


def train_fold(model_name: str, protocol: str, fold: str, feature_paths: list[Path],
               out_dir: Path, settings: dict) -> dict:
    """Fit, evaluate, and write model.keras, history.csv, predictions.csv, metrics.json."""
    import keras

    backend.seed_everything(settings["seed"])
    x_train, y_train, x_test, y_test, book, class_names = fold_data(
        protocol, feature_paths, settings["train_trials"])
    n_classes = len(class_names)
    log.info("%s/%s/%s: %d train and %d test windows, %d classes", model_name, protocol, fold,
             len(y_train), len(y_test), n_classes)

    normalizer = keras.layers.Normalization(axis=tuple(range(1, x_train.ndim)))
    normalizer.adapt(x_train)
    model = models.build(model_name, x_train.shape[1:], n_classes, normalizer)
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    out_dir.mkdir(parents=True, exist_ok=True)
    model.fit(x_train, y_train, epochs=settings["epochs"], batch_size=settings["batch_size"],
              shuffle=True, verbose=2,
              callbacks=[keras.callbacks.CSVLogger(str(out_dir / "history.csv"))])
    model.save(out_dir / "model.keras")

    probabilities = model.predict(x_test, batch_size=512, verbose=0)
    predicted = probabilities.argmax(axis=1)
    _write_predictions(out_dir / "predictions.csv", book, predicted, probabilities)
    metrics = {"model": model_name, "protocol": protocol, "fold": fold,
               "n_classes": n_classes, "class_names": class_names,
               "n_train_windows": int(len(y_train)),
               **fold_metrics(y_test, predicted, n_classes),
               "trial_accuracy": _trial_vote_accuracy(book, probabilities)}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    log.info("%s/%s/%s: accuracy %.3f (chance %.3f), macro-F1 %.3f", model_name, protocol,
             fold, metrics["accuracy"], metrics["chance_level"], metrics["f1_macro"])
    return metrics


def _trial_vote_accuracy(book: dict, probabilities: np.ndarray) -> float:
    """Accuracy of one prediction per trial: the class with the highest mean probability."""
    trials = np.unique(book["trial_id"])
    hits = [probabilities[book["trial_id"] == t].mean(axis=0).argmax()
            == book["label"][book["trial_id"] == t][0] for t in trials]
    return float(np.mean(hits))


def _write_predictions(path: Path, book: dict, predicted, probabilities) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trial_id", "label", "predicted",
                         *[f"p{k}" for k in range(probabilities.shape[1])]])
        for row in zip(book["trial_id"], book["label"], predicted, probabilities):
            writer.writerow([int(row[0]), int(row[1]), int(row[2]),
                             *(f"{p:.6f}" for p in row[3])])
