"""Snakemake adapter: the run's summary MNE report."""

from pathlib import Path

from seedflow import report
from seedflow.logs import run_step

run_step(snakemake.log[0], lambda: report.summary_report(
    Path(snakemake.input.metrics),
    Path(snakemake.input.samples[0]).parent if snakemake.input.samples else None,
    Path(snakemake.input.store), snakemake.params.config,
    [Path(p) for p in snakemake.input.sources], Path(snakemake.output[0])))
