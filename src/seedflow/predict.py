"""Predictions of a trained model for a new recording, prepared exactly as in training.

The recording goes through the same ingest and feature stages (settings from the model's
``preprocessing.json``) into a temporary folder; the model then predicts every window (or
segment/sequence) and every trial (highest mean probability over the trial's samples).
"""

from __future__ import annotations

import csv
import json
import logging
import tempfile
from pathlib import Path

import numpy as np

from seedflow import features, representations
from seedflow.channels import normalise
from seedflow.errors import SeedflowError
from seedflow.io import seed
from seedflow.io.base import SessionSource
from seedflow.io.zarr_store import write_session
from seedflow.train import probabilities_of, write_predictions

log = logging.getLogger(__name__)


def open_recording(path: Path, labels: Path | None, sfreq: float) -> SessionSource:
    """A recording in a supported format (SEED ``.mat`` with its ``label.mat``)."""
    if path.suffix.lower() == ".mat":
        if labels is None:
            raise SeedflowError(f"{path}: a SEED .mat recording needs --labels label.mat")
        return seed.open_session(path, labels, sfreq=sfreq)
    raise SeedflowError(f"{path}: unsupported recording format '{path.suffix}' "
                        f"(supported: SEED .mat)")


def _load_model(model_dir: Path, kind: str, n_classes: int):
    if (model_dir / "model.keras").is_file():
        import keras

        model = keras.saving.load_model(model_dir / "model.keras")
        return lambda x: model.predict(np.asarray(x[:], dtype="float32"), verbose=0)
    if kind == "stacking" or not (model_dir / "model.joblib").is_file():
        raise SeedflowError(f"{model_dir}: no model.keras or model.joblib of a single model")
    import joblib

    estimator = joblib.load(model_dir / "model.joblib")
    return lambda x: probabilities_of(estimator, x, n_classes)


def predict_recording(model_dir: Path, source: SessionSource, out_dir: Path) -> dict:
    """Write ``windows.csv`` (one row per sample) and ``trials.csv`` under ``out_dir``."""
    prep_path = model_dir / "preprocessing.json"
    if not prep_path.is_file():
        raise SeedflowError(f"{model_dir}: not a trained model folder (no preprocessing.json)")
    prep = json.loads(prep_path.read_text())
    if "features" not in prep:
        raise SeedflowError(f"{prep_path}: no feature settings recorded")
    if prep.get("official_features"):
        raise SeedflowError(f"{model_dir}: trained on SEED's official features "
                            "(dataset.features: official), which predict cannot compute "
                            "for a new recording; train on computed features instead")
    if [normalise(c) for c in source.ch_names] != [normalise(c) for c in prep["ch_names"]]:
        raise SeedflowError(f"{source.path}: channels differ from the model's training data")
    if float(source.sfreq) != prep["sfreq"]:
        raise SeedflowError(f"{source.path}: sampling rate {source.sfreq} Hz, the model was "
                            f"trained at {prep['sfreq']} Hz")
    predict = _load_model(model_dir, prep["model"], len(prep["class_names"]))
    with tempfile.TemporaryDirectory(prefix="seedflow-predict-") as tmp:
        raw, feats = Path(tmp) / "raw.zarr", Path(tmp) / "features.zarr"
        write_session(source, raw, chunk_seconds=prep["ingest"]["chunk_seconds"],
                      attrs={"subject": "new", "session": "1", "dataset": "predict"})
        features.extract(raw, feats, features.FeatureSpec.from_config(prep["features"]))
        samples = representations.load([representations.Session("new", "1", feats, raw)],
                                       prep["representation"], prep["settings"])
        probabilities = np.asarray(predict(samples.x))
    out_dir.mkdir(parents=True, exist_ok=True)
    write_predictions(out_dir / "windows.csv", samples, probabilities)
    trials = _write_trials(out_dir / "trials.csv", samples, probabilities, prep["class_names"])
    log.info("%s: %d samples and %d trials predicted into %s", source.path, len(samples),
             trials, out_dir)
    return {"samples": len(samples), "trials": trials}


def _write_trials(path: Path, samples, probabilities: np.ndarray, class_names) -> int:
    trial_ids = np.unique(samples.trial_id)
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trial_id", "label", "predicted", "predicted_class", "n_samples",
                         *[f"p{k}" for k in range(probabilities.shape[1])]])
        for trial in trial_ids:
            rows = samples.trial_id == trial
            mean = probabilities[rows].mean(axis=0)
            writer.writerow([int(trial), int(samples.label[rows][0]), int(mean.argmax()),
                             class_names[int(mean.argmax())], int(rows.sum()),
                             *(f"{v:.6f}" for v in mean)])
    return len(trial_ids)
