"""Snakemake adapter: aggregate per-fold metrics into the summary metrics.json."""

import json
from pathlib import Path

from seedflow.logs import run_step
from seedflow.metrics import aggregate
from seedflow.synthetic_quality import summary_records


def summarise():
    folds = [json.loads(Path(p).read_text()) for p in snakemake.input.folds]
    records = aggregate(folds, dataset=snakemake.params.dataset)
    synthetic = [json.loads(Path(p).read_text()) for p in snakemake.input.synthesis]
    records += summary_records(synthetic, dataset=snakemake.params.dataset)
    Path(snakemake.output[0]).write_text(json.dumps(records, indent=2))


run_step(snakemake.log[0], summarise)
