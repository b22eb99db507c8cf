"""Predictions of a trained model for a new recording, prepared exactly as in training.

The recording is opened by the reader of the training run's dataset kind (or another kind
given with ``--kind``), with the training run's reader settings, and goes through the same
ingest and feature stages (``ingest`` and ``features`` settings, preprocessing and smoothing
included), all kept in the model's ``preprocessing.json``, into a temporary folder. The
model then predicts every window (or segment/sequence); a stacking meta-model predicts from
its base models' probabilities, each base model fed as it was trained. Per trial: the class
with the highest mean probability over the trial's samples.
"""

from __future__ import annotations

import contextlib
import csv
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedflow import datasets, features, representations
from seedflow.channels import normalise
from seedflow.errors import DatasetError, SeedflowError
from seedflow.io import mne_raw, seed_v
from seedflow.io.base import SessionSource
from seedflow.io.zarr_store import write_session
from seedflow.representations import Samples
from seedflow.train import probabilities_of, write_predictions

log = logging.getLogger(__name__)

# File types each reader opens (MNE-readable formats for the ``mne`` kind).
SUFFIXES = {"seed": (".mat",), "seed-iv": (".mat",), "dreamer": (".mat",),
            "seed-v": (".cnt", ".fif"), "seed-ger": (".cnt", ".fif"),
            "seed-fra": (".cnt", ".fif"), "mne": mne_raw.EXTENSIONS}
_TABLE_KINDS = ("seed-v", "seed-ger", "seed-fra")
# Settings of the training run that decide a recording's trials, which --labels replaces.
_TRIAL_SETTINGS = ("dataset.event_labels", "dataset.trial_seconds", "dataset.stim_channel",
                   "dataset.allow_overlap")


@dataclass(frozen=True)
class Request:
    """The recording to predict and what the command line says about it."""

    path: Path
    labels: Path | None = None    # label.mat, trial table TSV or BIDS events TSV
    kind: str | None = None       # dataset kind of the recording if not the training one
    subject: str | None = None
    session: str | None = None


def load_preprocessing(model_dir: Path) -> dict:
    """The model folder's ``preprocessing.json``, checked for what prediction needs."""
    path = Path(model_dir) / "preprocessing.json"
    if not Path(model_dir).is_dir():
        raise SeedflowError(f"{model_dir}: model folder not found")
    if not path.is_file():
        raise SeedflowError(f"{model_dir}: not a trained model folder (no preprocessing.json)")
    prep = json.loads(path.read_text())
    needed = ("base_dirs",) if prep.get("model") == "stacking" else (
        "dataset", "simulation", "ingest", "features", "representation", "ch_names", "sfreq")
    missing = [key for key in needed if key not in prep]
    if missing:
        raise SeedflowError(f"{path}: no {', '.join(missing)} recorded (a model trained by "
                            f"an older seedflow: train it again)")
    if prep.get("official_features"):
        raise SeedflowError(f"{model_dir}: trained on SEED's official features (the "
                            "training run's setting dataset.features: official), which "
                            "predict cannot compute for a new recording; train on computed "
                            "features instead")
    return prep


def reader_config(prep: dict, model_dir: Path, kind: str | None = None,
                  labels: Path | None = None) -> dict:
    """The config :func:`seedflow.datasets.open_source` reads the recording with (paths
    in ``preprocessing.json`` are relative to the model folder; ``labels``, the trials given
    on the command line, replace the training run's stim channel; the channels are those the
    model was trained on)."""
    dataset = dict(prep["dataset"])
    if labels is not None:
        dataset["stim_channel"] = None
    if dataset.get("channels") is None:  # the mne kind's default: the channels trained on
        dataset["channels"] = list(prep["ch_names"])
    for key in ("root", "trial_table"):
        if dataset.get(key):
            dataset[key] = os.path.normpath(Path(model_dir).resolve() / dataset[key])
    if kind is not None:
        if kind not in datasets.KINDS or kind == "simulated":
            raise SeedflowError(f"--kind {kind}: unknown dataset kind (known: "
                                f"{', '.join(k for k in datasets.KINDS if k != 'simulated')})")
        dataset["kind"] = kind
    return {"dataset": dataset, "simulation": prep["simulation"]}


