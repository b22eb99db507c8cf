"""Training checkpoints: variables and JSON metadata in one ``.npz`` file, written atomically
and validated on load, for recognition (:class:`EpochCheckpoint`) and the GANs
(:mod:`seedflow.gan_training`).

A checkpoint is only ever replaced whole (temporary file in the same folder, fsync, rename),
so a crash or a full disk while writing leaves the previous one intact. One that cannot be
read anyway (truncated, overwritten, of another architecture) is discarded with a warning
naming it, and training starts afresh.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import keras
import numpy as np

from seedflow import backend
from seedflow.atomic import replaced
from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)

FORMAT = 1  # version of the layout below; a checkpoint of another one is discarded


class CheckpointError(Exception):
    """A checkpoint that does not fit the model it should restore."""


def variable_name(variable) -> str:
    """A variable's path without Keras's per-process numbering of layer names (``dense_3``
    is ``dense``), so a checkpoint written by another process matches."""
    return re.sub(r"_\d+(?=[/_]|$)", "", variable.path)


def values(variables) -> list[np.ndarray]:
    """The variables' values, each with a first axis of replicas (see
    :func:`seedflow.backend.replica_values`)."""
    return [backend.replica_values(v) for v in variables]


def assign(variables, arrays: list[np.ndarray]) -> None:
    for variable, array in zip(variables, arrays):
        backend.assign_replica_values(variable, array)


def save(path: Path, metadata: dict, groups: dict[str, tuple[list[str], list]]) -> None:
    """Write ``metadata`` (JSON) and ``groups`` (name -> (variable names, arrays)) to ``path``
    through a temporary file in the same folder, flushed to disk, then renamed over it; a
    failed write (a full disk) leaves ``path`` as it was and stops with a
    :class:`SeedflowError` naming it."""
    names = {group: list(names) for group, (names, _) in groups.items()}
    arrays = {f"{group}.{i}": np.asarray(a) for group, (_, group_arrays) in groups.items()
              for i, a in enumerate(group_arrays)}
    try:
        with replaced(path) as tmp, open(tmp, "wb") as f:
            np.savez(f, metadata=np.array(json.dumps(
                {"format": FORMAT, **metadata, "variables": names})), **arrays)
    except OSError as error:
        raise SeedflowError(f"cannot write the checkpoint {path}: {error}") from error


def read(path: Path) -> tuple[dict, dict[str, list[np.ndarray]]]:
    """(metadata, group -> arrays) of a checkpoint; raises on any damage (the zip members'
    CRCs are checked as they are read)."""
    with np.load(path, allow_pickle=False) as saved:
        metadata = json.loads(str(saved["metadata"][()]))
        if metadata.get("format") != FORMAT:
            raise CheckpointError(f"format {metadata.get('format')}, expected {FORMAT}")
        groups = {group: [saved[f"{group}.{i}"] for i in range(len(names))]
                  for group, names in metadata["variables"].items()}
        if len(saved.files) != 1 + sum(map(len, groups.values())):
            raise CheckpointError(f"{len(saved.files)} members, metadata names "
                                  f"{sum(map(len, groups.values()))} arrays")
    return metadata, groups


def check(metadata: dict, groups: dict[str, list[np.ndarray]], group: str,
          names: list[str], variables) -> list[np.ndarray]:
    """The arrays of ``group``, after checking they match ``variables`` (named ``names``) in
    count, names, shapes (after the first axis, of one value or one per replica) and
    dtypes."""
    if group not in groups:
        raise CheckpointError(f"no '{group}' variables")
    saved, saved_names = groups[group], metadata["variables"][group]
    if len(saved) != len(variables):
        raise CheckpointError(f"{len(saved)} '{group}' variables, the model has "
                              f"{len(variables)}")
    for name, array, expected, variable in zip(saved_names, saved, names, variables):
        wanted = (expected, tuple(variable.shape), np.dtype(keras.backend.standardize_dtype(
            variable.dtype)))
        if (name, array.shape[1:], array.dtype) != wanted:
            raise CheckpointError(f"'{group}' variable {name} {array.shape[1:]} "
                                  f"{array.dtype}, the model has {wanted[0]} {wanted[1]} "
                                  f"{wanted[2]}")
        if array.ndim == 0 or array.shape[0] not in (1, backend.replica_count(variable)):
            raise CheckpointError(f"'{group}' variable {name}: {array.shape[:1]} values for "
                                  f"{backend.replica_count(variable)} replicas")
    return saved


def discard(path: Path, error: BaseException) -> None:
    """Remove an unusable checkpoint, with one warning naming it and what is wrong."""
    log.warning("discarding checkpoint %s: %s: %s", path, type(error).__name__, error)
    path.unlink(missing_ok=True)


class EpochCheckpoint(keras.callbacks.Callback):
    """After every epoch, saves to ``path`` all a resumed run needs to continue exactly as an
    uninterrupted one: every model variable (the seed-generator states of dropout included,
    which ``save_weights`` leaves out; batch-norm moving statistics, per replica where they
    differ), every optimizer variable (iterations, moments), the early-stopping state with
    its best weights, the history so far and whether early stopping ended training. The
    global random generators only seed the model's construction, which a resumed run
    repeats (and the batches' order comes from (seed, epoch): fit with ``shuffle=False``).

    Pass it after ``early_stopping`` in the callbacks: it saves what early stopping decided
    at the end of an epoch, and restores early stopping's state after early stopping
    resets it at the start of training.
    """

    def __init__(self, path: Path, early_stopping=None):
        super().__init__()
        self.path, self.early_stopping = path, early_stopping
        self.history: list[dict] = []  # one row per finished epoch
        self.stopped = False  # early stopping ended training
        self._stopping_state = None

    @property
    def next_epoch(self) -> int:
        return len(self.history)

    def _groups(self, model) -> dict[str, tuple[list[str], list]]:
        """Group -> (names, variables) of everything saved; the early-stopping best weights
        are stored under the names of the model's weights."""
        groups = {"model": model.variables, "optimizer": model.optimizer.variables}
        named = {group: ([variable_name(v) for v in variables], variables)
                 for group, variables in groups.items()}
        if self.early_stopping is not None:
            named["best"] = ([variable_name(v) for v in model.weights], model.weights)
        return named

    def restore(self, model, epochs: int) -> bool:
        """Load the checkpoint, if there is a usable one, into ``model`` (built, with its
        optimizer built) and this callback; returns whether it did."""
        if not self.path.is_file():
            return False
        try:
            metadata, groups = read(self.path)
            history, stopping = metadata["history"], metadata["early_stopping"]
            if not 0 < len(history) <= epochs or history[-1]["epoch"] != len(history) - 1:
                raise CheckpointError(f"{len(history)} epochs of history for a run of "
                                      f"{epochs} epochs")
            if (stopping is None) != (self.early_stopping is None):
                raise CheckpointError("early stopping " + ("off" if stopping is None
                                                           else "on"))
            arrays = {group: check(metadata, groups, group, names, variables)
                      for group, (names, variables) in self._groups(model).items()}
            if set(groups) != set(arrays):
                raise CheckpointError(f"groups {sorted(groups)}, expected {sorted(arrays)}")
            if any(len(a) != 1 for a in arrays.get("best", ())):
                raise CheckpointError("best weights of several replicas")
        except Exception as error:  # any damage: train afresh rather than fail or trust it
            discard(self.path, error)
            return False
        for group in ("model", "optimizer"):
            assign(self._groups(model)[group][1], arrays[group])
        self.history, self.stopped = history, bool(metadata["stopped"])
        if stopping is not None:
            self._stopping_state = {**stopping,
                                    "best_weights": [a[0] for a in arrays["best"]]}
        return True

    def on_train_begin(self, logs=None):
        if self._stopping_state is not None:
            for name, value in self._stopping_state.items():
                setattr(self.early_stopping, name, value)

    def on_epoch_end(self, epoch, logs=None):
        self.history.append({"epoch": epoch, **{k: float(logs[k]) for k in sorted(logs)}})
        self.stopped = bool(self.model.stop_training)
        groups = self._groups(self.model)
        arrays = {group: (names, values(variables)) for group, (names, variables)
                  in groups.items() if group != "best"}
        stopping = None
        if self.early_stopping is not None:
            es = self.early_stopping
            stopping = {"wait": es.wait, "best": None if es.best is None else float(es.best),
                        "best_epoch": es.best_epoch, "stopped_epoch": es.stopped_epoch}
            arrays["best"] = (groups["best"][0], [w[None] for w in es.best_weights])
        save(self.path, {"history": self.history, "stopped": self.stopped,
                         "early_stopping": stopping}, arrays)
