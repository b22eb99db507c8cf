"""Snakemake adapter: features of one subject × session (where the Dask graph runs comes
from the config's scheduler settings and the rule's threads and memory, outside params)."""

from pathlib import Path

from seedflow.config import from_param
from seedflow.features import extraction
from seedflow.features.scheduling import Scheduling
from seedflow.features.spec import FeatureSpec
from seedflow.logs import run_step

log = Path(snakemake.log[0])
scheduling = Scheduling.from_config(snakemake.config, threads=snakemake.threads,
                                    mem_mb=snakemake.resources.mem_mb,
                                    worker_logs=log.with_name(f"{log.stem}.dask-workers"))
run_step(snakemake.log[0], lambda: extraction.extract(
    ingest=Path(snakemake.input[0]), out=Path(snakemake.output[0]),
    spec=from_param(FeatureSpec, snakemake.params.spec), scheduling=scheduling))
