"""The seeds' meta-model: logistic regression on the class probabilities of base models.

Fitted on the base models' predictions for the validation trials of the fold (training
trials held out from the base models, ``recognition.validation_trials``), evaluated on their
predictions for the test trials, so no test trial and no trial a base model trained on
informs the meta-model. Base models must predict single windows (same rows).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss

from seedflow.errors import SeedflowError
from seedflow.history import write_history
from seedflow.recognition.metrics import fold_metrics
from seedflow.recognition.predictions import (read_predictions, trial_vote_accuracy,
                                              write_predictions)
from seedflow.recognition.representations import Samples


@dataclass(frozen=True)
class StackingSpec:
    """What a stacking fold depends on besides its base models' predictions."""

    seed: int
    bases: tuple[str, ...]  # base models (config key recognition.stacking)

    @classmethod
    def from_config(cls, config: dict) -> "StackingSpec":
        rec = config["recognition"]
        return cls(rec["seed"], tuple(rec["stacking"]))


def _stacked(base_files: dict[str, Path]) -> tuple[list[tuple], np.ndarray, np.ndarray]:
    """Keys, labels and the base models' probabilities side by side (same rows required)."""
    parts = {name: read_predictions(path) for name, path in base_files.items()}
    (first, (keys, labels, _)), *rest = parts.items()
    for name, (other, _, _) in rest:
        if other != keys:
            raise SeedflowError(f"stacking: base models {first} and {name} predicted "
                                f"different samples (use models that predict single windows)")
    return keys, labels, np.concatenate([p for _, _, p in parts.values()], axis=1)


def meta_probabilities(meta, base_probabilities: np.ndarray, n_classes: int) -> np.ndarray:
    """The meta-model's probabilities of every class (0 for a class absent when fitted)."""
    out = np.zeros((len(base_probabilities), n_classes))
    out[:, meta.classes_] = meta.predict_proba(base_probabilities)
    return out


def train_fold(*, base_dirs: dict[str, Path], protocol: str, fold: str, out_dir: Path,
               spec: StackingSpec) -> dict:
    """Fit the meta-model of one fold (``base_dirs``: each base model's fold folder) and
    write the same outputs as any model."""
    import joblib

    _, y_val, p_val = _stacked({m: d / "validation_predictions.csv"
                                for m, d in base_dirs.items()})
    if not len(y_val):
        raise SeedflowError("config key recognition.validation_trials: stacking needs "
                            "validation trials (> 0) to fit the meta-model on")
    keys, y_test, p_test = _stacked({m: d / "predictions.csv" for m, d in base_dirs.items()})
    base = json.loads((next(iter(base_dirs.values())) / "metrics.json").read_text())
    n_classes = base["n_classes"]
    meta = LogisticRegression(max_iter=2000, random_state=spec.seed).fit(p_val, y_val)
    fitted = meta_probabilities(meta, p_val, n_classes)
    probabilities = meta_probabilities(meta, p_test, n_classes)

    out_dir.mkdir(parents=True, exist_ok=True)
    test = Samples(x=p_test, label=y_test, subject=np.array([k[0] for k in keys]),
                   session=np.array([k[1] for k in keys]),
                   trial_id=np.array([int(k[2]) for k in keys]),
                   window_start=np.array([int(k[3]) for k in keys]),
                   class_names=base["class_names"], options={})
    write_predictions(out_dir / "predictions.csv", test, probabilities)
    write_predictions(out_dir / "validation_predictions.csv", test.subset(
        np.zeros(len(test), dtype=bool)), np.zeros((0, n_classes)))
    write_history(out_dir / "history.csv", [{
        "epoch": 0, "accuracy": float((fitted.argmax(axis=1) == y_val).mean()),
        "loss": float(log_loss(y_val, fitted, labels=range(n_classes)))}])
    joblib.dump(meta, out_dir / "model.joblib")
    (out_dir / "preprocessing.json").write_text(json.dumps(
        {"model": "stacking", "base_models": list(base_dirs),
         "base_dirs": {m: os.path.relpath(d, out_dir) for m, d in base_dirs.items()},
         "class_names": base["class_names"]}, indent=2))
    metrics = {"model": "stacking", "protocol": protocol, "fold": fold,
               "n_classes": n_classes, "class_names": base["class_names"],
               "base_models": list(base_dirs), "n_train_windows": int(len(y_val)),
               **fold_metrics(y_test, probabilities.argmax(axis=1), n_classes,
                              chance_level=base["chance_level"]),
               "trial_accuracy": trial_vote_accuracy(test, probabilities),
               **({"data_quality": base["data_quality"]} if "data_quality" in base else {})}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return metrics
