"""Train and evaluate one model on one fold of one protocol, from feature stores.

Outputs per fold (``out_dir``): the model (``model.keras`` or ``model.joblib``),
``history.csv``, ``predictions.csv`` and ``validation_predictions.csv`` (one row per test /
validation sample), ``metrics.json`` and ``preprocessing.json`` (what ``seedflow predict``
needs to prepare a new recording exactly as in training). Keras training checkpoints every
epoch under ``checkpoint_dir`` (outside the outputs, so a failed or killed job keeps it;
see :class:`seedflow.checkpoints.EpochCheckpoint`) and a rerun with the same settings and
inputs continues from the last finished epoch to the result of an uninterrupted run.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import shutil
from pathlib import Path

import numpy as np

from seedflow import models, protocols, representations
from seedflow.errors import SeedflowError
from seedflow.features import FeatureStore
from seedflow.metrics import fold_metrics
from seedflow.representations import Samples, Session

log = logging.getLogger(__name__)

# Axes of each representation normalised with their own training mean and variance.
NORMALISED_AXES = {"grid": (1, 2, 3), "psd_grid": (1, 2, 3), "flat": (1,),
                   "grid4d": (2, 3, 4), "sequence": (2,), "grid_sequence": (2, 3, 4),
                   "raw": (1,)}
RAW_STATISTICS_WINDOWS = 2000  # raw windows read to estimate the per-electrode statistics


def fold_samples(model_name: str, fold: protocols.Fold, sessions: list[Session],
                 settings: dict):
    """(samples, train mask, validation mask, test mask) of one fold."""
    spec = models.spec(model_name)
    samples = representations.load(sessions, spec.representation, settings)
    keys = samples.trial_keys()
    split = protocols.split(fold, keys, samples.label, settings)
    validation = protocols.validation_trials(keys, samples.label, split.train,
                                             settings.get("validation_trials", 0),
                                             settings["seed"])
    return samples, split.train & ~validation, validation, split.test


def train_fold(model_name: str, fold: protocols.Fold, sessions: list[Session], out_dir: Path,
               settings: dict, *, checkpoint_dir: Path | None = None, callbacks=(),
               preprocessing: dict | None = None, augment=None) -> dict:
    """Fit, evaluate, and write the fold's outputs; returns its metrics.

    ``preprocessing``: the ``ingest`` and ``features`` config sections the feature stores
    were made with and the reader's settings (:func:`seedflow.datasets.reader_settings`),
    kept in ``preprocessing.json`` for ``seedflow predict``.
    ``augment``: a function (the fold's training samples) -> :class:`seedflow.augmentation.
    Synthetic` whose samples join the training set (see seedflow.augmentation).
    """
    if models.spec(model_name).kind == "stacking":
        raise ValueError("stacking is fitted by seedflow.stacking from its base models' "
                         "predictions")
    spec = models.spec(model_name)
    _seed_keras(spec, settings["seed"])
    samples, train, validation, test = fold_samples(model_name, fold, sessions, settings)
    extra_metrics = {}
    if augment is not None:
        synthetic = augment(samples.subset(train))
        assert_generated_from_training_trials(synthetic.source_trials,
                                              samples.trial_keys()[validation | test])
        samples, train, validation, test = with_synthetic(samples, train, validation, test,
                                                          synthetic.samples)
        extra_metrics = {**synthetic.info, "n_real_train_windows": int(
            train.sum() - len(synthetic.samples))}
        _seed_keras(spec, settings["seed"])  # the model starts as in the real arm
    n_classes = len(samples.class_names)
    log.info("%s/%s/%s: %d train, %d validation and %d test samples, %d classes",
             model_name, fold.protocol, fold.name, train.sum(), validation.sum(), test.sum(),
             n_classes)
    if not train.any() or not test.any():
        raise SeedflowError(f"fold {fold.name}: no training or no test samples")
    out_dir.mkdir(parents=True, exist_ok=True)
    if spec.kind == "sklearn":
        predict, extra = _fit_sklearn(spec, samples, train, out_dir, settings)
    else:
        predict, extra = _fit_keras(model_name, spec, fold, sessions, samples, train,
                                    validation, out_dir, settings, checkpoint_dir, callbacks)
    probabilities = predict(samples.subset(test))
    write_predictions(out_dir / "predictions.csv", samples.subset(test), probabilities)
    write_predictions(out_dir / "validation_predictions.csv", samples.subset(validation),
                       predict(samples.subset(validation)) if validation.any()
                       else np.zeros((0, n_classes)))
    metrics = {"model": model_name, "protocol": fold.protocol, "fold": fold.name,
               "n_classes": n_classes, "class_names": samples.class_names,
               "representation": spec.representation,
               "n_train_windows": int(train.sum()),
               "n_validation_windows": int(validation.sum()),
               **fold_metrics(samples.label[test], probabilities.argmax(axis=1), n_classes),
               "trial_accuracy": trial_vote_accuracy(samples.subset(test), probabilities),
               **extra, **extra_metrics}
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    store_attrs = FeatureStore.open(sessions[0].features).attrs
    (out_dir / "preprocessing.json").write_text(json.dumps(
        {"model": model_name, "representation": spec.representation,
         "class_names": samples.class_names, "ch_names": list(store_attrs["ch_names"]),
         "sfreq": float(store_attrs["sfreq"]), **(preprocessing or {}),
         "settings": {k: settings[k] for k in ("segment_windows", "sequence_windows",
                                               "padding") if k in settings}}, indent=2))
    if spec.kind == "keras":  # every output is written: the checkpoint is no longer needed
        shutil.rmtree(checkpoint_dir or out_dir / "training", ignore_errors=True)
    log.info("%s/%s/%s: accuracy %.3f (chance %.3f), macro-F1 %.3f", model_name,
             fold.protocol, fold.name, metrics["accuracy"], metrics["chance_level"],
             metrics["f1_macro"])
    return metrics


def _seed_keras(spec, seed: int) -> None:
    """Seed Keras for a Keras model; scikit-learn models are seeded by their builder (and
    need no Keras import)."""
    if spec.kind == "keras":
        from seedflow import backend

        backend.seed_everything(seed)


def assert_generated_from_training_trials(source: np.ndarray, held_out: np.ndarray) -> None:
    """Fail if synthetic samples were made from a trial (keys ``source``) that validates or
    tests the fold (keys ``held_out``)."""
    keys = np.concatenate([source, held_out])
    made_from = np.arange(len(keys)) < len(source)
    protocols.assert_no_shared_trials(keys, protocols.Split(train=made_from, test=~made_from))


def with_synthetic(samples: Samples, train: np.ndarray, validation: np.ndarray,
                   test: np.ndarray, synthetic: Samples):
    """``samples`` followed by ``synthetic`` (training samples only), with the masks."""
    joined = Samples(np.concatenate([samples.x, synthetic.x.astype(samples.x.dtype)]),
                     *(np.concatenate([getattr(samples, a), getattr(synthetic, a)])
                       for a in ("label", "subject", "session", "trial_id", "window_start")),
                     samples.class_names, samples.options)
    extra, none = np.ones(len(synthetic), dtype=bool), np.zeros(len(synthetic), dtype=bool)
    return (joined, np.concatenate([train, extra]), np.concatenate([validation, none]),
            np.concatenate([test, none]))


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


def _fit_sklearn(spec, samples: Samples, train: np.ndarray, out_dir: Path, settings: dict):
    import joblib
    from sklearn.metrics import log_loss

    estimator = spec.builder(settings["seed"])
    x, y = samples.x[train], samples.label[train]
    estimator.fit(x, y)
    n_classes = len(samples.class_names)
    p = probabilities_of(estimator, x, n_classes)
    write_history(out_dir / "history.csv", [{
        "epoch": 0, "accuracy": float((p.argmax(axis=1) == y).mean()),
        "loss": float(log_loss(y, p, labels=range(p.shape[1])))}])
    joblib.dump(estimator, out_dir / "model.joblib")
    return (lambda s: probabilities_of(estimator, s.x, n_classes) if len(s)
            else np.zeros((0, n_classes))), {}


def normaliser_statistics(samples: Samples, train: np.ndarray, kind: str, seed: int):
    """Mean and variance over the training samples, per entry of the normalised axes."""
    index = np.flatnonzero(train)
    if kind == "raw" and len(index) > RAW_STATISTICS_WINDOWS:
        index = np.sort(np.random.default_rng(seed).choice(index, RAW_STATISTICS_WINDOWS,
                                                           replace=False))
    x = np.asarray(samples.x[index], dtype=np.float64)
    reduce = tuple(a for a in range(x.ndim) if a not in NORMALISED_AXES[kind])
    return x.mean(axis=reduce).astype("float32"), x.var(axis=reduce).astype("float32")


def checkpoint_key(model_name: str, fold: protocols.Fold, sessions: list[Session],
                   settings: dict) -> str:
    """Hash of everything a checkpoint depends on: a change starts training afresh."""
    inputs = [(str(s.features), Path(s.features).stat().st_mtime_ns,
               str(s.raw), Path(s.raw).stat().st_mtime_ns if s.raw else 0) for s in sessions]
    relevant = {k: v for k, v in settings.items() if k not in ("models", "protocols")}
    text = json.dumps([model_name, fold.protocol, fold.name, relevant, inputs],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def checkpoint_folder(model_name: str, fold: protocols.Fold, sessions: list[Session],
                      settings: dict, checkpoint_dir: Path | None, out_dir: Path) -> Path:
    """The folder of the fold's training checkpoint: ``checkpoint_dir/<key>`` (checkpoints
    of other settings or inputs are removed), or ``out_dir/training`` without one."""
    if checkpoint_dir is None:
        return out_dir / "training"
    key = checkpoint_key(model_name, fold, sessions, settings)
    for stale in (checkpoint_dir.iterdir() if checkpoint_dir.is_dir() else ()):
        if stale.name != key:
            log.info("settings or inputs changed: removing checkpoint %s", stale)
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
    return checkpoint_dir / key


def _fit_keras(model_name, spec, fold, sessions, samples: Samples, train, validation,
               out_dir: Path, settings: dict, checkpoint_dir: Path | None, extra_callbacks):
    import keras

    from seedflow import backend
    from seedflow.batches import Batches
    from seedflow.checkpoints import EpochCheckpoint

    parallel = backend.data_parallel(settings.get("replicas", 0))
    replicas, multiple = parallel.replicas, parallel.batch_multiple
    batch_size = settings["batch_size"] * replicas
    log.info("%s backend, %d replica(s): global batch %d = %d per replica x %d",
             keras.backend.backend(), replicas, batch_size, settings["batch_size"], replicas)
    mean, variance = normaliser_statistics(samples, train, spec.representation,
                                           settings["seed"])
    with parallel.scope():
        normalizer = keras.layers.Normalization(axis=NORMALISED_AXES[spec.representation],
                                                mean=mean, variance=variance)
        model = models.build(model_name, samples.x.shape[1:], len(samples.class_names),
                             normalizer, **samples.options)
        model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.optimizer.build(model.trainable_variables)  # its variables, to restore

    work = checkpoint_folder(model_name, fold, sessions, settings, checkpoint_dir, out_dir)
    work.mkdir(parents=True, exist_ok=True)
    callbacks = []
    validation_data = early_stopping = None
    if validation.any():
        validation_data = Batches(samples.x, samples.label, np.flatnonzero(validation),
                                  batch_size, multiple_of=multiple)
        early_stopping = keras.callbacks.EarlyStopping(
            patience=settings.get("patience", 5), restore_best_weights=True)
        callbacks.append(early_stopping)
    checkpoint = EpochCheckpoint(work / "checkpoint.npz", early_stopping)
    callbacks.append(checkpoint)  # after early stopping: saves what it decided
    if checkpoint.restore(model, settings["epochs"]):
        log.info("resuming from the checkpoint %s after epoch %d%s", checkpoint.path,
                 checkpoint.next_epoch, " (early stopping ended training)"
                 if checkpoint.stopped else "")
    first_epoch = checkpoint.next_epoch
    train_data = Batches(samples.x, samples.label, np.flatnonzero(train), batch_size,
                         seed=settings["seed"], first_epoch=first_epoch, multiple_of=multiple)
    with parallel.scope():
        # With nothing left to train (the checkpoint is of the last epoch, or early
        # stopping ended training), fit runs no epoch but early stopping still restores
        # the best weights at its end. shuffle=False: the batches come shuffled from
        # (seed, epoch); Keras would reorder them with Python's global random state, which
        # a resumed run does not share.
        model.fit(train_data, validation_data=validation_data,
                  epochs=first_epoch if checkpoint.stopped else settings["epochs"],
                  initial_epoch=first_epoch, shuffle=False, verbose=2,
                  callbacks=[*callbacks, *extra_callbacks])
    model.save(out_dir / "model.keras")
    write_history(out_dir / "history.csv", checkpoint.history)

    def predict(part: Samples) -> np.ndarray:
        if not len(part):
            return np.zeros((0, len(samples.class_names)))
        data = Batches(part.x, part.label, np.arange(len(part)), max(batch_size, 256),
                       multiple_of=multiple)
        with parallel.scope():
            return model.predict(data, verbose=0)[:len(part)]

    return predict, {"replicas": replicas, "global_batch_size": batch_size,
                     "epochs_run": len(checkpoint.history),
                     "resumed_from_epoch": first_epoch}


def trial_vote_accuracy(samples: Samples, probabilities: np.ndarray) -> float:
    """Accuracy of one prediction per trial: the class with the highest mean probability."""
    keys = samples.trial_keys()
    hits = [probabilities[keys == k].mean(axis=0).argmax() == samples.label[keys == k][0]
            for k in np.unique(keys)]
    return float(np.mean(hits)) if hits else float("nan")


def write_history(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def write_predictions(path: Path, samples: Samples, probabilities: np.ndarray) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "session", "trial_id", "window_start", "label",
                         "predicted", *[f"p{k}" for k in range(probabilities.shape[1])]])
        for i, p in enumerate(probabilities):
            writer.writerow([samples.subject[i], samples.session[i], int(samples.trial_id[i]),
                             int(samples.window_start[i]), int(samples.label[i]),
                             int(p.argmax()), *(f"{v:.6f}" for v in p)])
