"""Config validation, the dataset's subject × session table, the stages' specs and path
helpers. Each rule's params hold its stage's spec (built from the config by the spec's
from_config, as the plain dict of seedflow.config.as_param: Snakemake compares only params
of builtin types) and values derived from wildcards, never resources, schedulers or cluster
settings, so a job reruns when, and only when, what it computes would change."""

import os
from pathlib import Path

from seedflow import config as seedflow_config
from seedflow import datasets
from seedflow import keras_backend
from seedflow import models as seedflow_models
from seedflow import planning
from seedflow import presets
from seedflow.config import as_param
from seedflow.errors import SeedflowError
from seedflow.recognition import protocols

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
try:
    seedflow_config.validate(config, SCHEMA)
    # recognition.preset fills its keys over the defaults, under the user's own config files
    # (--configfile, --config), which Snakemake keeps apart from config/config.yaml.
    presets.apply(config, workflow.config_settings.overwrite_config)
    seedflow_config.validate(config, SCHEMA)
    keras_backend.check(config)
    RECORDINGS = {(r.subject, r.session): r for r in datasets.recordings(config)}
    FOLDS = {
        p: {f.name: f for f in protocols.folds(list(RECORDINGS),
                                               protocols.ProtocolSpec.from_config(config, p))}
        for p in config["recognition"]["protocols"]
    }
    # What the config and the files' headers tell is checked by the process that plans the
    # jobs; job processes (cluster jobs parse this file again) run only checked plans.
    MONTAGE = {}
    if workflow.is_main_process:
        HEADERS = planning.headers(config, list(RECORDINGS.values()))
        MONTAGE["run"] = planning.montage(config, HEADERS)
        planning.check(config, HEADERS, MONTAGE["run"])
except SeedflowError as err:
    raise WorkflowError(presets.explain(str(err), config)) from None

RESULTS = Path(config["results"])
SUBJECTS = sorted({s for s, _ in RECORDINGS}, key=lambda s: (len(s), s))
FOLD_FILES = (
    "history.csv",
    "predictions.csv",
    "validation_predictions.csv",
    "metrics.json",
    "preprocessing.json",
)
KERAS_CACHE = str(RESULTS / "cache")  # compiled train steps, reused between jobs (JAX)
KERAS_MODELS = [n for n in seedflow_models.NAMES if seedflow_models.spec(n).kind == "keras"]
SKLEARN_MODELS = [n for n in seedflow_models.NAMES if seedflow_models.spec(n).kind == "sklearn"]


wildcard_constraints:
    subject=r"[^/]+",
    session=r"[^/]+",
    model=r"[a-z0-9_]+",
    protocol=r"[a-z_]+",


def sessions_of(subject):
    """Session labels of one subject, in recording order."""
    return [k for s, k in RECORDINGS if s == subject]


def ingest_store(subject, session):
    return RESULTS / "ingest" / f"sub-{subject}" / f"ses-{session}.zarr"


def feature_store(subject, session):
    return RESULTS / "features" / f"sub-{subject}" / f"ses-{session}.zarr"


def run_channels():
    """The channels every store holds, chosen at planning for kinds that choose them (the
    other kinds' readers store a fixed set: None). A cluster job's process, which skips
    planning, reads the recordings' headers again."""
    if not datasets.kind_of(config).chooses_channels:
        return None
    if "run" not in MONTAGE:
        headers = planning.headers(config, list(RECORDINGS.values()))
        MONTAGE["run"] = planning.montage(config, headers)
    return list(MONTAGE["run"].channels)


def recording_inputs(wildcards):
    """Source files of one subject × session (recording and label file)."""
    recording = RECORDINGS[(wildcards.subject, wildcards.session)]
    return {"recording": recording.path, "labels": recording.extra_inputs}


def folds(protocol):
    """Fold names of a protocol (see seedflow.recognition.protocols)."""
    return list(FOLDS[protocol])


def fold_inputs(wildcards):
    """Feature stores a fold reads, and ingest stores for models on raw windows."""
    fold = FOLDS[wildcards.protocol][wildcards.fold]
    raw = seedflow_models.spec(wildcards.model).representation == "raw"
    return {
        "features": [feature_store(s, k) for s, k in fold.sessions],
        "ingest": [ingest_store(s, k) for s, k in fold.sessions] if raw else [],
    }


def stacking_inputs(wildcards):
    """The base models' test and validation predictions of the same fold."""
    return [
        fold_dir(m, wildcards.protocol, wildcards.fold) / name
        for m in config["recognition"]["stacking"]
        for name in ("predictions.csv", "validation_predictions.csv", "metrics.json")
    ]


def fold_dir(model, protocol, fold):
    return RESULTS / "models" / model / protocol / fold


def all_fold_outputs(name):
    return [
        fold_dir(m, p, f) / name
        for m in config["recognition"]["models"]
        for p in config["recognition"]["protocols"]
        for f in folds(p)
    ]


def subject_fold_dirs(subject):
    """Fold folders whose test data are this subject's (subject-dependent and LOSO)."""
    return [
        fold_dir(m, p, f)
        for m in config["recognition"]["models"]
        for p in config["recognition"]["protocols"]
        for f in folds(p)
        if f == f"sub-{subject}" or f.startswith(f"sub-{subject}_")
    ]


# Cluster resources (config `cluster`): read by executors such as SLURM, ignored locally.
CLUSTER = config["cluster"]


def input_mb(input):
    """Size of a job's inputs in MB, folders (Zarr stores) included; 0 before they exist."""
    total = 0
    for path in map(Path, input):
        files = path.rglob("*") if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total / 2**20


def io_mem_mb(wildcards, input, attempt):
    """Memory of an ingest/features job: proportional to its input, doubled on each retry."""
    need = max(CLUSTER["min_mem_mb"], CLUSTER["mem_mb_per_input_mb"] * input_mb(input))
    return int(need) * attempt


def io_runtime(wildcards, input, attempt):
    """Time limit (minutes) of an ingest/features job from its input size."""
    minutes = CLUSTER["min_runtime"] + CLUSTER["minutes_per_input_gb"] * input_mb(input) / 1024
    return int(minutes) * attempt


def partition(kind):
    """SLURM partition of CPU or GPU jobs ("" = the site's default)."""
    if kind == "gpu":
        return CLUSTER["gpu_partition"] or CLUSTER["partition"] or ""
    return CLUSTER["partition"] or ""


GPU_RESOURCES = dict(
    gpu=CLUSTER["gpus"],
    gpu_model=CLUSTER["gpu_model"] or "",
    cpus_per_gpu=CLUSTER["cpus_per_gpu"],
    slurm_partition=partition("gpu"),
    mem_mb=CLUSTER["train_mem_mb"],
    runtime=CLUSTER["train_runtime"],
)


# Where envs/seedflow.post-deploy.sh installs the seedflow package from (conda deployment).
os.environ.update(SEEDFLOW_SOURCE=str(workflow.basedir))
