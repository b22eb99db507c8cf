"""Snakemake adapter: simulate one SEED session file."""

from pathlib import Path

from seedflow import simulate, simulate_layouts
from seedflow.logs import run_step

spec = simulate_layouts.spec_of(snakemake.params.simulation)
subject, date = int(snakemake.wildcards.subject), snakemake.wildcards.date
run_step(snakemake.log[0], lambda: simulate.write_seed_session(
    spec, subject, simulate.session_of_date(spec, subject, date), Path(snakemake.output[0])))
