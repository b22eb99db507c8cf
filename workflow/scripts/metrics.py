"""Snakemake adapter: aggregate per-fold metrics into the summary metrics.json."""

import json
from pathlib import Path

from seedflow.logs import run_step
from seedflow.recognition.metrics import aggregate, augmentation_records
from seedflow.synthesis.curve_statistics import curve_records
from seedflow.synthesis.quality import summary_records


def read(paths):
    return [json.loads(Path(p).read_text()) for p in paths]


def summarise():
    # the augmentation's real arm is the model's ordinary folds: listed once
    paths = dict.fromkeys([*snakemake.input.folds, *snakemake.input.augmentation_real])
    records = aggregate(read(paths), dataset=snakemake.params.dataset)
    records += augmentation_records(read(snakemake.input.augmentation_real),
                                    read(snakemake.input.augmented),
                                    dataset=snakemake.params.dataset)
    for record in records:  # the setting every recognition record was made under
        record["setting"] = snakemake.params.setting
    records += summary_records(read(snakemake.input.synthesis), dataset=snakemake.params.dataset)
    records += curve_records(read(Path(cell) / "curve.json" for cell in snakemake.input.curve),
                             dataset=snakemake.params.dataset)
    Path(snakemake.output[0]).write_text(json.dumps(records, indent=2))


run_step(snakemake.log[0], summarise)
