"""Snakemake adapter: one subject's MNE report."""

from pathlib import Path

from seedflow.logs import run_step
from seedflow.report.subject import subject_report

run_step(snakemake.log[0], lambda: subject_report(
    subject=snakemake.wildcards.subject, stores=[Path(p) for p in snakemake.input.stores],
    feature_stores=[Path(p) for p in snakemake.input.features],
    fold_dirs=[Path(p) for p in snakemake.params.fold_dirs],
    samples=Path(snakemake.input.samples[0]) if snakemake.input.samples else None,
    out=Path(snakemake.output[0]), excerpt_seconds=snakemake.params.excerpt_seconds))
