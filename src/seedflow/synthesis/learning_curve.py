"""The augmentation learning curve: does synthetic data help where real data are scarce?

Under ``subject_dependent``, each fold (session) keeps its test trials, identical for every
training-set size, and trains on a subset of its training trials: ``n`` trials of each class
(``synthesis.augmentation.curve.trials_per_class``) or all of them. Subsets are drawn per
session and class by a seeded permutation of the trials, and a size takes its first ``n``,
so with one seed the smaller sets are nested in the larger ones and balanced over classes.
Each cell (fold × size × seed) trains the augmentation model (``synthesis.augmentation.model``)
once per arm (:data:`ARMS`): on the subset alone (``real``) and on the subset plus synthetic
windows made only from the subset's trials, ``ratio`` per real training window, balanced
over classes:

- ``signal_gan``: the signal GAN, trained afresh on random windows of
  ``synthesis.window_seconds`` of the subset's trials (the signal the features stage sees:
  after ``features.preprocessing``), sampled, and each synthetic window turned into DE as the
  features stage turns a trial of that length (:func:`de_of_signals`). The GAN is called
  through one function, :func:`train_and_sample`.
- ``feature_wgan_gp`` and ``mixup``: :class:`seedflow.synthesis.augmentation.Augmentation`.
- ``ft_surrogate`` and ``frequency_shift``
  (:mod:`seedflow.synthesis.signal_augmentation`): each whole training trial's signal is
  transformed and its DE computed by the features stage's code, so the augmented windows
  have the trial-long filter context the real ones have (a 1 s window filtered alone would
  differ from the real DE by the filters' edge effects, not by the augmentation).

Every arm of a cell starts the model from the same weights (the recognition seed is the
cell's seed), and :func:`seedflow.recognition.train.train_fold` refuses synthetic windows
made from a validation or test trial; the signal arms also check that the trials they read
are exactly the subset's.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from seedflow import models
from seedflow.errors import SeedflowError
from seedflow.features.spec import FeatureSpec
from seedflow.synthesis import signal_augmentation
from seedflow.synthesis.curve_statistics import ALL
from seedflow.synthesis.augmentation import (Augmentation, AugmentationSpec, Synthetic,
                                             from_de)
from seedflow.synthesis.training import GanSpec, SpectralGanSpec

if TYPE_CHECKING:  # annotations only: representations would pull in Keras
    from seedflow.recognition.protocols import Fold
    from seedflow.recognition.representations import Samples, Session
    from seedflow.recognition.train import TrainSpec

log = logging.getLogger(__name__)

ARMS = ("real", "signal_gan", "feature_wgan_gp", "mixup", "ft_surrogate",
        "frequency_shift")
SIGNAL_ARMS = ("signal_gan", *signal_augmentation.SIGNAL_AUGMENTATIONS)
KEY = "synthesis.augmentation.curve"


@dataclass(frozen=True)
class CurveSpec:
    """What a cell's arms depend on (``synthesis.augmentation.curve``, ``.ratio``, the mixup
    and GAN settings; the feature settings for the signal arms' DE). None: an arm not run."""

    arms: list
    ratio: float
    alpha: float | None               # mixup
    feature_gan: GanSpec | None       # feature_wgan_gp
    signal_gan: SpectralGanSpec | None  # signal_gan
    window_seconds: float | None      # signal_gan: its windows
    phase_noise_magnitude: float | None  # ft_surrogate
    max_shift: float | None           # frequency_shift
    features: FeatureSpec | None      # the signal arms' DE

    @classmethod
    def from_config(cls, config: dict) -> "CurveSpec":
        section = config["synthesis"]
        curve = section["augmentation"]["curve"]
        arms = ["real", *(a for a in curve["arms"] if a != "real")]
        unknown = [a for a in arms if a not in ARMS]
        if unknown:
            raise SeedflowError(f"config key {KEY}.arms: unknown {unknown} (known: "
                                f"{', '.join(ARMS)})")
        on = set(arms)
        return cls(
            arms, float(section["augmentation"]["ratio"]),
            float(section["mixup"]["alpha"]) if "mixup" in on else None,
            GanSpec.from_config(config) if "feature_wgan_gp" in on else None,
            SpectralGanSpec.from_config(config) if "signal_gan" in on else None,
            float(section["window_seconds"]) if "signal_gan" in on else None,
            float(curve["ft_surrogate"]["phase_noise_magnitude"])
            if "ft_surrogate" in on else None,
            float(curve["frequency_shift"]["max_shift"]) if "frequency_shift" in on else None,
            FeatureSpec.from_config(config) if on & set(SIGNAL_ARMS) else None)


