"""Predictions of a fold, in one format: ``predictions.csv`` and
``validation_predictions.csv`` (one row per sample: ``subject``, ``session``, ``trial_id``,
``window_start``, ``label``, ``predicted``, ``p0`` ... ``p<K-1>``), written by every model,
read by stacking; class probabilities of scikit-learn estimators; the per-trial vote."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from seedflow.recognition.representations import Samples

KEY_COLUMNS = ("subject", "session", "trial_id", "window_start")


def write_predictions(path: Path, samples: Samples, probabilities: np.ndarray) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "session", "trial_id", "window_start", "label",
                         "predicted", *[f"p{k}" for k in range(probabilities.shape[1])]])
        for i, p in enumerate(probabilities):
            writer.writerow([samples.subject[i], samples.session[i], int(samples.trial_id[i]),
                             int(samples.window_start[i]), int(samples.label[i]),
                             int(p.argmax()), *(f"{v:.6f}" for v in p)])


def read_predictions(path: Path) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """(row keys, labels, probabilities) of a predictions CSV."""
    with open(path) as f:
        rows = list(csv.DictReader(f))
    keys = [tuple(r[c] for c in KEY_COLUMNS) for r in rows]
    labels = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    columns = [c for c in (rows[0] if rows else {}) if c.startswith("p") and c[1:].isdigit()]
    probabilities = np.array([[float(r[c]) for c in columns] for r in rows]).reshape(
        len(rows), len(columns))
    return keys, labels, probabilities


def probabilities_of(estimator, x: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    """Class probabilities of a fitted scikit-learn estimator (softmax of decision values
    where it has no ``predict_proba``), one column per class index ``0..n_classes - 1``:
    classes absent from the training data get probability 0."""
    x = np.asarray(x, dtype=np.float64)  # float32 sums stray from 1 beyond sklearn's checks
    if hasattr(estimator, "predict_proba"):
        fitted = estimator.predict_proba(x)
    else:
        scores = estimator.decision_function(x)
        if scores.ndim == 1:  # two classes: the score of the second one
            scores = np.column_stack([-scores, scores]) / 2
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        fitted = scores / scores.sum(axis=1, keepdims=True)
    classes = np.asarray(estimator.classes_, dtype=int)
    out = np.zeros((len(fitted), n_classes or int(classes.max()) + 1))
    out[:, classes] = fitted
    return out


def trial_vote_accuracy(samples: Samples, probabilities: np.ndarray) -> float:
    """Accuracy of one prediction per trial: the class with the highest mean probability."""
    keys = samples.trial_keys()
    hits = [probabilities[keys == k].mean(axis=0).argmax() == samples.label[keys == k][0]
            for k in np.unique(keys)]
    return float(np.mean(hits)) if hits else float("nan")
