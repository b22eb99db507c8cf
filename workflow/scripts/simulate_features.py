"""Snakemake adapter: a simulated recording's official features file (SEED's
ExtractedFeatures), computed as the dataset computed them."""

from pathlib import Path

from seedflow import datasets
from seedflow.logs import run_step

simulator = datasets.kind_of(snakemake.config).simulation()
run_step(snakemake.log[0], lambda: simulator.write_features(
    Path(snakemake.input[0]), Path(snakemake.output[0]), snakemake.params.sfreq))