def sizes(config: dict) -> list[str]:
    """The cells' training-set sizes as path labels: each ``trials_per_class``, then ``all``."""
    return [*(str(n) for n in sorted(config["synthesis"]["augmentation"]["curve"]
                                     ["trials_per_class"])), ALL]


def check(config: dict) -> None:
    """Fail with the config key when the curve cannot run on these settings."""
    from seedflow.synthesis import augmentation

    augmentation.check(config)
    CurveSpec.from_config(config)
    curve = config["synthesis"]["augmentation"]["curve"]
    signal = set(curve["arms"]) & set(SIGNAL_ARMS)
    if signal and config["features"]["smoothing"] != "none":
        raise SeedflowError(
            f"config key features.smoothing: '{config['features']['smoothing']}' smooths DE "
            f"along each trial; the arms {sorted(signal)} of {KEY}.arms make windows that "
            f"have no trial to be smoothed in (set features.smoothing: none, or leave them "
            f"out)")
    if config["recognition"]["session_folds"] != 1:
        raise SeedflowError(f"config key recognition.session_folds: the learning curve uses "
                            f"subject_dependent with session_folds 1 (train_trials / test), "
                            f"not {config['recognition']['session_folds']}")


def check_sizes(config: dict, headers: dict) -> None:
    """Before any job: every session's training trials (its first
    ``recognition.train_trials``, less ``validation_trials`` per class) must hold the largest
    ``trials_per_class`` of every class they have; ``headers``: (subject, session) ->
    :class:`seedflow.datasets.base.SessionHeader`."""
    rec = config["recognition"]
    sizes_asked = config["synthesis"]["augmentation"]["curve"]["trials_per_class"]
    if not sizes_asked:
        return
    largest = max(sizes_asked)
    for (subject, session), header in headers.items():
        trials = sorted(header.trials, key=lambda t: t.trial_id)[:rec["train_trials"]]
        for label in sorted({t.label for t in trials}):
            ids = [t.trial_id for t in trials if t.label == label]
            usable = len(ids) - rec["validation_trials"]
            if usable < largest:
                raise SeedflowError(
                    f"config key {KEY}.trials_per_class: {largest} training trials of class "
                    f"'{header.class_names[label]}' asked, sub-{subject} ses-{session} "
                    f"({header.path}) has {usable} among its first "
                    f"{rec['train_trials']} trials (trials {ids}"
                    + (f", {rec['validation_trials']} of them validate" if
                       rec["validation_trials"] else "") + ")")


def training_subset(keys: np.ndarray, labels: np.ndarray, train: np.ndarray,
                    per_class: int | None, seed: int) -> np.ndarray:
    """Mask over trials: ``per_class`` of the ``train`` trials of each class in each session
    (None: all of them), the first ``per_class`` of a permutation seeded by ``seed``, the
    session and the class, so smaller subsets are nested in larger ones."""
    if per_class is None:
        return train.copy()
    chosen = np.zeros(len(keys), dtype=bool)
    sessions = sorted({(s, k) for s, k, _ in keys[train].tolist()})
    for i, (subject, session) in enumerate(sessions):
        here = train & (keys["subject"] == subject) & (keys["session"] == session)
        for label in np.unique(labels[here]):
            rows = np.flatnonzero(here & (labels == label))
            rows = rows[np.argsort(keys["trial"][rows], kind="stable")]
            if len(rows) < per_class:
                raise SeedflowError(
                    f"config key {KEY}.trials_per_class: {per_class} training trials of "
                    f"class {label} asked, sub-{subject} ses-{session} has {len(rows)} "
                    f"(trials {', '.join(str(t) for t in keys['trial'][rows])})")
            order = np.random.default_rng([seed, i, int(label)]).permutation(len(rows))
            chosen[rows[order[:per_class]]] = True
    return chosen


# --- signal arms -------------------------------------------------------------------------

