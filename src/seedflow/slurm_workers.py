"""Dask workers submitted as SLURM jobs for one stage (``features.scheduler: slurm``).

A ``dask_jobqueue.SLURMCluster`` runs its scheduler in the calling process (the Snakemake
job) and submits ``workers`` jobs with ``sbatch``; each job runs one Dask worker with
``cores`` threads. :func:`slurm_client` closes the cluster, which cancels the jobs
(``scancel``), when its block ends, normally or by an error.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)

JOB_NAME = "seedflow-dask"


@dataclass(frozen=True)
class SlurmWorkers:
    """What each worker job asks of SLURM (config ``features.slurm``)."""

    workers: int = 2
    cores: int = 1
    mem_mb: int = 4000
    runtime: int = 60
    partition: str | None = None
    account: str | None = None
    interface: str | None = None
    job_extra_directives: tuple[str, ...] = field(default_factory=tuple)
    start_timeout: float = 600

    @classmethod
    def from_config(cls, section: dict | None) -> "SlurmWorkers":
        section = dict(section or {})
        section["job_extra_directives"] = tuple(section.get("job_extra_directives") or ())
        return cls(**section)

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
