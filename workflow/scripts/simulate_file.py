"""Snakemake adapter: write one file of the simulated dataset."""

from pathlib import Path

from seedflow import datasets
from seedflow.config import from_param
from seedflow.logs import run_step
from seedflow.simulate.signal import SimulationSpec

simulator = datasets.kind_of(snakemake.config).simulation()
spec = from_param(SimulationSpec, snakemake.params.simulation)
run_step(snakemake.log[0], lambda: simulator.write(
    spec, snakemake.wildcards.path, Path(snakemake.output[0])))