def _listed(config: dict, path: Path) -> datasets.Recording | None:
    """The recording as the training run lists it, if the file is one (and only one: not
    DREAMER.mat, which holds every subject) of its dataset's recordings."""
    root = Path(config["dataset"]["root"])
    if not path.resolve().is_relative_to(root.resolve()):
        return None
    try:
        listing = datasets.recordings(config)
    except DatasetError:  # e.g. files the run left out by dataset.exclude, which a model's
        return None       # settings do not keep: the file name then tells who it is
    found = [r for r in listing if Path(r.path).resolve() == path.resolve()]
    return found[0] if len(found) == 1 else None


def _identity(name: str, path: Path, request: Request) -> tuple[str, str]:
    """(subject, session) from the file name, as the layout's reader names them."""
    found = None
    if name in _TABLE_KINDS:
        found = seed_v.identity(path)
    elif name == "mne":
        found = mne_raw.identity(path)
    elif name == "seed-iv":  # <session>/<subject>_<date>.mat
        found = (path.stem.split("_")[0], path.parent.name)
    elif name == "seed":  # <subject>_<date>.mat; the session is the date's rank
        found = (path.stem.split("_")[0], "1")
    subject = request.subject or (found[0] if found else None)
    session = request.session or (found[1] if found else "1")
    if subject is None and name == "dreamer":
        raise SeedflowError(f"{path}: DREAMER.mat holds every subject: give --subject")
    return subject or path.stem, session


def _extra_inputs(config: dict, name: str, path: Path, labels: Path | None) -> tuple:
    if labels is not None and not labels.is_file():
        raise SeedflowError(f"{labels}: file not found")
    if name == "seed":
        labels = labels or path.with_name("label.mat")
        if not labels.is_file():
            raise SeedflowError(f"{path}: a SEED .mat recording needs its label.mat "
                                f"(--labels)")
        return (labels,)
    if name in _TABLE_KINDS:
        table = labels or config["dataset"].get("trial_table")
        if table is None and name != "seed-v":
            raise SeedflowError(f"{path}: dataset kind '{name}' needs a trial table "
                                f"(--labels, TSV: session, trial, start_s, end_s, label)")
        return (Path(table),) if table else ()
    if name == "mne":
        beside = None if config["dataset"].get("stim_channel") else mne_raw.events_file(path)
        events = labels or beside
        return (events,) if events else ()
    if labels is not None:
        raise SeedflowError(f"--labels {labels}: dataset kind '{name}' takes its labels "
                            f"from the recording itself")
    return ()


def open_recording(config: dict, request: Request
                   ) -> tuple[datasets.Recording, SessionSource]:
    """Open the recording with the reader of ``config``'s dataset kind."""
    path = Path(request.path)
    name = datasets.layout(config)
    if not path.is_file():
        raise SeedflowError(f"{path}: recording not found")
    if path.suffix.lower() not in SUFFIXES[name]:
        raise SeedflowError(f"{path}: unsupported recording format '{path.suffix}' for "
                            f"dataset kind '{name}' (expected {', '.join(SUFFIXES[name])}; "
                            f"a recording of another kind: --kind)")
    listed = None if (request.kind or request.labels or request.subject
                      or request.session) else _listed(config, path)
    if listed is None:
        subject, session = _identity(name, path, request)
        listed = datasets.Recording(subject, session, path,
                                    _extra_inputs(config, name, path, request.labels))
    return listed, datasets.open_source(config, listed)