def prepared_trials(sessions: list[Session], keys: np.ndarray, spec: FeatureSpec):
    """The signals (channels, time) the features stage computes DE from, of the trials
    ``keys`` (read from the ingest stores, after ``features.preprocessing``), their labels,
    the rate, the channel names and the trials left out for non-finite samples."""
    import dask.array as da

    from seedflow.features import preprocessing
    from seedflow.stores.ingest import IngestStore

    stores = {(s.subject, s.session): s.ingest for s in sessions}
    signals, labels, kept, left_out, sfreq, ch_names = [], [], [], [], None, None
    for key in keys.tolist():
        subject, session, trial = key
        path = stores.get((subject, session))
        if path is None:
            raise SeedflowError(f"signal augmentation: no ingest store for sub-{subject} "
                                f"ses-{session}")
        store = IngestStore.open(path)
        if trial not in store.trial_ids:
            raise SeedflowError(f"{path}: no trial {trial} (trials {store.trial_ids})")
        index = store.trial_ids.index(trial)
        chunk = spec.windows_per_chunk * int(round(spec.window_seconds * store.sfreq))
        x, rate = preprocessing.preprocess_trial(
            da.from_zarr(store.eeg)[:, store.trial_start[index]:store.trial_stop[index]],
            store.sfreq, store.ch_names, spec.preprocessing, chunk=chunk,
            bad_channels=store.trial_bad_channels[index])
        x = np.asarray(x.compute(scheduler="synchronous"), dtype=np.float32)
        if ch_names is not None and (store.ch_names != ch_names or rate != sfreq):
            raise SeedflowError(f"{path}: channels or rate differ from the fold's other "
                                f"sessions")
        sfreq, ch_names = rate, list(store.ch_names)
        if not np.isfinite(x).all():  # a transform of the whole signal would spread them
            left_out.append(key)
            continue
        signals.append(x)
        labels.append(store.labels[index])
        kept.append(key)
    return signals, np.array(labels, dtype=np.int32), sfreq, ch_names, kept, left_out


