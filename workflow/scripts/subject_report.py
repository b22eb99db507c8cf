"""Snakemake adapter: one subject's MNE report."""

from pathlib import Path

from seedflow import report
from seedflow.logs import run_step

run_step(snakemake.log[0], lambda: report.subject_report(
    snakemake.wildcards.subject, [Path(p) for p in snakemake.input.stores],
    [Path(p) for p in snakemake.input.features],
    [Path(p) for p in snakemake.params.fold_dirs],
    Path(snakemake.input.samples[0]) if snakemake.input.samples else None,
    Path(snakemake.output[0]), snakemake.params.excerpt_seconds))
