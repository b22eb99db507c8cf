"""Snakemake adapter: train one signal GAN group, measure and export its samples."""

from pathlib import Path

from seedflow import keras_backend
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.synthesis import signal_gan

spec = from_param(signal_gan.SignalGanSpec, snakemake.params.spec)
keras_backend.use(spec.gan.backend, cache=Path(snakemake.params.cache))
from seedflow import backend  # noqa: E402  (imports Keras: after its backend is set)


def step():
    backend.log_devices()
    signal_gan.run(ingest=[Path(p) for p in snakemake.input],
                   out_dir=Path(snakemake.output.fif).parent, spec=spec,
                   checkpoint=Path(snakemake.params.checkpoint),
                   group=snakemake.wildcards.group)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
