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

import dataclasses
import hashlib
import json
import logging
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedflow import models
from seedflow.errors import SeedflowError
from seedflow.history import write_history
from seedflow.recognition import importance, protocols, representations
from seedflow.recognition.metrics import fold_metrics
from seedflow.recognition.predictions import (probabilities_of, trial_vote_accuracy,
                                              write_predictions)
from seedflow.recognition.protocols import ProtocolSpec
from seedflow.recognition.representations import RepresentationSpec, Samples, Session, Trials
from seedflow.stores.features import FeatureStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FitSpec:
    """How a Keras model is fitted (config section ``recognition``; ``patience``: None
    without validation trials, which early stopping needs)."""

    epochs: int
    batch_size: int
    learning_rate: float
    patience: int | None
    replicas: int
    backend: str  # config key keras_backend


@dataclass(frozen=True)
class TrainSpec:
    """What one fold of one model depends on: config section ``recognition`` narrowed to the
    model (its kind and representation) and the fold's protocol."""

    seed: int
    protocol: ProtocolSpec
    representation: RepresentationSpec
    validation_trials: int
    fit: FitSpec | None  # Keras models; None for scikit-learn models
    importance_repeats: int  # permutations per band and channel (0: no importance)

    @classmethod
    def from_config(cls, config: dict, model: str, protocol: str, *,
                    importance: bool = True) -> "TrainSpec":
        """``importance``: False for folds that measure none (augmentation arms, learning
        curve cells), so ``recognition.importance_repeats`` does not rerun them."""
        rec, spec = config["recognition"], models.spec(model)
        split = ProtocolSpec.from_config(config, protocol)
        # cross_subject_tvt validates on its validation subjects, not on held-out trials
        per_class = 0 if protocol == "cross_subject_tvt" else rec["validation_trials"]
        fit = None
        if spec.kind == "keras":
            fit = FitSpec(rec["epochs"], rec["batch_size"], float(rec["learning_rate"]),
                          rec["patience"] if protocols.validates(split, per_class) else None,
                          rec["replicas"], config["keras_backend"])
        return cls(rec["seed"], split, RepresentationSpec.from_config(config, spec.representation),
                   per_class, fit, rec["importance_repeats"] if importance else 0)

# Axes of each representation normalised with their own training mean and variance.
NORMALISED_AXES = {"grid": (1, 2, 3), "psd_grid": (1, 2, 3), "flat": (1,),
                   "channels_bands": (1, 2),
                   "grid4d": (2, 3, 4), "sequence": (2,), "grid_sequence": (2, 3, 4),
                   "raw": (1,)}
RAW_STATISTICS_WINDOWS = 2000  # raw windows read to estimate the per-electrode statistics
SIDES = ("train", "validation", "test")


def fold_trials(fold: protocols.Fold, trials: Trials, spec: TrainSpec) -> dict[str, np.ndarray]:
    """Masks over the dataset's trials (every trial of the sessions read, before any window
    is left out) of the fold's training, validation and test trials."""
    split = protocols.split(fold, trials.keys, trials.label, spec.protocol, trials.n_windows)
    validation = (split.validation if split.validation is not None else
                  protocols.validation_trials(trials.keys, trials.label, split.train,
                                              spec.validation_trials, spec.seed))
    return {"train": split.train & ~validation, "validation": validation, "test": split.test}


def _fold(fold: protocols.Fold, sessions: list[Session], spec: TrainSpec,
          train_trials: np.ndarray | None = None):
    """The fold's samples, its trial masks (:func:`fold_trials`) and sample masks;
    ``train_trials``: keys of the training trials to keep (a subset of the fold's)."""
    samples = representations.load(sessions, spec.representation)
    sides = fold_trials(fold, samples.trials, spec)
    if train_trials is not None:
        keep = np.isin(samples.trials.keys, train_trials)
        outside = samples.trials.keys[keep & ~sides["train"]]
        if len(outside) or keep.sum() != len(np.unique(train_trials)):
            raise ValueError(f"fold {fold.name}: training subset holds trials that are not "
                             f"the fold's training trials: {outside.tolist()}")
        sides["train"] = sides["train"] & keep
    masks = [samples.in_trials(samples.trials.keys[sides[side]]) for side in SIDES]
    protocols.assert_no_shared_trials(samples.trial_keys(), protocols.Split(
        train=masks[0] | masks[1], test=masks[2]))
    return samples, sides, masks


