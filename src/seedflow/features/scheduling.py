"""How the features stage's Dask graph runs, which changes no number it computes: a local
scheduler, Dask workers submitted as SLURM jobs, or a running cluster.

``threads`` (default), ``processes`` and ``synchronous`` are Dask's local schedulers with
``workers`` workers (the Snakemake rule's ``threads``). ``slurm`` starts Dask workers as
SLURM jobs for the duration of the block: a ``dask_jobqueue.SLURMCluster`` runs its
scheduler in the calling process (the Snakemake job) and submits ``features.slurm.workers``
jobs with ``sbatch``, each running one Dask worker with ``cores`` threads; closing the
cluster when the block ends, normally or by an error, cancels the jobs (``scancel``). Any
other value is the address of a running ``dask.distributed`` scheduler (``tcp://host:8786``).
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import dask

from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)

LOCAL = ("threads", "processes", "synchronous")
SLURM = "slurm"
REMOTE_PREFIXES = ("tcp://", "tls://", "inproc://", "ucx://", "ws://", "wss://")


JOB_NAME = "seedflow-dask"


@dataclass(frozen=True)
class SlurmWorkers:
    """What each worker job asks of SLURM (config ``features.slurm``)."""

    workers: int
    cores: int
    mem_mb: int
    runtime: int
    partition: str | None
    account: str | None
    interface: str | None
    job_extra_directives: tuple[str, ...]
    start_timeout: float

    @classmethod
    def from_config(cls, config: dict) -> "SlurmWorkers":
        section = config["features"]["slurm"]
        return cls(**{**section, "job_extra_directives": tuple(section["job_extra_directives"])})

    def walltime(self) -> str:
        """``runtime`` (minutes) as SLURM's ``HH:MM:00``."""
        return f"{self.runtime // 60:02d}:{self.runtime % 60:02d}:00"


def _cluster_kwargs(spec: SlurmWorkers, log_directory: Path | None) -> dict:
    return dict(
        cores=spec.cores, processes=1, memory=f"{spec.mem_mb}MiB",
        walltime=spec.walltime(), queue=spec.partition, account=spec.account,
        interface=spec.interface, job_name=JOB_NAME,
        job_extra_directives=list(spec.job_extra_directives),
        log_directory=str(log_directory) if log_directory else None,
        # No dashboard (it needs bokeh); its HTTP server on any free port, as nodes are shared.
        scheduler_options={"dashboard": False, "dashboard_address": ":0"})


@contextlib.contextmanager
def slurm_client(spec: SlurmWorkers, log_directory: Path | None = None):
    """A ``distributed.Client`` of ``spec.workers`` SLURM worker jobs, closed on exit."""
    from dask_jobqueue import SLURMCluster
    from distributed import Client

    if log_directory is not None:
        Path(log_directory).mkdir(parents=True, exist_ok=True)
    try:
        cluster = SLURMCluster(**_cluster_kwargs(spec, log_directory))
    except (OSError, ValueError) as err:
        raise SeedflowError(f"features.slurm: cannot start a Dask scheduler for SLURM "
                            f"workers: {err}") from None
    try:
        _check_job_script(cluster.job_script())
        client = Client(cluster, set_as_default=False)
        try:
            cluster.scale(spec.workers)
            _wait_for_first_worker(client, cluster, spec, log_directory)
            log.info("Dask scheduler %s with %d SLURM worker job(s) of %d core(s), %d MB: "
                     "SLURM jobs %s", cluster.scheduler_address, spec.workers, spec.cores,
                     spec.mem_mb, ", ".join(job_ids(cluster)))
            yield client
        finally:
            client.close()
    finally:
        ids = job_ids(cluster)
        cluster.close()  # scancel of every worker job, running or pending
        log.info("SLURM worker jobs %s cancelled", ", ".join(ids) or "(none)")


def _check_job_script(script: str) -> None:
    """Let SLURM validate a worker job (``sbatch --test-only``), so that a refused job
    (unknown partition or account, too much memory) fails at once with SLURM's reason."""
    with tempfile.NamedTemporaryFile("w", suffix=".sh") as file:
        file.write(script)
        file.flush()
        try:
            result = subprocess.run(["sbatch", "--test-only", file.name],
                                    capture_output=True, text=True)
        except FileNotFoundError:
            raise SeedflowError("features.scheduler: 'slurm' needs SLURM's sbatch where the "
                                "features job runs (not found on PATH)") from None
    if result.returncode != 0:
        raise SeedflowError(f"features.slurm: SLURM refuses the Dask worker job: "
                            f"{result.stderr.strip()}\n{script}")


def job_ids(cluster) -> list[str]:
    """SLURM job ids of the cluster's worker jobs submitted so far."""
    return sorted((job.job_id for job in cluster.workers.values() if job.job_id),
                  key=int)


def _wait_for_first_worker(client, cluster, spec: SlurmWorkers,
                           log_directory: Path | None) -> None:
    """Return once one worker has joined; the others join as SLURM starts them."""
    try:
        client.wait_for_workers(1, timeout=spec.start_timeout)
    except TimeoutError:
        raise SeedflowError(
            f"features.slurm.start_timeout: no Dask worker joined within "
            f"{spec.start_timeout:g} s (SLURM jobs {', '.join(job_ids(cluster)) or 'none'}; "
            f"see squeue and the worker logs in {log_directory})") from None


@dataclass(frozen=True)
class Scheduling:
    """Where the features stage runs and with what (config ``features.scheduler`` and
    ``features.slurm``, the rule's ``threads`` and ``mem_mb``): never part of what a features
    job's output depends on. ``memory_mb`` bounds the blocks in flight (None: no bound);
    ``worker_logs``: the folder of SLURM worker jobs' output."""

    scheduler: str
    workers: int
    memory_mb: float | None
    slurm: SlurmWorkers | None
    worker_logs: Path | None = None

    @classmethod
    def from_config(cls, config: dict, *, threads: int, mem_mb: float | None,
                    worker_logs: Path | None = None) -> "Scheduling":
        return cls(config["features"]["scheduler"], threads, mem_mb,
                   SlurmWorkers.from_config(config), worker_logs)

    @classmethod
    def local(cls, workers: int = 1) -> "Scheduling":
        """In the calling process, ``workers`` threads, blocks unbounded."""
        return cls("threads", workers, None, None)

    def sized(self) -> "Scheduling":
        """Blocks sized to what one worker has: on SLURM a worker job's cores and memory."""
        if self.scheduler != SLURM:
            return self
        return Scheduling(self.scheduler, self.slurm.cores, self.slurm.mem_mb, self.slurm,
                          self.worker_logs)


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

    ``slurm`` (required for ``slurm``) and ``log_directory`` (of the worker jobs' output)
    apply to ``slurm`` only.
    """
    check(scheduler)
    if scheduler in LOCAL:
        log.info("Dask scheduler: %s, %d workers", scheduler, workers)
        with dask.config.set(scheduler=scheduler, num_workers=workers):
            yield
        return
    if scheduler == SLURM:
        with slurm_client(slurm, log_directory) as client:
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
