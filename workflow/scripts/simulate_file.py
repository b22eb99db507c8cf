"""Snakemake adapter: write one file of the simulated dataset."""

from pathlib import Path

from seedflow import datasets
from seedflow.logs import run_step

simulator = datasets.kind_of(snakemake.config).simulation()
run_step(snakemake.log[0], lambda: simulator.write(
    snakemake.params.simulation, snakemake.wildcards.path, Path(snakemake.output[0])))