def fold_samples(fold: protocols.Fold, sessions: list[Session], spec: TrainSpec):
    """(samples, train mask, validation mask, test mask) of one fold."""
    samples, _, masks = _fold(fold, sessions, spec)
    return samples, *masks


def _trial_name(key) -> str:
    return f"sub-{key['subject']} ses-{key['session']} trial {int(key['trial'])}"


def data_quality(samples: Samples, sides: dict[str, np.ndarray]) -> dict:
    """Per side of the fold: windows left out (no finite value), windows kept with imputed
    values and their (window, channel) cells; every trial so affected, the test trials
    left without a window, and the channels imputed."""
    trials, quality = samples.trials, samples.quality
    side_of = np.full(len(trials.keys), "", dtype="U10")
    for side in SIDES:
        side_of[sides[side]] = side
    window_side = side_of[quality.trial_row]
    imputed_windows = quality.imputed.any(axis=1)
    out = {"left_out_windows": {}, "imputed_windows": {}, "imputed_cells": {}}
    for side in SIDES:
        here = window_side == side
        out["left_out_windows"][side] = int((quality.left_out & here).sum())
        out["imputed_windows"][side] = int((imputed_windows & here).sum())
        out["imputed_cells"][side] = int(quality.imputed[here].sum())
    affected, without = [], []
    for row in np.unique(quality.trial_row[quality.left_out | imputed_windows]):
        windows = quality.trial_row == row
        key = trials.keys[row]
        affected.append({
            "subject": str(key["subject"]), "session": str(key["session"]),
            "trial": int(key["trial"]), "side": str(side_of[row]),
            "windows": int(trials.n_windows[row]),
            "left_out_windows": int(quality.left_out[windows].sum()),
            "imputed_windows": int(imputed_windows[windows].sum()),
            "imputed_channels": [quality.ch_names[c] for c in
                                 np.flatnonzero(quality.imputed[windows].any(axis=0))]})
    for row in np.flatnonzero(sides["test"]):
        kept = (~quality.left_out[quality.trial_row == row]).sum()
        if kept == 0:
            key = trials.keys[row]
            without.append({"subject": str(key["subject"]), "session": str(key["session"]),
                            "trial": int(key["trial"]),
                            "why": "every window left out (no finite value)"
                            if trials.n_windows[row] else "shorter than one window"})
    out.update(trials=affected, test_trials_without_windows=without,
               imputed_channels=[quality.ch_names[c] for c in
                                 np.flatnonzero(quality.imputed.any(axis=0))])
    return out


def _check_usable(fold: protocols.Fold, samples: Samples, sides: dict, masks: list,
                  spec: TrainSpec) -> None:
    """One clear error when a side of the fold has no sample to use, naming its trials."""
    wanted = {"train": True, "test": True,
              "validation": protocols.validates(spec.protocol, spec.validation_trials)}
    for side, mask in zip(SIDES, masks):
        if wanted[side] and not mask.any():
            trials = samples.trials
            rows = np.flatnonzero(sides[side])
            left = {row: int((~samples.quality.left_out[samples.quality.trial_row == row])
                             .sum()) for row in rows}
            listed = ", ".join(f"{_trial_name(trials.keys[r])} ({left[r]} of "
                               f"{trials.n_windows[r]} windows usable)" for r in rows)
            raise SeedflowError(f"fold {fold.name}: no usable {side} sample; its {side} "
                                f"trials: {listed or 'none'} (windows without a finite "
                                f"value are left out; too few windows make no sequence or "
                                f"segment)")