def check_matches(source: SessionSource, prep: dict) -> None:
    """Channels (names, order) and sampling rate must be the training data's."""
    got, want = [normalise(c) for c in source.ch_names], [normalise(c) for c in prep["ch_names"]]
    if got != want:
        missing = [c for c in want if c not in got]
        extra = [c for c in got if c not in want]
        detail = (f"missing {', '.join(missing) or 'none'}; not in the training data "
                  f"{', '.join(extra) or 'none'}" if missing or extra else "different order")
        raise SeedflowError(f"{source.path}: channels differ from the model's training data "
                            f"({len(got)} vs {len(want)} channels: {detail}; read from the "
                            f"recording: {', '.join(source.file_channels or source.ch_names)})")
    if float(source.sfreq) != float(prep["sfreq"]):
        raise SeedflowError(f"{source.path}: sampling rate {source.sfreq:g} Hz, the model "
                            f"was trained at {prep['sfreq']:g} Hz")


class _Prepared:
    """The recording's ingest and feature stores, made once per distinct preprocessing."""

    def __init__(self, folder: Path, request: Request):
        self.folder, self.request, self.sessions = folder, request, {}

    def session(self, model_dir: Path, prep: dict) -> representations.Session:
        config = reader_config(prep, model_dir, self.request.kind, self.request.labels)
        key = json.dumps([config, prep["ingest"], prep["features"]], sort_keys=True)
        if key not in self.sessions:
            folder = self.folder / str(len(self.sessions))
            raw, feats = folder / "raw.zarr", folder / "features.zarr"
            try:
                recording, source = open_recording(config, self.request)
                check_matches(source, prep)
                write_session(source, raw, chunk_seconds=prep["ingest"]["chunk_seconds"],
                              min_trial_seconds=prep["features"]["window_seconds"],
                              attrs={"subject": recording.subject,
                                     "session": recording.session,
                                     "dataset": config["dataset"]["kind"]})
            except DatasetError as err:
                if err.key is None:
                    raise
                raise SeedflowError(f"{err.path}: {err.problem} "
                                    f"({_setting(err.key, config, prep, model_dir)})") from err
            features.extract(raw, feats, features.FeatureSpec.from_config(prep["features"]))
            self.sessions[key] = representations.Session(recording.subject,
                                                         recording.session, feats, raw)
        return self.sessions[key]


def _setting(key: str, config: dict, prep: dict, model_dir: Path) -> str:
    """What a ``predict`` user is told instead of a config key they cannot set: the training
    run's setting and, for the trials, the command-line option that replaces it."""
    section, name = key.split(".", 1)
    value = (config if section == "dataset" else prep)[section].get(name)
    kept = (f"the training run's setting {key} = {json.dumps(value)}, kept in "
            f"{Path(model_dir) / 'preprocessing.json'}")
    if key in _TRIAL_SETTINGS:
        return f"{kept}; give the recording's trials with --labels"
    return f"{kept}: predict reads a recording as the model was trained"


def _model(model_dir: Path, n_classes: int):
    if (model_dir / "model.keras").is_file():
        import keras

        from seedflow.models.layers import FillNonFinite

        model = keras.saving.load_model(model_dir / "model.keras", custom_objects={
            "seedflow>FillNonFinite": FillNonFinite})
        return lambda x: model.predict(np.asarray(x[:], dtype="float32"), verbose=0)
    if not (model_dir / "model.joblib").is_file():
        raise SeedflowError(f"{model_dir}: no model.keras or model.joblib (training "
                            f"incomplete?)")
    import joblib

    estimator = joblib.load(model_dir / "model.joblib")
    return lambda x: probabilities_of(estimator, x, n_classes)


def model_probabilities(model_dir: Path, prepared: _Prepared) -> tuple[Samples, np.ndarray]:
    """(samples, class probabilities) of one model (a base model or a stacking)."""
    model_dir = Path(model_dir)
    prep = load_preprocessing(model_dir)
    if prep["model"] == "stacking":
        return _stacking_probabilities(model_dir, prep, prepared)
    session = prepared.session(model_dir, prep)
    samples = representations.load([session], prep["representation"], prep["settings"])
    if samples.class_names != prep["class_names"]:
        raise SeedflowError(f"{session.raw}: classes {samples.class_names}, the model "
                            f"{model_dir} was trained on {prep['class_names']}")
    return samples, np.asarray(_model(model_dir, len(prep["class_names"]))(samples.x))


