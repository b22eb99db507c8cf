"""Snakemake adapter: features of one subject × session."""

from pathlib import Path

from seedflow import features
from seedflow.logs import run_step
from seedflow.slurm_workers import SlurmWorkers

section = snakemake.params.features
log = Path(snakemake.log[0])
run_step(snakemake.log[0], lambda: features.extract(
    Path(snakemake.input[0]), Path(snakemake.output[0]),
    features.FeatureSpec.from_config(section),
    scheduler=section["scheduler"], num_workers=snakemake.threads,
    memory_mb=snakemake.resources.mem_mb,
    slurm=SlurmWorkers.from_config(section.get("slurm")),
    worker_logs=log.with_name(f"{log.stem}.dask-workers")))
