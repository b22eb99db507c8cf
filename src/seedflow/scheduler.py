"""Where Dask runs a stage's graph: a local scheduler or a running dask.distributed cluster.

``threads`` (default), ``processes`` and ``synchronous`` are Dask's local schedulers with
``workers`` workers (the Snakemake rule's ``threads``). Any other value is the address of a
running ``dask.distributed`` scheduler (``tcp://host:8786``, e.g. one started by
dask-jobqueue on SLURM); the ``distributed`` package must then be installed. A new kind of
cluster (such as a dask-jobqueue ``SLURMCluster`` started here) is one more branch of
:func:`dask_scheduler`.
"""

from __future__ import annotations

import contextlib
import logging

import dask

from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)

LOCAL = ("threads", "processes", "synchronous")
REMOTE_PREFIXES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


def check(scheduler: str) -> None:
    """Raise one error naming ``features.scheduler`` if the value is neither kind."""
    if scheduler not in LOCAL and not scheduler.startswith(REMOTE_PREFIXES):
        raise SeedflowError(f"features.scheduler: '{scheduler}' is not one of "
                            f"{', '.join(LOCAL)} nor a scheduler address (tcp://host:port)")


@contextlib.contextmanager
def dask_scheduler(scheduler: str, workers: int):
    """Run the ``dask.compute`` calls inside this block on ``scheduler``."""
    check(scheduler)
    if scheduler in LOCAL:
        log.info("Dask scheduler: %s, %d workers", scheduler, workers)
        with dask.config.set(scheduler=scheduler, num_workers=workers):
            yield
        return
    try:
        from dask.distributed import Client
    except ImportError:
        raise SeedflowError(f"features.scheduler: '{scheduler}' is a dask.distributed "
                            "address, but the 'distributed' package is not installed "
                            "(pip install distributed)") from None
    try:
        client = Client(scheduler, timeout="30s", set_as_default=False)
    except OSError as err:
        raise SeedflowError(f"features.scheduler: cannot reach '{scheduler}': {err}") from None
    log.info("Dask scheduler: %s (%d workers)", scheduler,
             len(client.scheduler_info().get("workers", {})))
    try:
        with dask.config.set(scheduler=client.get):
            yield
    finally:
        client.close()
