"""Training throughput of recognition models (windows per second) on this machine's devices.

Usage: KERAS_BACKEND=jax python benchmarks/train_throughput.py [--models cnn4d aann4d]
       [--windows 20000] [--batch-size 256] [--epochs 3] [--replicas 0]
A quick check on CPU (about a minute): ``--windows 512 --batch-size 64 --epochs 2``.
Random inputs of each model's shape (SEED: 62 channels, 5 bands, 1 s windows at 200 Hz) go
through the same path as the workflow (PyDataset, in-model normalisation, Adam); the first
epoch (compilation) is left out. aann4d counts every slice of a segment as a window. Prints
a Markdown table.
"""

from __future__ import annotations

import argparse
import time

import keras
import numpy as np

from seedflow import backend, models
from seedflow.models.layers import Standardization

SHAPES = {"cnn4d": (9, 9, 5), "aann4d": (4, 9, 9, 10), "ccnn": (9, 9, 5),
          "fbccnn": (9, 9, 5), "dgcnn": (62, 5), "eegnet": (62, 200, 1), "dnn": (310,)}
OPTIONS = {"eegnet": {"sfreq": 200.0}}  # what the builder reads from the data
WINDOWS_PER_SAMPLE = {"aann4d": 4}


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self.start)


def throughput(name: str, windows: int, batch_size: int, epochs: int, replicas: int):
    from seedflow.recognition.batches import Batches

    shape = SHAPES[name]
    n = windows // WINDOWS_PER_SAMPLE.get(name, 1)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, *shape)).astype("float32")
    y = rng.integers(0, 3, n)
    parallel = backend.data_parallel(replicas, "--replicas")
    used = parallel.replicas
    timer = EpochTimes()
    with parallel.scope():
        norm = Standardization(axis=-1, mean=np.zeros(shape[-1]), variance=np.ones(shape[-1]))
        model = models.build(name, shape, 3, norm, **OPTIONS.get(name, {}))
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        model.fit(Batches(x, y, np.arange(n), batch_size * used, seed=0,
                          multiple_of=parallel.batch_multiple),
                  epochs=epochs, verbose=0, callbacks=[timer])
    per_epoch = float(np.median(timer.times[1:]))
    return n * WINDOWS_PER_SAMPLE.get(name, 1) / per_epoch, used, per_epoch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["cnn4d", "aann4d"],
                        choices=sorted(SHAPES))
    parser.add_argument("--windows", type=int, default=20000)
    parser.add_argument("--batch-size", type=int, default=256, help="per replica")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--replicas", type=int, default=0)
    args = parser.parse_args()
    backend.seed_everything(0)
    gpus, devices = backend.visible_devices()
    print(f"backend: {keras.config.backend()}; GPUs: {', '.join(map(str, gpus)) or 'none'}; "
          f"devices to spread over: {len(devices)}")
    print("| model | windows/s | replicas | s/epoch | windows | batch/replica |")
    print("|---|---|---|---|---|---|")
    for name in args.models:
        rate, used, per_epoch = throughput(name, args.windows, args.batch_size,
                                           max(2, args.epochs), args.replicas)
        print(f"| {name} | {rate:,.0f} | {used} | {per_epoch:.2f} | {args.windows} | "
              f"{args.batch_size} |")


if __name__ == "__main__":
    main()
