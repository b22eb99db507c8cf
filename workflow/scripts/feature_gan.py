"""Snakemake adapter: the feature-level GAN of one group, measured."""

from pathlib import Path

from seedflow import keras_backend
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.synthesis import feature_gan

spec = from_param(feature_gan.FeatureGanSpec, snakemake.params.spec)
keras_backend.use(spec.gan.backend, cache=Path(snakemake.params.cache))
from seedflow import backend  # noqa: E402  (imports Keras: after its backend is set)

backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], lambda: feature_gan.run(
    features=[Path(p) for p in snakemake.input], out_dir=Path(snakemake.output[0]).parent,
    spec=spec, checkpoint=Path(snakemake.params.checkpoint), group=snakemake.wildcards.group))
