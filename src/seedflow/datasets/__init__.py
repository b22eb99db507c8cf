"""The registry of dataset kinds, and which recordings a configured dataset has.

Every module of this package that defines a dataset kind holds one ``KIND``
(:class:`seedflow.datasets.base.Kind`: file types, discovery, reader, headers, simulator);
:func:`kinds` collects them, so no list of kinds is written anywhere else (the config
schema's enums are checked against it by a test). ``dataset.kind: simulated`` reads the
files that the simulator of ``simulation.layout`` writes, so its file list comes from the
config alone (nothing is read).
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import logging
import os
import pkgutil
from pathlib import Path

from seedflow.datasets.base import Kind, ReaderSpec, Recording, SessionSource
from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)

SIMULATED = "simulated"  # dataset.kind of the simulated dataset


@functools.cache
def kinds() -> dict[str, Kind]:
    """Name -> kind, for every module of this package that defines a ``KIND``."""
    found = {}
    for module in pkgutil.iter_modules(__path__):
        kind = getattr(importlib.import_module(f"{__name__}.{module.name}"), "KIND", None)
        if kind is not None:
            found[kind.name] = kind
    return dict(sorted(found.items()))


def simulated_kinds() -> dict[str, Kind]:
    """The kinds whose layout the simulator writes (``simulation.layout``)."""
    return {name: kind for name, kind in kinds().items() if kind.simulator}


def kind(name: str) -> Kind:
    """The kind called ``name``."""
    if name not in kinds():
        raise SeedflowError(f"config key dataset.kind: unknown kind '{name}' (known: "
                            f"{', '.join([SIMULATED, *kinds()])})")
    return kinds()[name]


def kind_of(config: dict) -> Kind:
    """The kind whose reader reads the run's files (simulated: ``simulation.layout``)."""
    if config["dataset"]["kind"] == SIMULATED:
        return simulated_kinds()[config["simulation"]["layout"]]
    return kind(config["dataset"]["kind"])


def simulated(config: dict) -> bool:
    return config["dataset"]["kind"] == SIMULATED


def dataset_root(config: dict) -> Path:
    root = config["dataset"]["root"]
    if root:
        return Path(root)
    if simulated(config):
        return Path(config["results"]) / "simulated"
    raise SeedflowError(f"config key dataset.root: required for dataset.kind "
                        f"'{config['dataset']['kind']}'")


def official_features(config: dict) -> bool:
    """Whether SEED's official features replace the feature stage (``dataset.features``)."""
    if config["dataset"]["features"] == "computed":
        return False
    found = kind_of(config)
    if not found.official_features:
        raise SeedflowError("config key dataset.features: 'official' needs SEED's layout "
                            "(dataset.kind seed, or simulated with simulation.layout seed), "
                            f"not '{found.name}'")
    return True


def recordings(config: dict) -> list[Recording]:
    """Every subject × session, sorted by subject then session."""
    official = official_features(config)  # checked before any file is listed
    found = _recordings(config)
    if not official:
        return found
    from seedflow.datasets import seed

    if not simulated(config):  # simulated files are written by the workflow
        seed.check_features_present([r.path for r in found])
    return [Recording(r.subject, r.session, r.path, r.extra_inputs,
                      seed.feature_file(r.path)) for r in found]


def _recordings(config: dict) -> list[Recording]:
    root = dataset_root(config)
    exclude = Exclusion(root, config["dataset"]["exclude"])
    found = kind_of(config)
    if simulated(config):
        if exclude.patterns:
            raise SeedflowError("config key dataset.exclude: the simulated dataset is written "
                                "by the workflow; there is nothing to leave out")
        from seedflow.simulate.signal import SimulationSpec

        simulator, spec = found.simulation(), SimulationSpec.from_config(config)
        extra = tuple(root / rel for rel in simulator.shared_files())
        return [Recording(s, k, root / rel, extra) for s, k, rel in simulator.recordings(spec)]
    listed = found.discover(root, config["dataset"], exclude)
    for pattern in exclude.unused():
        log.warning("config key dataset.exclude: %r leaves out no file under %s", pattern,
                    root)
    return listed


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


def reader_record(config: dict, relative_to: Path) -> dict:
    """What ``seedflow predict`` needs to read a recording as this run does: the
    :class:`ReaderSpec`, and the dataset folder and files its reader takes (a trial table)
    relative to the folder ``relative_to`` (a trained model's), so a run's outputs do not
    depend on where it ran and a results folder holding its simulated data can move."""
    def relative(path) -> str:
        return os.path.relpath(Path(path).resolve(), Path(relative_to).resolve())

    spec, root = ReaderSpec.from_config(config), dataset_root(config)
    paths = (kind_of(config).simulation().paths(root) if simulated(config)
             else {"trial_table": config["dataset"]["trial_table"]})
    return {"kind": spec.kind, "settings": spec.settings,
            "simulated": None if spec.simulated is None else vars(spec.simulated),
            "root": relative(root),
            **{key: relative(path) for key, path in paths.items() if path}}


def open_source(reader: ReaderSpec, recording: Recording,
                run_channels: list[str] | None = None) -> SessionSource:
    """Open one recording for streaming ingest (``run_channels``: the run's channels, which
    planning chose for kinds that choose them; the others' readers store a fixed set)."""
    return kind(reader.kind).open(reader, recording, run_channels)