def de_of_signals(segments: np.ndarray, sfreq: float, spec: FeatureSpec) -> np.ndarray:
    """DE (segments, windows, channels, bands) of equal-length ``segments`` (n, channels,
    time), each taken as one trial, exactly as the features stage computes a trial's (its
    kernel: filters, windows, trial-edge handling; ``features.preprocessing`` is applied by
    the caller)."""
    import dask.array as da

    from seedflow.features import extraction

    # One kernel per spec and rate: building one designs the filters and measures their
    # impulse responses, which takes longer than the DE of a short window itself.
    key = (json.dumps(dataclasses.asdict(spec), sort_keys=True, default=str), sfreq)
    if key not in _KERNELS:
        _KERNELS[key] = extraction.BandKernel(spec, sfreq)
    kernel = _KERNELS[key]
    n, n_channels, length = segments.shape
    count = extraction.n_windows(length, kernel.win, kernel.hop)
    nb = len(spec.bands)
    if count > spec.windows_per_chunk:  # a trial of several blocks: the stage's own graph
        return np.stack([np.asarray(extraction.trial_features(
            da.from_array(x, chunks=x.shape), sfreq, spec, kernel=kernel).compute(
                scheduler="synchronous"))[:, :, :nb] for x in segments])
    # A trial of one block is one kernel call on it, which filters its channels (rows) a
    # few at a time, each alone. The segments' rows are stacked and filtered in one pass per
    # batch (the kernel's per-row computation, without a SciPy call per few rows and band,
    # which made a 2 s window cost ~0.1 s).
    starts = np.arange(count) * kernel.hop
    out = np.empty((n, count, n_channels, nb), dtype=np.float32)
    batch = max(1, 4096 // n_channels)
    for first in range(0, n, batch):
        part = segments[first:first + batch]
        values = kernel._channels(part.reshape(-1, length), starts, True, True)
        out[first:first + batch] = values[:, :, :nb].astype(np.float32).reshape(
            len(part), n_channels, count, nb).transpose(0, 2, 1, 3)
    return out


_KERNELS: dict = {}


def train_and_sample(trials: list[np.ndarray], labels: np.ndarray, sfreq: float,
                     n_times: int, spec: SpectralGanSpec, n_per_class: int, seed: int,
                     checkpoint: Path):
    """The one call into the signal GAN: train it on random windows of ``n_times`` samples
    of ``trials`` ((channels, time) in volts, classes ``labels`` 0..K-1, every class
    present) at ``sfreq`` Hz and return ``n_per_class`` synthetic windows of each class in
    volts (n, time, channels) with their labels. ``checkpoint``: where training
    checkpoints (resumed by a rerun of the same job)."""
    from seedflow.synthesis import signal_gan

    n_classes = int(labels.max()) + 1
    spec = dataclasses.replace(spec, seed=seed)
    crops = signal_gan.Crops([np.ascontiguousarray(t.T) for t in trials], labels.tolist(),
                             n_times)
    gan, _ = signal_gan.train(crops, n_classes, sfreq, spec, checkpoint)
    fake_labels = np.repeat(np.arange(n_classes, dtype=np.int32), n_per_class)
    fake = gan.generate(fake_labels, np.random.default_rng([seed, 1]))
    return crops.to_volts(fake), fake_labels


@dataclass(frozen=True)
class SignalArmSpec:
    """What a signal arm's synthetic windows depend on."""

    arm: str
    ratio: float
    seed: int
    gan: SpectralGanSpec | None
    window_seconds: float | None
    phase_noise_magnitude: float | None
    max_shift: float | None
    features: FeatureSpec


class SignalArm:
    """A signal-level arm for :func:`seedflow.recognition.train.train_fold` (its
    ``augment``): synthetic DE windows from the signals of the training samples' trials."""

    def __init__(self, spec: SignalArmSpec, sessions: list[Session], checkpoint: Path):
        self.spec, self.sessions, self.checkpoint = spec, sessions, checkpoint

    def __call__(self, model: str, train: Samples, features_path: Path) -> Synthetic:
        from seedflow.stores.features import FeatureStore

        spec = self.spec
        representation = models.spec(model).representation
        n_classes = len(train.class_names)
        per_class = math.ceil(spec.ratio * len(train) / n_classes)
        source = np.unique(train.trial_keys())
        signals, labels, sfreq, ch_names, kept, left_out = prepared_trials(
            self.sessions, source, spec.features)
        store_channels = list(FeatureStore.open(features_path).attrs["ch_names"])
        if ch_names != store_channels:
            raise SeedflowError(f"{features_path}: channels {store_channels} differ from the "
                                f"ingest store's {ch_names}")
        missing = sorted(set(range(n_classes)) - set(labels.tolist()))
        if missing:
            raise SeedflowError(f"{spec.arm}: no training trial of class(es) "
                                f"{[train.class_names[k] for k in missing]} without "
                                f"non-finite samples (left out: {left_out})")
        if spec.arm == "signal_gan":
            de, fake_labels, extra = self._gan(signals, labels, sfreq, per_class)
        else:
            de, fake_labels, extra = self._transformed(signals, labels, sfreq, per_class)
        fake = from_de(de, representation, ch_names)
        n = len(fake_labels)
        from seedflow.recognition.representations import Samples

        samples = Samples(fake.astype(np.float32), fake_labels,
                          np.full(n, "synthetic", dtype="U32"),
                          np.full(n, spec.arm, dtype="U32"), np.full(n, -1, dtype=np.int64),
                          np.full(n, -1, dtype=np.int64), train.class_names, train.options)
        read = np.array([tuple(k) for k in kept + left_out], dtype=source.dtype)
        if set(read.tolist()) != set(source.tolist()):
            raise AssertionError(f"{spec.arm} read trials {read} instead of the training "
                                 f"trials {source}")
        info = {"augmentation": spec.arm, "synthetic_ratio": spec.ratio,
                "n_synthetic_windows": int(n), "n_generator_trials": len(kept),
                "signal_trials_left_out": [list(map(str, k)) for k in left_out], **extra}
        log.info("%s: %d synthetic DE windows from %d training trials (%d left out: "
                 "non-finite samples)", spec.arm, n, len(kept), len(left_out))
        return Synthetic(samples, np.array([tuple(k) for k in kept], dtype=source.dtype),
                         info)

    def _gan(self, signals, labels, sfreq, per_class):
        spec = self.spec
        win = int(round(spec.window_seconds * sfreq))
        if win > min(x.shape[1] for x in signals):
            raise SeedflowError(f"config key synthesis.window_seconds: "
                                f"{spec.window_seconds} s windows do not fit the trials")
        de_per_window = de_of_signals(signals[0][None, :, :win], sfreq,
                                      spec.features).shape[1]
        if de_per_window == 0:
            raise SeedflowError("config key synthesis.window_seconds: the GAN's windows "
                                "are shorter than features.window_seconds")
        fake, fake_labels = train_and_sample(
            list(signals), np.asarray(labels, dtype=np.int32), sfreq, win, spec.gan,
            math.ceil(per_class / de_per_window), spec.seed, self.checkpoint)
        de = de_of_signals(fake.transpose(0, 2, 1), sfreq, spec.features)
        rows = np.repeat(fake_labels, de_per_window)
        de = de.reshape(-1, *de.shape[2:])
        keep = np.concatenate([np.flatnonzero(rows == k)[:per_class]
                               for k in np.unique(rows)])
        return de[keep], rows[keep].astype(np.int32), {
            "n_generator_trials": len(signals)}

    def _transformed(self, signals, labels, sfreq, per_class):
        spec = self.spec
        rng = np.random.default_rng([spec.seed, ARMS.index(spec.arm)])
        real_windows = [de_of_signals(x[None], sfreq, spec.features).shape[1]
                        for x in signals]
        out_de, out_labels = [], []
        for k in np.unique(labels):
            members = np.flatnonzero(labels == k)
            copies = math.ceil(per_class / sum(real_windows[i] for i in members))
            de = np.concatenate([
                de_of_signals(signal_augmentation.augment(
                    spec.arm, signals[i], sfreq, rng,
                    phase_noise_magnitude=spec.phase_noise_magnitude,
                    max_shift=spec.max_shift)[None], sfreq, spec.features)[0]
                for i in members for _ in range(copies)])
            out_de.append(de[np.sort(rng.choice(len(de), per_class, replace=False))])
            out_labels.append(np.full(per_class, k, dtype=np.int32))
        return np.concatenate(out_de), np.concatenate(out_labels), {}


def arm_augmentation(arm: str, spec: CurveSpec, seed: int, sessions: list[Session],
                     checkpoint: Path):
    """The ``augment`` of ``arm`` for train_fold (None: the real arm)."""
    if arm == "real":
        return None
    if arm in ("feature_wgan_gp", "mixup"):
        return Augmentation(AugmentationSpec(arm, spec.ratio, seed, spec.alpha,
                                             spec.feature_gan if arm != "mixup" else None),
                            checkpoint)
    return SignalArm(SignalArmSpec(arm, spec.ratio, seed,
                                   spec.signal_gan if arm == "signal_gan" else None,
                                   spec.window_seconds if arm == "signal_gan" else None,
                                   spec.phase_noise_magnitude if arm == "ft_surrogate"
                                   else None,
                                   spec.max_shift if arm == "frequency_shift" else None,
                                   spec.features), sessions, checkpoint)


def run_cell(*, model: str, fold: Fold, sessions: list[Session], out_dir: Path,
             train_spec: TrainSpec, spec: CurveSpec, size: str, seed: int,
             checkpoint_dir: Path) -> dict:
    """One cell (fold × size × seed): every arm of ``spec`` trained on the subset of the
    fold's training trials (``size`` per class, or ``all``) and tested on the fold's test
    trials; each arm's fold outputs in ``out_dir/<arm>/``, the cell's in ``curve.json``."""
    from seedflow.recognition import representations, train

    train_spec = dataclasses.replace(train_spec, seed=seed)
    samples = representations.load(sessions, train_spec.representation)
    trials = samples.trials
    sides = train.fold_trials(fold, trials, train_spec)
    per_class = None if size == ALL else int(size)
    subset = training_subset(trials.keys, trials.label, sides["train"], per_class, seed)
    subset_keys = trials.keys[subset]
    out_dir.mkdir(parents=True, exist_ok=True)
    arms = {}
    for arm in spec.arms:
        checkpoint = checkpoint_dir / arm
        augment = arm_augmentation(arm, spec, seed, sessions,
                                   checkpoint.with_name(arm + ".generator.npz"))
        metrics = train.train_fold(model=model, fold=fold, sessions=sessions,
                                   out_dir=out_dir / arm, spec=train_spec,
                                   checkpoint_dir=checkpoint, augment=augment,
                                   train_trials=subset_keys)
        if augment is not None:
            augment.checkpoint.unlink(missing_ok=True)
        arms[arm] = {k: metrics.get(k) for k in (
            "accuracy", "f1_macro", "chance_level", "n_train_windows",
            "n_real_train_windows", "n_synthetic_windows", "synthetic_ratio",
            "signal_trials_left_out")}
    result = {"model": model, "protocol": fold.protocol, "fold": fold.name,
              "trials_per_class": size, "seed": seed,
              "n_classes": len(samples.class_names),
              "train_trials": [list(map(str, k)) for k in subset_keys.tolist()],
              "test_trials": [list(map(str, k)) for k in trials.keys[sides["test"]].tolist()],
              "arms": arms}
    (out_dir / "curve.json").write_text(json.dumps(result, indent=2))
    return result
