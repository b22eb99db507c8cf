"""Which recordings a configured dataset has, and how to open one of them.

``dataset.kind`` selects the layout and its reader (one module per layout in
:mod:`seedflow.io`); ``simulated`` is the layout named by ``simulation.layout`` written by the
``simulate`` rules, so its file list comes from the config alone (nothing is read).
"""

from __future__ import annotations

import fnmatch
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from seedflow import simulate_layouts
from seedflow.errors import SeedflowError
from seedflow.io import dreamer, mne_raw, seed, seed_features, seed_iv, seed_v, trial_table
from seedflow.io.base import SessionHeader, SessionSource

log = logging.getLogger(__name__)

KINDS = ("simulated", "seed", "seed-iv", "seed-v", "seed-ger", "seed-fra", "dreamer", "mne")
_CNT_KINDS = ("seed-v", "seed-ger", "seed-fra")


@dataclass(frozen=True)
class Recording:
    """One subject × session of a dataset and the files it is read from (``feature_file``:
    SEED's official features of the session, when ``dataset.features`` is ``official``)."""

    subject: str
    session: str
    path: Path
    extra_inputs: tuple[Path, ...] = ()
    feature_file: Path | None = None


def dataset_root(config: dict) -> Path:
    root = config["dataset"].get("root")
    if root:
        return Path(root)
    if config["dataset"]["kind"] == "simulated":
        return Path(config["results"]) / "simulated"
    raise SeedflowError(f"config key dataset.root: required for dataset.kind "
                        f"'{config['dataset']['kind']}'")


def layout(config: dict) -> str:
    """The on-disk layout to read: the kind, or the simulated layout."""
    kind = config["dataset"]["kind"]
    if kind not in KINDS:
        raise SeedflowError(f"config key dataset.kind: unknown kind '{kind}' "
                            f"(known: {', '.join(KINDS)})")
    return simulate_layouts.layout_of(config["simulation"]) if kind == "simulated" else kind


def _trial_table_path(config: dict, required: bool) -> Path | None:
    path = config["dataset"].get("trial_table")
    if path is None and required:
        raise SeedflowError(f"config key dataset.trial_table: required for dataset.kind "
                            f"'{config['dataset']['kind']}' (TSV: session, trial, start_s, "
                            "end_s, label); trial lists are never guessed")
    return Path(path) if path else None


def official_features(config: dict) -> bool:
    """Whether SEED's official features replace the feature stage (``dataset.features``)."""
    if config["dataset"].get("features", "computed") == "computed":
        return False
    if layout(config) != "seed":
        raise SeedflowError("config key dataset.features: 'official' needs SEED's layout "
                            "(dataset.kind seed, or simulated with simulation.layout seed), "
                            f"not '{layout(config)}'")
    return True


def recordings(config: dict) -> list[Recording]:
    """Every subject × session, sorted by subject then session."""
    official = official_features(config)
    found = _recordings(config)
    if not official:
        return found
    if config["dataset"]["kind"] != "simulated":  # simulated files are written by the workflow
        seed_features.check_present([r.path for r in found])
    return [Recording(r.subject, r.session, r.path, r.extra_inputs,
                      seed_features.feature_file(r.path)) for r in found]


def _recordings(config: dict) -> list[Recording]:
    kind, name = config["dataset"]["kind"], layout(config)
    root = dataset_root(config)
    exclude = Exclusion(root, config["dataset"].get("exclude") or [])
    if kind == "simulated":
        if exclude.patterns:
            raise SeedflowError("config key dataset.exclude: the simulated dataset is written "
                                "by the workflow; there is nothing to leave out")
        section = config["simulation"]
        extra = tuple(root / rel for rel in simulate_layouts.shared_files(section))
        return [Recording(s, k, root / rel, extra)
                for s, k, rel in simulate_layouts.recordings(section)]
    if name == "seed":
        labels = (root / "Preprocessed_EEG" / seed.LABEL_FILE,)
        found = [Recording(s, k, p, labels) for s, k, p in seed.discover(root, exclude)]
    elif name == "seed-iv":
        found = [Recording(s, k, p) for s, k, p in seed_iv.discover(root, exclude)]
    elif name in _CNT_KINDS:
        table = _trial_table_path(config, required=name != "seed-v")
        folder = root / seed_v.FOLDER if name == "seed-v" else root
        extra = (table,) if table else ()
        found = [Recording(s, k, p, extra) for s, k, p in seed_v.discover(folder, exclude)]
    elif name == "dreamer":
        found = [Recording(s, k, p)
                 for s, k, p in dreamer.discover(root, excluded=exclude)]
    else:  # kind "mne"
        found = [Recording(s, k, p, tuple(e for e in [mne_raw.events_file(p)] if e))
                 for s, k, p in mne_raw.discover(root, exclude)]
    for pattern in exclude.unused():
        log.warning("config key dataset.exclude: %r leaves out no file under %s", pattern,
                    root)
    return found


