"""GAN training, shared by the signal and the feature GAN: their settings
(:class:`GanSpec`), building a :class:`seedflow.synthesis.networks.WGANGP` on its devices,
the training loop (epochs of steps, a checkpoint after every epoch, exact resumption after a
kill) and sampling.

Multi-device training is data parallel, on the devices recognition would use
(:func:`seedflow.backend.data_parallel`): a ``tf.distribute.MirroredStrategy`` under
TensorFlow (networks and optimizers built inside its scope), a
``keras.distribution.DataParallel`` under JAX (variables replicated, batches sharded).
Each epoch's shuffling and random step inputs come from ``numpy`` seeded with
``(seed, epoch)``, so an epoch run after a resume is the epoch an uninterrupted run makes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np

from seedflow import backend, checkpoints
from seedflow.errors import SeedflowError
from seedflow.synthesis.networks import METRICS, WGANGP

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GanSpec:
    """How a GAN trains (config section ``synthesis``; the feature GAN's own
    ``synthesis.feature_gan`` keys replace epochs, batch size and latent size). ``width``:
    the signal networks' filters (None: the feature networks, whose size is fixed)."""

    seed: int
    epochs: int
    batch_size: int
    latent_dim: int
    n_critic: int
    gradient_penalty: float
    learning_rate: float
    beta_1: float
    beta_2: float
    devices: int
    width: int | None

    @classmethod
    def from_config(cls, config: dict, *, feature_level: bool = False) -> "GanSpec":
        section = config["synthesis"]
        own = section["feature_gan"] if feature_level else section
        return cls(seed=section["seed"], epochs=own["epochs"], batch_size=own["batch_size"],
                   latent_dim=own["latent_dim"], n_critic=section["n_critic"],
                   gradient_penalty=float(section["gradient_penalty"]),
                   learning_rate=float(section["learning_rate"]),
                   beta_1=float(section["beta_1"]), beta_2=float(section["beta_2"]),
                   devices=section["devices"],
                   width=None if feature_level else section["width"])


def fingerprint(x: np.ndarray, y: np.ndarray, spec: GanSpec) -> str:
    """Identity of a training run for its checkpoint: data and training settings (not the
    number of epochs: more epochs may follow a checkpoint)."""
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    kept = {k: v for k, v in dataclasses.asdict(spec).items() if k != "epochs"}
    digest.update(json.dumps(kept, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def train_gan(x: np.ndarray, y: np.ndarray, spec: GanSpec, build, checkpoint: Path):
    """Build (inside the devices' scope) and train a WGAN-GP; returns it and its losses."""
    backend.seed_everything(spec.seed)
    name = keras.backend.backend()
    if name not in ("tensorflow", "jax"):
        raise SeedflowError(f"the GAN trains under TensorFlow or JAX, not the '{name}' Keras "
                            f"backend (set KERAS_BACKEND)")
    parallel = backend.data_parallel(spec.devices, "synthesis.devices")
    with parallel.scope():
        generator, critic = build()
        trainer = WGANGP(generator, critic, spec.latent_dim, n_critic=spec.n_critic,
                         gp_weight=spec.gradient_penalty, learning_rate=spec.learning_rate,
                         beta_1=spec.beta_1, beta_2=spec.beta_2)
    history = train(trainer, parallel, x, y, epochs=spec.epochs, batch_size=spec.batch_size,
                    seed=spec.seed, checkpoint=checkpoint,
                    fingerprint=fingerprint(x, y, spec))
    return trainer, history


def sample(trainer, n_classes: int, per_class: int, seed: int):
    """``per_class`` standardised samples of every class, from a fixed seed."""
    labels = np.repeat(np.arange(n_classes, dtype=np.int32), per_class)
    noise = np.random.default_rng([seed, 1]).standard_normal((len(labels), trainer.latent_dim))
    return trainer.generate(labels, noise), labels


def _epoch_arrays(trainer: WGANGP, x, y, batch: int, seed: int, epoch: int):
    rng = np.random.default_rng([seed, epoch])
    order = rng.permutation(len(x))[: len(x) // batch * batch]
    noise, alpha = trainer.step_inputs(len(order), rng)
    return x[order], y[order], noise, alpha


def _tf_epochs(trainer, parallel, x, y, batch, seed, epochs, on_epoch_end):
    import tensorflow as tf

    strategy = parallel.strategy or tf.distribute.get_strategy()

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


def _jax_epochs(trainer, parallel, x, y, batch, seed, epochs, on_epoch_end):
    import jax

    step = jax.jit(trainer.jax_step)
    state = trainer.jax_state()
    distribution = parallel.distribution

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


def train(trainer: WGANGP, parallel: backend.Parallel, x: np.ndarray, y: np.ndarray, *,
          epochs: int, batch_size: int, seed: int, checkpoint: Path,
          fingerprint: str) -> list[dict]:
    """Train for ``epochs`` (resuming from ``checkpoint`` if it holds an earlier epoch of the
    same run); returns one record of mean losses per epoch."""
    n = parallel.replicas
    batch = min(batch_size, len(x)) // n * n
    if batch == 0:
        raise SeedflowError(f"synthesis: {len(x)} training examples cannot fill a batch on "
                            f"{n} devices")
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    start, history = _load_checkpoint(checkpoint, trainer, fingerprint, epochs) or (0, [])

    def on_epoch_end(epoch, logs):
        record = {"epoch": epoch, **{k: float(np.mean([float(s[k]) for s in logs]))
                                     for k in METRICS}}
        history.append(record)
        log.info("epoch %d/%d: %s", epoch + 1, epochs,
                 ", ".join(f"{k} {record[k]:.4f}" for k in METRICS))
        _save_checkpoint(checkpoint, trainer, epoch, history, fingerprint)

    loop = _jax_epochs if keras.backend.backend() == "jax" else _tf_epochs
    loop(trainer, parallel, x, y, batch, seed, range(start, epochs), on_epoch_end)
    return history
