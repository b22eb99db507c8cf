"""Snakemake adapter: write one file of the simulated dataset (any layout but seed's)."""

from seedflow import simulate_layouts
from seedflow.logs import run_step

run_step(snakemake.log[0], lambda: simulate_layouts.write(
    snakemake.params.simulation, snakemake.wildcards.path, snakemake.params.root))
