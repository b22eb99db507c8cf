"""Snakemake adapter: SEED's ExtractedFeatures file of one simulated session."""

from pathlib import Path

from seedflow import simulate, simulate_layouts
from seedflow.logs import run_step

spec = simulate_layouts.spec_of(snakemake.params.simulation)
run_step(snakemake.log[0], lambda: simulate.write_seed_features(
    Path(snakemake.input[0]), Path(snakemake.output[0]), spec.sfreq))