class Exclusion:
    """Config key ``dataset.exclude``: shell-style patterns (:func:`fnmatch.fnmatchcase`, so
    ``*`` also crosses ``/``) of paths relative to the dataset root; a file they match is
    no recording, and is logged."""

    def __init__(self, root: Path, patterns: list[str]):
        self.root = Path(root)
        self.patterns = [p.removeprefix("./") for p in patterns]
        self._used: set[str] = set()

    def __call__(self, path: Path) -> bool:
        relative = Path(path).relative_to(self.root).as_posix()
        hits = [p for p in self.patterns if fnmatch.fnmatchcase(relative, p)]
        if hits:
            self._used.update(hits)
            log.warning("dataset.exclude: leaving out %s (matches %r)", path, hits[0])
        return bool(hits)

    def unused(self) -> list[str]:
        return [p for p in self.patterns if p not in self._used]


# Keys of the dataset section that choose which files are recordings or only check the
# plan, not how one is read: kept out of the settings a job's outputs depend on, so
# changing them reruns no job.
LISTING_KEYS = ("exclude", "min_channels")


def reader_dataset(config: dict) -> dict:
    """The ``dataset`` section without :data:`LISTING_KEYS`."""
    return {k: v for k, v in config["dataset"].items() if k not in LISTING_KEYS}


def reader_settings(config: dict, relative_to: Path) -> dict:
    """The ``dataset`` and ``simulation`` sections, paths relative to the folder
    ``relative_to`` (a trained model's): what :func:`open_source` needs to read a recording
    as this run does. Relative, so a run's outputs do not depend on where it ran and a
    results folder holding its simulated data can move."""
    def relative(path) -> str:
        return os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())

    dataset = {**reader_dataset(config), "root": relative(dataset_root(config))}
    if dataset.get("trial_table"):
        dataset["trial_table"] = relative(dataset["trial_table"])
    return {"dataset": dataset, "simulation": config["simulation"]}


def cnt_data_format(dataset: dict, layout_name: str) -> str:
    """Sample size of Neuroscan CNT files: ``dataset.cnt_data_format``, or where it is null,
    int32 for the SEED-family amplifiers (seed-v, seed-ger, seed-fra) and MNE's inference
    (``auto``) for the ``mne`` kind."""
    chosen = dataset.get("cnt_data_format")
    if chosen is not None:
        return chosen
    return "int32" if layout_name in _CNT_KINDS else "auto"


def header(config: dict, recording: Recording) -> SessionHeader:
    """What one recording's headers say (no samples are read); for the ``mne`` kind its
    channels are not chosen yet (planning chooses the run's, see
    :func:`seedflow.planning.montage`)."""
    if layout(config) != "mne":
        return open_source(config, recording).header
    ds = config["dataset"]
    return mne_raw.read_header(recording.path, event_labels=ds.get("event_labels") or {},
                               events_path=(recording.extra_inputs or [None])[0],
                               stim_channel=ds.get("stim_channel"),
                               trial_seconds=ds.get("trial_seconds"),
                               allow_overlap=ds.get("allow_overlap", False),
                               cnt_data_format=cnt_data_format(ds, "mne"),
                               accept_warnings=ds.get("accept_warnings", []))


def open_source(config: dict, recording: Recording,
                run_channels: list[str] | None = None) -> SessionSource:
    """Open one recording for streaming ingest (``run_channels``: the run's channels, which
    planning chose for the ``mne`` kind; the other kinds' readers store a fixed set)."""
    ds, name = config["dataset"], layout(config)
    simulated = ds["kind"] == "simulated"
    spec = simulate_layouts.spec_of(config["simulation"]) if simulated else None
    sfreq = spec.sfreq if simulated else ds.get("sfreq", 200.0)
    if name == "seed":
        return seed.open_session(recording.path, recording.extra_inputs[0], sfreq=sfreq)
    if name == "seed-iv":
        return seed_iv.open_session(recording.path, recording.session, sfreq=sfreq,
                                    n_trials=spec.trials_per_session if simulated else None)
    cnt_format = cnt_data_format(ds, name)
    accept = ds.get("accept_warnings", [])
    if name in _CNT_KINDS:
        if recording.extra_inputs:
            table_path = recording.extra_inputs[0]
            table = trial_table.read(table_path)
        else:
            table_path, table = "SEED-V's published trial table", seed_v.published_table()
        classes = seed_v.SEED_V_CLASSES if name == "seed-v" else seed.SEED_CLASSES
        expected = spec.sfreq if simulated else (seed_v.SEED_V_SFREQ if name == "seed-v"
                                                 else None)
        return seed_v.open_session(recording.path, recording.subject, recording.session,
                                   table=table, table_source=table_path, classes=classes,
                                   expected_sfreq=expected,
                                   reference=ds.get("reference", "none"),
                                   allow_overlap=ds.get("allow_overlap", False),
                                   cnt_data_format=cnt_format, accept_warnings=accept)
    if name == "dreamer":
        return dreamer.open_session(recording.path, recording.subject,
                                    target=ds.get("target", "valence"),
                                    levels=ds.get("levels", 2),
                                    expected_sfreq=spec.sfreq if simulated
                                    else dreamer.DREAMER_SFREQ)
    return mne_raw.open_session(recording.path, event_labels=ds.get("event_labels") or {},
                                channels=ds.get("channels"), run_channels=run_channels,
                                events_path=(recording.extra_inputs or [None])[0],
                                stim_channel=ds.get("stim_channel"),
                                trial_seconds=ds.get("trial_seconds"),
                                allow_overlap=ds.get("allow_overlap", False),
                                cnt_data_format=cnt_format, accept_warnings=accept)
