"""Where Dask runs a stage's graph: a local scheduler, SLURM jobs or a running cluster.

``threads`` (default), ``processes`` and ``synchronous`` are Dask's local schedulers with
``workers`` workers (the Snakemake rule's ``threads``). ``slurm`` starts Dask workers as
SLURM jobs for the duration of the block (:mod:`seedflow.slurm_workers`). Any other value is
the address of a running ``dask.distributed`` scheduler (``tcp://host:8786``).
"""

from __future__ import annotations

import contextlib
import logging

from pathlib import Path

import dask

from seedflow.errors import SeedflowError
from seedflow.slurm_workers import SlurmWorkers, slurm_client

log = logging.getLogger(__name__)

LOCAL = ("threads", "processes", "synchronous")
SLURM = "slurm"
REMOTE_PREFIXES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def check(scheduler: str) -> None:
    """Raise one error naming ``features.scheduler`` if the value is neither kind."""
    if scheduler not in (*LOCAL, SLURM) and not scheduler.startswith(REMOTE_PREFIXES):
        raise SeedflowError(f"features.scheduler: '{scheduler}' is not one of "
                            f"{', '.join(LOCAL)}, {SLURM} nor a scheduler address "
                            "(tcp://host:port)")


@contextlib.contextmanager
def dask_scheduler(scheduler: str, workers: int, slurm: SlurmWorkers | None = None,
                   log_directory: Path | None = None):
    """Run the ``dask.compute`` calls inside this block on ``scheduler``.

    ``slurm`` and ``log_directory`` (of the worker jobs' output) apply to ``slurm`` only.
    """
    check(scheduler)
    if scheduler in LOCAL:
        log.info("Dask scheduler: %s, %d workers", scheduler, workers)
        with dask.config.set(scheduler=scheduler, num_workers=workers):
            yield
        return
    if scheduler == SLURM:
        with slurm_client(slurm or SlurmWorkers(), log_directory) as client:
            with dask.config.set(scheduler=client.get):
                yield
        return
    from distributed import Client

    try:
        # Waits dask's distributed.comm.timeouts.connect (30 s unless configured).
        client = Client(scheduler, set_as_default=False)
    except OSError as err:
        raise SeedflowError(f"features.scheduler: cannot reach '{scheduler}': {err}") from None
    log.info("Dask scheduler: %s (%d workers)", scheduler,
             len(client.scheduler_info().get("workers", {})))
    try:
        with dask.config.set(scheduler=client.get):
            yield
    finally:
        client.close()
