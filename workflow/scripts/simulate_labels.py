"""Snakemake adapter: write the simulated dataset's label.mat."""

from pathlib import Path

from seedflow import simulate
from seedflow.logs import run_step

spec = simulate.SimulationSpec.from_config(snakemake.params.simulation)
run_step(snakemake.log[0], lambda: simulate.write_seed_labels(spec, Path(snakemake.output[0])))
