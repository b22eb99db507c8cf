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
from typing import TYPE_CHECKING

import numpy as np

from seedflow.errors import SeedflowError

# Keras (which seedflow.backend and seedflow.checkpoints import) is imported where a GAN is
# built, not here: the workflow reads the specs when it plans, and TensorFlow takes seconds.
if TYPE_CHECKING:
    from seedflow import backend
    from seedflow.synthesis.networks import WGANGP

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GanSpec:
    """How the feature GAN (WGAN-GP) trains: config section ``synthesis.feature_gan`` (and
    ``synthesis.seed``, ``synthesis.devices``)."""

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
    backend: str  # config key keras_backend

    @classmethod
    def from_config(cls, config: dict) -> "GanSpec":
        section = config["synthesis"]
        own = section["feature_gan"]
        return cls(seed=section["seed"], epochs=own["epochs"], batch_size=own["batch_size"],
                   latent_dim=own["latent_dim"], n_critic=own["n_critic"],
                   gradient_penalty=float(own["gradient_penalty"]),
                   learning_rate=float(own["learning_rate"]),
                   beta_1=float(own["beta_1"]), beta_2=float(own["beta_2"]),
                   devices=section["devices"], backend=config["keras_backend"])


@dataclass(frozen=True)
class SpectralGanSpec:
    """How the signal GAN (:mod:`seedflow.synthesis.spectral`) trains: config section
    ``synthesis``."""

    seed: int
    steps: int
    checkpoint_every: int
    batch_size: int
    latent_dim: int
    learning_rate: float
    beta_2: float
    r1_gamma: float
    feature_matching: float
    critic_width: int
    devices: int
    backend: str  # config key keras_backend

    @classmethod
    def from_config(cls, config: dict) -> "SpectralGanSpec":
        section = config["synthesis"]
        return cls(seed=section["seed"], steps=section["steps"],
                   checkpoint_every=section["checkpoint_every"],
                   batch_size=section["batch_size"], latent_dim=section["latent_dim"],
                   learning_rate=float(section["learning_rate"]),
                   beta_2=float(section["beta_2"]), r1_gamma=float(section["r1_gamma"]),
                   feature_matching=float(section["feature_matching"]),
                   critic_width=section["critic_width"], devices=section["devices"],
                   backend=config["keras_backend"])


def fingerprint(x: np.ndarray, y: np.ndarray, spec: GanSpec | SpectralGanSpec) -> str:
    """Identity of a training run for its checkpoint: data and training settings (not the
    number of epochs: more epochs may follow a checkpoint; a step count sets the
    learning-rate schedule, so it stays)."""
    digest = hashlib.sha256(np.ascontiguousarray(x).tobytes())
    digest.update(np.ascontiguousarray(y).tobytes())
    kept = {k: v for k, v in dataclasses.asdict(spec).items() if k != "epochs"}
    digest.update(json.dumps(kept, sort_keys=True, default=str).encode())
    return digest.hexdigest()


def train_gan(x: np.ndarray, y: np.ndarray, spec: GanSpec, build, checkpoint: Path):
    """Build (inside the devices' scope) and train a WGAN-GP; returns it and its losses."""
    from seedflow import backend, keras_backend
    from seedflow.synthesis.networks import WGANGP

    keras_backend.require(spec.backend)
    backend.seed_everything(spec.seed)
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
    import keras

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
    from seedflow import checkpoints

    variables = trainer.variables()
    checkpoints.save(path, {"epoch": epoch, "history": history, "fingerprint": fingerprint},
                     {"variables": ([checkpoints.variable_name(v) for v in variables],
                                    checkpoints.values(variables))})


def _load_checkpoint(path: Path, trainer: WGANGP, fingerprint: str, epochs: int):
    """(next epoch, history) from a checkpoint of an earlier epoch of the same run, or None
    to start afresh; a damaged one is discarded with a warning naming it."""
    from seedflow import checkpoints

    if not path.is_file():
        return None
    variables = trainer.variables()
    try:
        metadata, groups = checkpoints.read(path)
        epoch, history = int(metadata["epoch"]), metadata["history"]
        if metadata["fingerprint"] != fingerprint or epoch >= epochs:
            log.warning("%s: checkpoint of other data, settings or more epochs or chunks: "
                        "starting afresh", path)
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
    log.info("resuming from %s after %d epochs (feature GAN) or chunks of steps (signal GAN)",
             path, epoch + 1)
    return epoch + 1, history


def train(trainer: WGANGP, parallel: backend.Parallel, x: np.ndarray, y: np.ndarray, *,
          epochs: int, batch_size: int, seed: int, checkpoint: Path,
          fingerprint: str) -> list[dict]:
    """Train for ``epochs`` (resuming from ``checkpoint`` if it holds an earlier epoch of the
    same run); returns one record of mean losses per epoch."""
    import keras

    from seedflow.synthesis.networks import METRICS

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


# ------------------------------------------------------------------ the signal GAN
def train_spectral(gan, batches, spec: SpectralGanSpec, checkpoint: Path,
                   fingerprint: str) -> list[dict]:
    """Train a :class:`seedflow.synthesis.spectral.SpectralGAN` for ``spec.steps`` steps on
    ``batches(rng, n) -> (x, y)``, in chunks of ``spec.checkpoint_every`` steps with a
    checkpoint after each (resuming from ``checkpoint`` if it holds an earlier chunk of the
    same run). Each chunk's batches and noise come from ``numpy`` seeded with
    ``(seed, chunk)``, so a chunk run after a resume is the chunk an uninterrupted run makes.
    Returns one record of mean losses per chunk."""
    import keras

    from seedflow.synthesis.spectral import METRICS

    name = keras.backend.backend()
    if name == "jax":
        import jax

        step = jax.jit(gan.jax_step, static_argnums=(5,))
    elif name == "tensorflow":
        import tensorflow as tf

        step = tf.function(gan.tf_step, jit_compile=True)
    else:
        raise SeedflowError(f"config key keras_backend: the GAN trains under TensorFlow or "
                            f"JAX, not {name}")
    every = spec.checkpoint_every
    chunks = -(-spec.steps // every)
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    start, history = _load_checkpoint(checkpoint, gan, fingerprint, chunks) or (0, [])
    state = gan.jax_state() if name == "jax" else None
    for chunk in range(start, chunks):
        rng = np.random.default_rng([spec.seed, chunk])
        logs = []
        for i in range(chunk * every + 1, min((chunk + 1) * every, spec.steps) + 1):
            real, labels = batches(rng, spec.batch_size)
            z, noise = gan.step_inputs(rng, len(labels))
            do_r1 = i % gan.r1_every == 0
            if name == "jax":
                state, out = step(state, real, labels, z, noise, do_r1)
            else:
                out = step(*(tf.constant(a) for a in (real, labels, z, noise)), do_r1)
            logs.append(out)
        if name == "jax":
            gan.set_jax_state(state)
        record = {"step": i, **{k: float(np.mean([float(s[k]) for s in logs]))
                                for k in METRICS}}
        penalties = [float(s["r1"]) for n, s in enumerate(logs, chunk * every + 1)
                     if n % gan.r1_every == 0]
        record["r1"] = float(np.mean(penalties)) if penalties else None  # no R1 step
        history.append(record)
        log.info("step %d/%d: %s", i, spec.steps,
                 ", ".join(f"{k} {record[k]}" for k in METRICS))
        _save_checkpoint(checkpoint, gan, chunk, history, fingerprint)
    return history
