"""Keras backend set-up shared by training and synthesis: quiet logs, seeds, determinism."""

from __future__ import annotations

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
