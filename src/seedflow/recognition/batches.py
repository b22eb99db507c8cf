"""Feeding Keras: a ``keras.utils.PyDataset`` over samples held in memory or read from
the ingest Zarr store batch by batch (raw windows)."""

from __future__ import annotations

import math

import keras
import numpy as np


class Batches(keras.utils.PyDataset):
    """Batches of ``(x[index], y[index])``; reshuffled every epoch from ``seed`` + epoch
    when ``seed`` is given, so a resumed run sees the same order as an uninterrupted one
    (fit it with ``shuffle=False``: Keras would reorder the batches with Python's global
    random state).

    ``multiple_of`` > 1 (JAX over several devices: every batch is split evenly): shuffled
    (training) batches leave out the epoch's last ``len(index) % multiple_of`` samples, a
    different few each epoch; unshuffled (validation, prediction) batches are padded by
    repeating the last sample with sample weight 0, so losses rank epochs as without
    padding and metrics are unchanged (predictions of the padding: drop the last rows).
    """

    def __init__(self, x, y: np.ndarray, index: np.ndarray, batch_size: int,
                 seed: int | None = None, first_epoch: int = 0, multiple_of: int = 1):
        super().__init__()
        self.x, self.y, self.index = x, y, np.asarray(index)
        self.batch_size, self.seed, self.epoch = batch_size, seed, first_epoch
        self.multiple_of = multiple_of
        self.weight = np.ones(len(self.index), dtype="float32")
        extra = -len(self.index) % multiple_of
        if seed is None and extra:
            self.index = np.concatenate([self.index, np.repeat(self.index[-1:], extra)])
            self.weight = np.concatenate([self.weight, np.zeros(extra, dtype="float32")])
        self._shuffle()

    def _shuffle(self) -> None:
        self.order = self.index
        if self.seed is not None:
            self.order = np.random.default_rng([self.seed, self.epoch]).permutation(self.index)
            self.order = self.order[:len(self.order) - len(self.order) % self.multiple_of]

    def __len__(self) -> int:
        return math.ceil(len(self.order) / self.batch_size)

    def __getitem__(self, i: int):
        part = slice(i * self.batch_size, (i + 1) * self.batch_size)
        rows = self.order[part]
        batch = np.asarray(self.x[rows], dtype="float32"), self.y[rows]
        if self.multiple_of > 1 and self.seed is None:
            return (*batch, self.weight[part])
        return batch

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._shuffle()