def _stacking_probabilities(model_dir: Path, prep: dict, prepared: _Prepared):
    import joblib

    from seedflow.stacking import meta_probabilities

    parts = {name: model_probabilities(model_dir / relative, prepared)
             for name, relative in prep["base_dirs"].items()}
    (first, (samples, _)), *rest = parts.items()
    for name, (other, _) in rest:
        if not (np.array_equal(other.trial_id, samples.trial_id)
                and np.array_equal(other.window_start, samples.window_start)):
            raise SeedflowError(f"{model_dir}: base models {first} and {name} predict "
                                f"different samples of this recording")
    stacked = np.concatenate([p for _, p in parts.values()], axis=1)
    meta = joblib.load(model_dir / "model.joblib")
    return samples, meta_probabilities(meta, stacked, len(prep["class_names"]))


def predict_recording(model_dir: Path, request: Request, out_dir: Path) -> dict:
    """Write ``windows.csv`` (one row per sample) and ``trials.csv`` under ``out_dir``."""
    class_names = load_preprocessing(model_dir)["class_names"]
    with tempfile.TemporaryDirectory(prefix="seedflow-predict-") as tmp:
        samples, probabilities = model_probabilities(model_dir, _Prepared(Path(tmp), request))
    _log_damage(request.path, samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    with _replaced(out_dir / "windows.csv") as path:
        write_predictions(path, samples, probabilities)
    with _replaced(out_dir / "trials.csv") as path:
        trials = _write_trials(path, samples, probabilities, class_names)
    log.info("%s: %d samples and %d trials predicted into %s", request.path, len(samples),
             trials, out_dir)
    return {"samples": len(samples), "trials": trials}


def _log_damage(path: Path, samples: Samples) -> None:
    """Warn of windows left out (no finite value) or imputed, naming trials left without."""
    quality, trials = samples.quality, samples.trials
    if quality is None or not (quality.left_out.any() or quality.imputed.any()):
        return
    kept = np.bincount(quality.trial_row[~quality.left_out], minlength=len(trials.keys))
    log.warning("%s: %d windows left out (no finite value), %d (window, channel) cells "
                "imputed; trials without a usable window (no prediction in trials.csv): %s",
                path, int(quality.left_out.sum()), int(quality.imputed.sum()),
                ", ".join(str(t) for t in trials.keys["trial"][kept == 0]) or "none")


@contextlib.contextmanager
def _replaced(final: Path):
    """A temporary path renamed onto ``final`` when the block succeeds."""
    tmp = final.with_name(final.name + ".tmp")
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)


def _write_trials(path: Path, samples: Samples, probabilities: np.ndarray,
                  class_names) -> int:
    """One row per trial of the recording, in its order; a trial without any sample (every
    window left out, or too short for a segment or sequence) has ``n_samples`` 0 and no
    prediction."""
    trials = samples.trials
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["subject", "session", "trial_id", "label", "predicted",
                         "predicted_class", "n_samples",
                         *[f"p{k}" for k in range(probabilities.shape[1])]])
        for key, label in zip(trials.keys, trials.label):
            rows = samples.in_trials(key[None])
            if not rows.any():
                writer.writerow([key["subject"], key["session"], int(key["trial"]),
                                 int(label), "", "", 0, *[""] * probabilities.shape[1]])
                continue
            mean = probabilities[rows].mean(axis=0)
            writer.writerow([key["subject"], key["session"], int(key["trial"]), int(label),
                             int(mean.argmax()), class_names[int(mean.argmax())],
                             int(rows.sum()), *(f"{v:.6f}" for v in mean)])
    return len(trials.keys)