def train_fold(*, model: str, fold: protocols.Fold, sessions: list[Session], out_dir: Path,
               spec: TrainSpec, checkpoint_dir: Path | None = None, callbacks=(),
               preprocessing: dict | None = None, augment=None,
               train_trials: np.ndarray | None = None) -> dict:
    """Fit, evaluate, and write the fold's outputs; returns its metrics.

    ``preprocessing``: how the sessions' stores were made (the ingest and feature specs and
    the reader's, :func:`seedflow.datasets.reader_record`), kept in ``preprocessing.json``
    for ``seedflow predict``. ``augment``: a
    :class:`seedflow.synthesis.augmentation.Augmentation`, whose synthetic samples, made
    from the fold's training samples, join the training set. ``train_trials``: keys of the
    fold's training trials to train on (the learning curve's subsets; None: all).
    """
    if models.spec(model).kind == "stacking":
        raise ValueError("stacking is fitted by seedflow.recognition.stacking from its base "
                         "models' predictions")
    model_spec = models.spec(model)
    _seed_keras(model_spec, spec.seed)
    samples, sides, (train, validation, test) = _fold(fold, sessions, spec, train_trials)
    _check_usable(fold, samples, sides, [train, validation, test], spec)
    quality = data_quality(samples, sides)
    _log_quality(model, fold, quality)
    extra_metrics = {}
    if augment is not None:
        synthetic = augment(model, _imputed(samples.subset(train)), sessions[0].features)
        assert_generated_from_training_trials(synthetic.source_trials,
                                              samples.trial_keys()[validation | test])
        samples, train, validation, test = with_synthetic(samples, train, validation, test,
                                                          synthetic.samples)
        extra_metrics = {**synthetic.info, "n_real_train_windows": int(
            train.sum() - len(synthetic.samples))}
        _seed_keras(model_spec, spec.seed)  # the model starts as in the real arm
    n_classes = len(samples.class_names)
    log.info("%s/%s/%s: %d train, %d validation and %d test samples, %d classes",
             model, fold.protocol, fold.name, train.sum(), validation.sum(), test.sum(),
             n_classes)
    out_dir.mkdir(parents=True, exist_ok=True)
    if model_spec.kind == "sklearn":
        predict, extra = _fit_sklearn(model_spec, samples, train, out_dir, spec)
    else:
        work = checkpoint_folder(model, fold, sessions, spec, augment, checkpoint_dir,
                                 out_dir)
        predict, extra = _fit_keras(model, model_spec, samples, train, validation, out_dir,
                                    spec, work, callbacks)
    probabilities = predict(samples.subset(test))
    write_predictions(out_dir / "predictions.csv", samples.subset(test), probabilities)
    write_predictions(out_dir / "validation_predictions.csv", samples.subset(validation),
                       predict(samples.subset(validation)) if validation.any()
                       else np.zeros((0, n_classes)))
    metrics = {"model": model, "protocol": fold.protocol, "fold": fold.name,
               "n_classes": n_classes, "class_names": samples.class_names,
               "representation": model_spec.representation,
               "n_train_windows": int(train.sum()),
               "n_validation_windows": int(validation.sum()),
               **fold_metrics(samples.label[test], probabilities.argmax(axis=1), n_classes,
                              chance_level=trial_chance_level(samples.trials, sides["test"],
                                                              n_classes)),
               "trial_accuracy": trial_vote_accuracy(samples.subset(test), probabilities),
               "data_quality": quality, **extra, **extra_metrics}
    if spec.importance_repeats:
        metrics["importance"] = _importance(predict, samples, test, validation, train, spec,
                                            sessions[0].features)
    (out_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    store_attrs = FeatureStore.open(sessions[0].features).attrs
    (out_dir / "preprocessing.json").write_text(json.dumps(
        {"model": model, "representation": dataclasses.asdict(spec.representation),
         "class_names": samples.class_names, "ch_names": list(store_attrs["ch_names"]),
         "sfreq": float(store_attrs["sfreq"]), **(preprocessing or {})}, indent=2))
    if model_spec.kind == "keras":  # every output is written: the checkpoint is no longer needed
        shutil.rmtree(checkpoint_dir or out_dir / "training", ignore_errors=True)
    log.info("%s/%s/%s: accuracy %.3f (chance %.3f), macro-F1 %.3f", model,
             fold.protocol, fold.name, metrics["accuracy"], metrics["chance_level"],
             metrics["f1_macro"])
    return metrics


def _importance(predict, samples: Samples, test, validation, train, spec: TrainSpec,
                features: Path) -> dict:
    """Critical bands and channels of the trained fold, on its test samples
    (:mod:`seedflow.recognition.importance`); channels ranked on the validation samples,
    else on the training samples (real ones: never a test sample)."""
    attrs = FeatureStore.open(features).attrs
    ranked_on = "validation" if validation.any() else "train"
    ranking = validation if validation.any() else train
    return importance.fold_importance(
        lambda x: predict(importance.with_input(samples.subset(test), x)),
        samples.subset(test), samples.subset(ranking), ranked_on,
        kind=spec.representation.kind, ch_names=list(samples.quality.ch_names),
        bands=dict(attrs["bands"]), repeats=spec.importance_repeats, seed=spec.seed)


def trial_chance_level(trials: Trials, test: np.ndarray, n_classes: int) -> float:
    """Majority-class share of the samples the test trials make when no window is left
    out: leaving damaged windows out does not move it."""
    counts = np.bincount(trials.label[test], weights=trials.n_samples[test],
                         minlength=n_classes)
    return float(counts.max() / counts.sum())


def _log_quality(model_name: str, fold: protocols.Fold, quality: dict) -> None:
    for side in SIDES:
        if quality["left_out_windows"][side] or quality["imputed_windows"][side]:
            log.warning("%s/%s/%s: %s: %d windows left out (no finite value), %d kept with "
                        "%d imputed (window, channel) cells", model_name, fold.protocol,
                        fold.name, side, quality["left_out_windows"][side],
                        quality["imputed_windows"][side], quality["imputed_cells"][side])
    for trial in quality["test_trials_without_windows"]:
        log.warning("%s/%s/%s: test trial sub-%s ses-%s trial %d has no usable window: %s",
                    model_name, fold.protocol, fold.name, trial["subject"], trial["session"],
                    trial["trial"], trial["why"])


def _imputed(part: Samples) -> Samples:
    """``part`` with each non-finite value set to the mean of its entry's finite values
    over ``part`` (what the models impute), for generators that need complete inputs."""
    finite = np.isfinite(part.x)
    if finite.all():
        return part
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(finite, part.x, 0).sum(axis=0) / finite.sum(axis=0)
    x = np.where(finite, part.x, np.nan_to_num(mean)).astype(part.x.dtype)
    return dataclasses.replace(part, x=x)


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
                     samples.class_names, samples.options, samples.trials, samples.quality)
    extra, none = np.ones(len(synthetic), dtype=bool), np.zeros(len(synthetic), dtype=bool)
    return (joined, np.concatenate([train, extra]), np.concatenate([validation, none]),
            np.concatenate([test, none]))


