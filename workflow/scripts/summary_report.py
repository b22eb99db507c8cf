"""Snakemake adapter: the run's summary MNE report."""

from pathlib import Path

from seedflow.logs import run_step
from seedflow.report.summary import summary_report

run_step(snakemake.log[0], lambda: summary_report(
    metrics_path=Path(snakemake.input.metrics),
    gan_dir=Path(snakemake.input.samples[0]).parent if snakemake.input.samples else None,
    first_store=Path(snakemake.input.store), configuration=snakemake.params.configuration,
    sources=[Path(p) for p in snakemake.input.sources], out=Path(snakemake.output[0])))
