"""Snakemake adapter: write the simulated dataset's label.mat."""

from pathlib import Path

from seedflow import simulate, simulate_layouts
from seedflow.logs import run_step

spec = simulate_layouts.spec_of(snakemake.params.simulation)
run_step(snakemake.log[0], lambda: simulate.write_seed_labels(spec, Path(snakemake.output[0])))
