"""Keras backend set-up shared by training and synthesis: quiet logs, seeds, determinism, GPUs."""

from __future__ import annotations

import logging
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402


def seed_everything(seed: int) -> None:
    """Same seed, same numbers: seeds Python, NumPy and the backend; deterministic TF ops."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def limit_threads(n: int) -> None:
    """Use at most ``n`` CPU threads for the backend's kernels (Snakemake's ``threads``)."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(n)
        tf.config.threading.set_inter_op_parallelism_threads(n)


def gpu_count() -> int:
    """Number of GPUs the Keras backend can use (on SLURM: those the job was given)."""
    name = keras.backend.backend()
    if name == "tensorflow":
        import tensorflow as tf

        return len(tf.config.list_physical_devices("GPU"))
    if name == "jax":
        import jax

        return sum(d.platform == "gpu" for d in jax.devices())
    if name == "torch":
        import torch

        return torch.cuda.device_count()
    return 0


def log_devices() -> int:
    """Log how many GPUs this job sees, with its SLURM job id if any; returns the count."""
    count = gpu_count()
    job = os.environ.get("SLURM_JOB_ID")
    logging.getLogger(__name__).info(
        "%s backend sees %d GPU(s)%s%s", keras.backend.backend(), count,
        f" (CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']})"
        if "CUDA_VISIBLE_DEVICES" in os.environ else "",
        f"; SLURM job {job}" if job else "; not a SLURM job")
    return count
