"""Snakemake adapter: aggregate per-fold metrics into the summary metrics.json."""

import json
from pathlib import Path

from seedflow.logs import run_step
from seedflow.metrics import aggregate


def summarise():
    folds = [json.loads(Path(p).read_text()) for p in snakemake.input]
    records = aggregate(folds, dataset=snakemake.params.dataset)
    Path(snakemake.output[0]).write_text(json.dumps(records, indent=2))


run_step(snakemake.log[0], summarise)
