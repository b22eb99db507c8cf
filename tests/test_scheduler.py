import dask
import dask.array as da
import pytest

from seedflow.features import scheduling
from seedflow.errors import SeedflowError


@pytest.mark.parametrize("name", ["threads", "synchronous"])
def test_local_schedulers_compute(name):
    x = da.arange(100, chunks=10)
    with scheduling.dask_scheduler(name, 2):
        assert dask.config.get("scheduler") == name
        assert int(x.sum().compute()) == 4950


def test_unknown_scheduler_names_the_key():
    with pytest.raises(SeedflowError, match="features.scheduler: 'gpu'"):
        with scheduling.dask_scheduler("gpu", 1):
            pass


def test_distributed_address_needs_a_reachable_scheduler():
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        with pytest.raises(SeedflowError, match="cannot reach"):
            with scheduling.dask_scheduler("tcp://127.0.0.1:1", 1):
                pass


def test_slurm_worker_settings_from_the_default_config():
    from seedflow.config import load
    from seedflow.features.scheduling import SlurmWorkers

    from conftest import REPO

    import dataclasses

    config = load(REPO / "config" / "config.yaml")
    section = config["features"]["slurm"]
    workers = SlurmWorkers.from_config(config)
    assert dataclasses.asdict(workers) == {
        **section, "job_extra_directives": tuple(section["job_extra_directives"])}
    assert dataclasses.replace(workers, runtime=90).walltime() == "01:30:00"
    config["features"]["slurm"]["job_extra_directives"] = ["--qos=short"]
    custom = SlurmWorkers.from_config(config)
    assert custom.job_extra_directives == ("--qos=short",)
