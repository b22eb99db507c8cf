"""Predictions of a trained model for a new recording, prepared exactly as in training.

The recording is opened by the reader of the training run's dataset kind (or another kind
given with ``--kind``), with the training run's reader settings, and goes through the same
ingest and feature stages (the chunk length, and the feature spec with its preprocessing
and smoothing), all kept in the model's ``preprocessing.json``
(:class:`seedflow.recognition.preparation.Preparation`), into a temporary folder. The model
then predicts every window (or segment/sequence); a stacking meta-model predicts from its
base models' probabilities, each base model fed as it was trained. Per trial: the class
with the highest mean probability over the trial's samples.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedflow import datasets
from seedflow.atomic import replaced
from seedflow.channels import normalise
from seedflow.datasets.base import ReaderSpec, Recording, SessionSource, SimulatedFacts
from seedflow.errors import DatasetError, SeedflowError
from seedflow.features import extraction
from seedflow.features.spec import FeatureSpec
from seedflow.recognition import representations
from seedflow.recognition.predictions import probabilities_of, write_predictions
from seedflow.recognition.representations import RepresentationSpec, Samples
from seedflow.stores import ingest

log = logging.getLogger(__name__)

# Settings of the training run that decide a recording's trials, which --labels replaces.
_TRIAL_SETTINGS = ("dataset.event_labels", "dataset.trial_seconds", "dataset.stim_channel",
                   "dataset.allow_overlap")
_PATHS = ("root", "trial_table")  # the reader record's paths, relative to the model folder


@dataclass(frozen=True)
class Request:
    """The recording to predict and what the command line says about it."""

    path: Path
    labels: Path | None = None    # label.mat, trial table TSV or BIDS events TSV
    kind: str | None = None       # dataset kind of the recording if not the training one
    subject: str | None = None
    session: str | None = None


def load_preparation(model_dir: Path) -> dict:
    """The model folder's ``preprocessing.json``, checked for what prediction needs."""
    path = Path(model_dir) / "preprocessing.json"
    if not Path(model_dir).is_dir():
        raise SeedflowError(f"{model_dir}: model folder not found")
    if not path.is_file():
        raise SeedflowError(f"{model_dir}: not a trained model folder (no preprocessing.json)")
    prep = json.loads(path.read_text())
    needed = ("base_dirs",) if prep.get("model") == "stacking" else (
        "reader", "ingest", "features", "representation", "ch_names", "sfreq")
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


@dataclass(frozen=True)
class Reading:
    """How predict reads the recording: the reader, its settings with the training run's
    paths (absolute), and where the training run's recordings are (its root)."""

    reader: ReaderSpec
    dataset: dict   # the reader's settings and paths, as config section ``dataset``

    @property
    def kind(self):
        return datasets.kind(self.reader.kind)


def reading(prep: dict, model_dir: Path, kind: str | None = None,
            labels: Path | None = None) -> Reading:
    """The training run's reader (paths in ``preprocessing.json`` are relative to the
    model folder; ``labels``, the trials given on the command line, replace the training
    run's stim channel; the channels are those the model was trained on). With ``kind``,
    the recording is read by that kind's reader, with the training run's settings: those
    it does not record stop with one error, but for a MATLAB recording's rate, which is
    the model's."""
    record = prep["reader"]
    settings = dict(record["settings"])
    paths = {key: os.path.normpath(Path(model_dir).resolve() / record[key])
             for key in _PATHS if record.get(key)}
    simulated = SimulatedFacts(**record["simulated"]) if record["simulated"] else None
    name = record["kind"]
    if kind is not None:
        if kind not in datasets.kinds():
            raise SeedflowError(f"--kind {kind}: unknown dataset kind (known: "
                                f"{', '.join(datasets.kinds())})")
        name, simulated = kind, None
        wanted = datasets.kind(kind).reader_keys
        given = {"sfreq": float(prep["sfreq"]), "channels": None,
                 **({"stim_channel": None} if labels is not None else {}), **settings}
        missing = [key for key in wanted if key not in given]
        if missing:
            raise SeedflowError(f"--kind {kind}: the training run (dataset kind "
                                f"{record['kind']}) recorded no "
                                f"{', '.join(f'dataset.{k}' for k in missing)}, which the "
                                f"{kind} reader needs ({Path(model_dir) / 'preprocessing.json'})")
        settings = {key: given[key] for key in wanted}
    if labels is not None and "stim_channel" in settings:
        settings["stim_channel"] = None
    if "channels" in settings and settings["channels"] is None:
        settings["channels"] = list(prep["ch_names"])  # the channels trained on
    return Reading(ReaderSpec(name, settings, simulated), {**settings, **paths})


def _listed(read: Reading, path: Path) -> Recording | None:
    """The recording as the training run's dataset lists it, if the file is one (and only
    one: not DREAMER.mat, which holds every subject) of the recordings under its root."""
    if "root" not in read.dataset:
        return None
    root = Path(read.dataset["root"])
    if not path.resolve().is_relative_to(root.resolve()):
        return None
    try:
        listing = read.kind.discover(root, {"trial_table": None, **read.dataset},
                                     datasets.Exclusion(root, []))
    except DatasetError:  # e.g. files the run left out by dataset.exclude, which a model's
        return None       # settings do not keep: the file name then tells who it is
    found = [r for r in listing if Path(r.path).resolve() == path.resolve()]
    return found[0] if len(found) == 1 else None