def _fit_sklearn(model_spec, samples: Samples, train: np.ndarray, out_dir: Path,
                 spec: TrainSpec):
    import joblib
    from sklearn.metrics import log_loss

    estimator = model_spec.builder(spec.seed)
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
    """Mean and variance over the training samples' finite values, per entry of the
    normalised axes."""
    index = np.flatnonzero(train)
    if kind == "raw" and len(index) > RAW_STATISTICS_WINDOWS:
        index = np.sort(np.random.default_rng(seed).choice(index, RAW_STATISTICS_WINDOWS,
                                                           replace=False))
    x = np.asarray(samples.x[index], dtype=np.float64)
    reduce = tuple(a for a in range(x.ndim) if a not in NORMALISED_AXES[kind])
    if np.isfinite(x).all():
        return x.mean(axis=reduce).astype("float32"), x.var(axis=reduce).astype("float32")
    # Missing values take no part (an entry without any stays NaN: the model imputes it).
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # entries without a finite value
        x = np.where(np.isfinite(x), x, np.nan)
        return (np.nanmean(x, axis=reduce).astype("float32"),
                np.nanvar(x, axis=reduce).astype("float32"))


def checkpoint_key(model: str, fold: protocols.Fold, sessions: list[Session], spec: TrainSpec,
                   augment=None) -> str:
    """Hash of everything a checkpoint depends on: a change starts training afresh."""
    inputs = [(str(s.features), Path(s.features).stat().st_mtime_ns, str(s.ingest),
               Path(s.ingest).stat().st_mtime_ns if s.ingest else 0) for s in sessions]
    # how importance is measured after training does not change the training itself
    trained = {k: v for k, v in dataclasses.asdict(spec).items() if k != "importance_repeats"}
    settings = [trained,
                None if augment is None else dataclasses.asdict(augment.spec)]
    text = json.dumps([model, fold.protocol, fold.name, settings, inputs], sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def checkpoint_folder(model: str, fold: protocols.Fold, sessions: list[Session],
                      spec: TrainSpec, augment, checkpoint_dir: Path | None,
                      out_dir: Path) -> Path:
    """The folder of the fold's training checkpoint: ``checkpoint_dir/<key>`` (checkpoints
    of other settings or inputs are removed), or ``out_dir/training`` without one."""
    if checkpoint_dir is None:
        return out_dir / "training"
    key = checkpoint_key(model, fold, sessions, spec, augment)
    for stale in (checkpoint_dir.iterdir() if checkpoint_dir.is_dir() else ()):
        if stale.name != key:
            log.info("settings or inputs changed: removing checkpoint %s", stale)
            if stale.is_dir():
                shutil.rmtree(stale)
            else:
                stale.unlink()
    return checkpoint_dir / key


def _fit_keras(model_name: str, model_spec, samples: Samples, train, validation,
               out_dir: Path, spec: TrainSpec, work: Path, extra_callbacks):
    import keras

    from seedflow import backend, keras_backend
    from seedflow.checkpoints import EpochCheckpoint
    from seedflow.models.layers import Standardization
    from seedflow.recognition.batches import Batches

    fit = spec.fit
    keras_backend.require(fit.backend)
    parallel = backend.data_parallel(fit.replicas, "recognition.replicas")
    replicas, multiple = parallel.replicas, parallel.batch_multiple
    batch_size = fit.batch_size * replicas
    log.info("%s backend, %d replica(s): global batch %d = %d per replica x %d",
             keras.backend.backend(), replicas, batch_size, fit.batch_size, replicas)
    kind = model_spec.representation
    mean, variance = normaliser_statistics(samples, train, kind, spec.seed)
    with parallel.scope():
        normalizer = Standardization(axis=NORMALISED_AXES[kind], mean=mean, variance=variance)
        model = models.build(model_name, samples.x.shape[1:], len(samples.class_names),
                             normalizer, **samples.options)
        model.compile(optimizer=keras.optimizers.Adam(fit.learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        model.optimizer.build(model.trainable_variables)  # its variables, to restore

    work.mkdir(parents=True, exist_ok=True)
    callbacks = []
    validation_data = early_stopping = None
    if validation.any():
        validation_data = Batches(samples.x, samples.label, np.flatnonzero(validation),
                                  batch_size, multiple_of=multiple)
        early_stopping = keras.callbacks.EarlyStopping(patience=fit.patience,
                                                       restore_best_weights=True)
        callbacks.append(early_stopping)
    checkpoint = EpochCheckpoint(work / "checkpoint.npz", early_stopping)
    callbacks.append(checkpoint)  # after early stopping: saves what it decided
    if checkpoint.restore(model, fit.epochs):
        log.info("resuming from the checkpoint %s after epoch %d%s", checkpoint.path,
                 checkpoint.next_epoch, " (early stopping ended training)"
                 if checkpoint.stopped else "")
    first_epoch = checkpoint.next_epoch
    train_data = Batches(samples.x, samples.label, np.flatnonzero(train), batch_size,
                         seed=spec.seed, first_epoch=first_epoch, multiple_of=multiple)
    with parallel.scope():
        # With nothing left to train (the checkpoint is of the last epoch, or early
        # stopping ended training), fit runs no epoch but early stopping still restores
        # the best weights at its end. shuffle=False: the batches come shuffled from
        # (seed, epoch); Keras would reorder them with Python's global random state, which
        # a resumed run does not share.
        model.fit(train_data, validation_data=validation_data,
                  epochs=first_epoch if checkpoint.stopped else fit.epochs,
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

    return predict, {"backend": keras.backend.backend(), "replicas": replicas,
                     "global_batch_size": batch_size,
                     "epochs_run": len(checkpoint.history),
                     "resumed_from_epoch": first_epoch}
