import dask
import dask.array as da
import pytest

from seedflow import scheduler
from seedflow.errors import SeedflowError


@pytest.mark.parametrize("name", ["threads", "synchronous"])
def test_local_schedulers_compute(name):
    x = da.arange(100, chunks=10)
    with scheduler.dask_scheduler(name, 2):
        assert dask.config.get("scheduler") == name
        assert int(x.sum().compute()) == 4950


def test_unknown_scheduler_names_the_key():
    with pytest.raises(SeedflowError, match="features.scheduler: 'gpu'"):
        with scheduler.dask_scheduler("gpu", 1):
            pass


def test_distributed_address_needs_a_reachable_scheduler():
    try:
        import distributed  # noqa: F401
        match = "cannot reach"
    except ImportError:
        match = "pip install distributed"
    with pytest.raises(SeedflowError, match=match):
        with scheduler.dask_scheduler("tcp://127.0.0.1:1", 1):
            pass