def _identity(read: Reading, path: Path, request: Request) -> tuple[str, str]:
    """(subject, session) from the command line, else from the file name as the kind's
    reader names them."""
    found = read.kind.identify(path)
    subject = request.subject or (found[0] if found else None)
    session = request.session or (found[1] if found else "1")
    if subject is None and read.kind.holds_every_subject:
        raise SeedflowError(f"{path}: {path.name} holds every subject: give --subject")
    return subject or path.stem, session


def check_format(path: Path, name: str) -> None:
    """The recording exists and is a file type of dataset kind ``name`` (checked before the
    kind's settings, so a recording of another kind is told as such)."""
    if not path.is_file():
        raise SeedflowError(f"{path}: recording not found")
    kind = datasets.kinds().get(name)  # an unknown --kind: see reading()
    if kind is not None and path.suffix.lower() not in kind.suffixes:
        raise SeedflowError(f"{path}: unsupported recording format '{path.suffix}' for "
                            f"dataset kind '{kind.name}' (expected "
                            f"{', '.join(kind.suffixes)}; a recording of another kind: "
                            f"--kind)")


def open_recording(read: Reading, request: Request) -> tuple[Recording, SessionSource]:
    """Open the recording (see :func:`check_format`) with the reader of the training run
    (or ``--kind``)."""
    path = Path(request.path)
    kind = read.kind
    listed = None if (request.kind or request.labels or request.subject
                      or request.session) else _listed(read, path)
    if listed is None:
        if request.labels is not None and not request.labels.is_file():
            raise SeedflowError(f"{request.labels}: file not found")
        subject, session = _identity(read, path, request)
        listed = Recording(subject, session, path,
                           kind.predict_inputs(path, request.labels, read.dataset))
    return listed, datasets.open_source(read.reader, listed)


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
    """The recording's ingest and feature stores, made once per distinct preparation."""

    def __init__(self, folder: Path, request: Request):
        self.folder, self.request, self.sessions = folder, request, {}

    def session(self, model_dir: Path, prep: dict) -> representations.Session:
        check_format(Path(self.request.path), self.request.kind or prep["reader"]["kind"])
        read = reading(prep, model_dir, self.request.kind, self.request.labels)
        key = json.dumps([repr(read), prep["ingest"], prep["features"]], sort_keys=True)
        if key not in self.sessions:
            folder = self.folder / str(len(self.sessions))
            raw, feats = folder / "ingest.zarr", folder / "features.zarr"
            spec = FeatureSpec.from_record(prep["features"])
            try:
                recording, source = open_recording(read, self.request)
                check_matches(source, prep)
                ingest.write(source, raw, chunk_seconds=prep["ingest"]["chunk_seconds"],
                             min_trial_seconds=spec.window_seconds,
                             attrs={"subject": recording.subject,
                                    "session": recording.session, "dataset": read.kind.name})
            except DatasetError as err:
                if err.key is None:
                    raise
                raise SeedflowError(f"{err.path}: {err.problem} "
                                    f"({_setting(err.key, read, prep, model_dir)})") from err
            extraction.extract(ingest=raw, out=feats, spec=spec)
            self.sessions[key] = representations.Session(recording.subject,
                                                         recording.session, feats, raw)
        return self.sessions[key]


def _setting(key: str, read: Reading, prep: dict, model_dir: Path) -> str:
    """What a ``predict`` user is told instead of a config key they cannot set: the training
    run's setting and, for the trials, the command-line option that replaces it."""
    section, name = key.split(".", 1)
    value = (read.dataset if section == "dataset" else prep[section]).get(name)
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
    prep = load_preparation(model_dir)
    if prep["model"] == "stacking":
        return _stacking_probabilities(model_dir, prep, prepared)
    session = prepared.session(model_dir, prep)
    samples = representations.load([session], RepresentationSpec(**prep["representation"]))
    if samples.class_names != prep["class_names"]:
        raise SeedflowError(f"{session.ingest}: classes {samples.class_names}, the model "
                            f"{model_dir} was trained on {prep['class_names']}")
    return samples, np.asarray(_model(model_dir, len(prep["class_names"]))(samples.x))


def _stacking_probabilities(model_dir: Path, prep: dict, prepared: _Prepared):
    import joblib

    from seedflow.recognition.stacking import meta_probabilities

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


def predict_recording(*, model_dir: Path, request: Request, out_dir: Path) -> dict:
    """Write ``windows.csv`` (one row per sample) and ``trials.csv`` under ``out_dir``."""
    class_names = load_preparation(model_dir)["class_names"]
    with tempfile.TemporaryDirectory(prefix="seedflow-predict-") as tmp:
        samples, probabilities = model_probabilities(model_dir, _Prepared(Path(tmp), request))
    _log_damage(request.path, samples)
    out_dir.mkdir(parents=True, exist_ok=True)
    with replaced(out_dir / "windows.csv") as path:
        write_predictions(path, samples, probabilities)
    with replaced(out_dir / "trials.csv") as path:
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
