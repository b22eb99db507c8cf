"""Keras backend set-up shared by recognition and synthesis: quiet logs, seeds, determinism,
the GPUs a job sees, and the one choice of devices for data-parallel training."""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from seedflow.errors import SeedflowError  # noqa: E402


def seed_everything(seed: int) -> None:
    """Same seed, same numbers: seeds Python, NumPy and the backend; deterministic TF ops."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def _replicas(variable) -> list | None:
    """The per-device copies of a variable mirrored by a TensorFlow MirroredStrategy, or
    None."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        if isinstance(variable.value, tf.distribute.DistributedValues):
            return list(variable.value.values)
    return None


def replica_values(variable) -> np.ndarray:
    """A variable's values, stacked on a first axis: one per device where they differ, else
    one. Under a TensorFlow MirroredStrategy Keras updates batch-norm moving statistics on
    each replica from its own part of the batch, so these copies differ."""
    copies = _replicas(variable)
    if copies is None:
        return variable.numpy()[None]
    values = np.stack([np.asarray(c.numpy()) for c in copies])
    return values if any((v != values[0]).any() for v in values[1:]) else values[:1]


def replica_count(variable) -> int:
    copies = _replicas(variable)
    return 1 if copies is None else len(copies)


def assign_replica_values(variable, values: np.ndarray) -> None:
    """Inverse of :func:`replica_values`."""
    if len(values) == 1:
        variable.assign(values[0])
    else:
        for copy, value in zip(_replicas(variable), values):
            copy.assign(value)


def limit_threads(n: int) -> None:
    """Use at most ``n`` CPU threads for the backend's kernels (Snakemake's ``threads``)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def visible_devices() -> tuple[list, list]:
    """(GPUs, devices to spread work over) for the Keras backend: the pool is the GPUs,
    or the (logical) CPUs where there is none."""
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        return gpus, gpus or [d.name for d in tf.config.list_logical_devices("CPU")]
    if name == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform != "cpu"]
        return gpus, gpus or jax.devices("cpu")
    if name == "torch":
        import torch

        return [f"cuda:{i}" for i in range(torch.cuda.device_count())], ["default"]
    return [], ["default"]


def _devices(n: int, key: str) -> list:
    """The devices to train on: ``n`` = 0 means every visible GPU (or one device); N means
    the first N GPUs, or the first N (logical) CPUs where there is no GPU (``key``: the
    config key that asked for them)."""
    name = keras.backend.backend()
    gpus, devices = visible_devices()
    wanted = (len(gpus) or 1) if n == 0 else n
    if wanted > len(devices):
        raise SeedflowError(f"config key {key}: {wanted} devices requested, but only "
                            f"{len(devices)} are visible to {name}")
    if wanted > 1 and name not in ("tensorflow", "jax"):
        raise SeedflowError(f"config key {key}: data-parallel training is supported with "
                            f"the tensorflow or jax Keras backend, not {name}")
    return devices[:wanted]


@dataclass(frozen=True)
class Parallel:
    """How a model trains over its devices: ``scope()`` (a fresh context per call) must hold
    the model's building, fitting and predicting; every batch must have a multiple of
    ``batch_multiple`` rows (JAX shards a batch evenly over its devices; TensorFlow's
    ``MirroredStrategy`` splits uneven batches itself). ``strategy`` (TensorFlow) and
    ``distribution`` (JAX) are the distribution over several devices, for training loops
    of their own (the GANs'); None on one device."""

    replicas: int
    scope: Callable[[], contextlib.AbstractContextManager]
    batch_multiple: int = 1
    strategy: object = None
    distribution: object = None


def data_parallel(n: int, key: str) -> Parallel:
    """Data-parallel training over ``n`` devices (0 = every visible GPU; ``key``: the config
    key that sets ``n``, named in errors).

    TensorFlow: ``tf.distribute.MirroredStrategy`` over the devices; JAX:
    ``keras.distribution.DataParallel`` (variables replicated, batches split over a 1D
    mesh). One device: no distribution.
    """
    devices = _devices(n, key)
    if len(devices) == 1:
        return Parallel(1, contextlib.nullcontext)
    logging.getLogger(__name__).info("data-parallel training over %d devices: %s",
                                     len(devices), ", ".join(map(str, devices)))
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        strategy = tf.distribute.MirroredStrategy(devices)
        return Parallel(len(devices), strategy.scope, strategy=strategy)
    distribution = keras.distribution.DataParallel(devices=devices)
    return Parallel(len(devices), distribution.scope, batch_multiple=len(devices),
                    distribution=distribution)


def log_devices() -> int:
    """Log how many GPUs this job sees, with its SLURM job id if any; returns the count."""
    count = len(visible_devices()[0])
    job = os.environ.get("SLURM_JOB_ID")
    logging.getLogger(__name__).info(
        "%s backend sees %d GPU(s)%s%s", keras.backend.backend(), count,
        f" (CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']})"
        if "CUDA_VISIBLE_DEVICES" in os.environ else "",
        f"; SLURM job {job}" if job else "; not a SLURM job")
    return count
