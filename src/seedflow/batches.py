"""Feeding Keras: a ``keras.utils.PyDataset`` over samples held in memory or read from
the ingest Zarr store batch by batch (raw windows)."""

from __future__ import annotations

import math

import keras
import numpy as np


class Batches(keras.utils.PyDataset):
    """Batches of ``(x[index], y[index])``; reshuffled every epoch from ``seed`` + epoch
    when ``seed`` is given, so a resumed run sees the same order as an uninterrupted one."""

    def __init__(self, x, y: np.ndarray, index: np.ndarray, batch_size: int,
                 seed: int | None = None, first_epoch: int = 0):
        super().__init__()
        self.x, self.y, self.index = x, y, np.asarray(index)
        self.batch_size, self.seed, self.epoch = batch_size, seed, first_epoch
        self._shuffle()

    def _shuffle(self) -> None:
        self.order = self.index
        if self.seed is not None:
            self.order = np.random.default_rng([self.seed, self.epoch]).permutation(self.index)

    def __len__(self) -> int:
        return math.ceil(len(self.index) / self.batch_size)

    def __getitem__(self, i: int):
        rows = self.order[i * self.batch_size:(i + 1) * self.batch_size]
        return np.asarray(self.x[rows], dtype="float32"), self.y[rows]

    def on_epoch_end(self) -> None:
        self.epoch += 1
        self._shuffle()
