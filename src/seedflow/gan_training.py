"""The GAN training loop: epochs of :class:`seedflow.gan.WGANGP` steps on one or more devices,
a checkpoint after every epoch, and exact resumption after a kill.

Multi-device training is data parallel, as in recognition: a ``tf.distribute.MirroredStrategy``
under TensorFlow (networks and optimizers built inside its scope), a
``keras.distribution.DataParallel`` under JAX (variables replicated, batches sharded).
Each epoch's shuffling and random step inputs come from ``numpy`` seeded with
``(seed, epoch)``, so an epoch run after a resume is the epoch an uninterrupted run makes.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path

import keras
import numpy as np

from seedflow import backend, checkpoints
from seedflow.errors import SeedflowError
from seedflow.gan import METRICS, WGANGP

log = logging.getLogger(__name__)


class Devices:
    """The devices a GAN trains on and the scope to build it in."""

    def __init__(self, n: int):
        self.n = n
        self.backend = keras.backend.backend()
        self.strategy = self.distribution = None
        if self.backend not in ("tensorflow", "jax"):
            raise SeedflowError(f"the GAN trains under TensorFlow or JAX, not the "
                                f"'{self.backend}' Keras backend (set KERAS_BACKEND)")
        _, available = backend.visible_devices()
        if n > len(available):
            raise SeedflowError(f"config key synthesis.devices: {n} requested, "
                                f"{len(available)} visible")
        if self.backend == "tensorflow":
            import tensorflow as tf

            self.strategy = (tf.distribute.MirroredStrategy(available[:n])
                             if n > 1 else tf.distribute.get_strategy())
        elif n > 1:
            self.distribution = keras.distribution.DataParallel(devices=available[:n])

    def scope(self):
        if self.strategy is not None:
            return self.strategy.scope()
        if self.distribution is not None:
            return self.distribution.scope()
        return contextlib.nullcontext()


def _epoch_arrays(trainer: WGANGP, x, y, batch: int, seed: int, epoch: int):
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(x))[: len(x) // batch * batch]
    noise, alpha = trainer.step_inputs(len(order), rng)
    return x[order], y[order], noise, alpha


def _tf_epochs(trainer, devices, x, y, batch, seed, epochs, on_epoch_end):
    import tensorflow as tf

    strategy = devices.strategy

    @tf.function
    def step(inputs):
        logs = strategy.run(trainer.tf_step, args=inputs)
        return {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None)
                for k, v in logs.items()}

    for epoch in epochs:
        arrays = _epoch_arrays(trainer, x, y, batch, seed, epoch)
        dataset = tf.data.Dataset.from_tensor_slices(arrays).batch(batch, drop_remainder=True)
        logs = [step(b) for b in strategy.experimental_distribute_dataset(dataset)]
        on_epoch_end(epoch, logs)


def _jax_epochs(trainer, devices, x, y, batch, seed, epochs, on_epoch_end):
    import jax

    step = jax.jit(trainer.jax_step)
    state = trainer.jax_state()
    distribution = devices.distribution

    def place(array):
        if distribution is None:
            return array
        return keras.distribution.distribute_tensor(
            array, distribution.get_data_layout(array.shape))

    for epoch in epochs:
        arrays = _epoch_arrays(trainer, x, y, batch, seed, epoch)
        logs = []
        for start in range(0, len(arrays[0]), batch):
            state, out = step(state, *(place(a[start:start + batch]) for a in arrays))
            logs.append(out)
        trainer.set_jax_state(state)
        on_epoch_end(epoch, logs)


def _save_checkpoint(path: Path, trainer: WGANGP, epoch: int, history: list,
                     fingerprint: str) -> None:
    """All weights and optimizer slots after ``epoch``, replacing ``path`` atomically."""
    variables = trainer.variables()
    checkpoints.save(path, {"epoch": epoch, "history": history, "fingerprint": fingerprint},
                     {"variables": ([checkpoints.variable_name(v) for v in variables],
                                    checkpoints.values(variables))})


def _load_checkpoint(path: Path, trainer: WGANGP, fingerprint: str, epochs: int):
    """(next epoch, history) from a checkpoint of an earlier epoch of the same run, or None
    to start afresh; a damaged one is discarded with a warning naming it."""
    if not path.is_file():
        return None
    variables = trainer.variables()
    try:
        metadata, groups = checkpoints.read(path)
        epoch, history = int(metadata["epoch"]), metadata["history"]
        if metadata["fingerprint"] != fingerprint or epoch >= epochs:
            log.warning("%s: checkpoint of other data, settings or more epochs: starting "
                        "afresh", path)
            return None
        if len(history) != epoch + 1:
            raise checkpoints.CheckpointError(f"{len(history)} epochs of history after "
                                              f"epoch {epoch + 1}")
        arrays = checkpoints.check(metadata, groups, "variables",
                                   [checkpoints.variable_name(v) for v in variables],
                                   variables)
    except Exception as error:  # any damage: train afresh rather than fail or trust it
        checkpoints.discard(path, error)
        return None
    checkpoints.assign(variables, arrays)
    log.info("resuming from %s after epoch %d", path, epoch + 1)
    return epoch + 1, history


def train(trainer: WGANGP, devices: Devices, x: np.ndarray, y: np.ndarray, *, epochs: int,
          batch_size: int, seed: int, checkpoint: Path, fingerprint: str) -> list[dict]:
    """Train for ``epochs`` (resuming from ``checkpoint`` if it holds an earlier epoch of the
    same run); returns one record of mean losses per epoch."""
    batch = min(batch_size, len(x)) // devices.n * devices.n
    if batch == 0:
        raise SeedflowError(f"synthesis: {len(x)} training examples cannot fill a batch on "
                            f"{devices.n} devices")
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    start, history = _load_checkpoint(checkpoint, trainer, fingerprint, epochs) or (0, [])

    def on_epoch_end(epoch, logs):
        record = {"epoch": epoch, **{k: float(np.mean([float(s[k]) for s in logs]))
                                     for k in METRICS}}
        history.append(record)
        log.info("epoch %d/%d: %s", epoch + 1, epochs,
                 ", ".join(f"{k} {record[k]:.4f}" for k in METRICS))
        _save_checkpoint(checkpoint, trainer, epoch, history, fingerprint)

    loop = _jax_epochs if devices.backend == "jax" else _tf_epochs
    loop(trainer, devices, x, y, batch, seed, range(start, epochs), on_epoch_end)
    return history
