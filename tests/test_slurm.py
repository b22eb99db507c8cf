"""The workflow through Snakemake's SLURM executor on a one-node cluster on localhost.

Needs Debian's slurm-wlm, munge and slurm-client and root (CI installs them, see .ci/run);
skipped with the reason otherwise. The cluster starts once per test session.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import yaml
import zarr

from conftest import REPO
from localslurm import LocalSlurm, missing_programs
from test_workflow import TINY, snakemake
from specs import slurm_workers

PROFILE = REPO / "profiles" / "slurm-localhost"
# tests/tiny.yaml with one subject, so the run fits the test-time budget.
ONE_SUBJECT = "simulation:\n  subjects: 1\n"


@pytest.fixture(scope="session")
def local_slurm():
    if missing := missing_programs():
        pytest.skip(f"SLURM not installed (missing {', '.join(missing)}; on Debian: "
                    "apt-get install slurm-wlm munge slurm-client)")
    if os.geteuid() != 0:
        pytest.skip("a local SLURM cluster needs root")
    # Not under pytest's private temporary folder: munged runs as user munge.
    root = Path(tempfile.mkdtemp(prefix="seedflow-slurm-"))
    cluster = LocalSlurm(root)
    try:
        cluster.start()
    except RuntimeError as err:
        cluster.stop()
        shutil.rmtree(root)
        pytest.skip(str(err))
    yield cluster
    cluster.stop()
    shutil.rmtree(root)


def slurm_jobs() -> dict[str, tuple[str, str]]:
    """SLURM job id -> (rule, state) of every job the cluster remembers."""
    out = subprocess.run(["squeue", "-h", "-t", "all", "-o", "%i|%k|%T"], check=True,
                         capture_output=True, text=True).stdout
    jobs = {}
    for line in out.splitlines():
        job_id, comment, state = line.split("|")
        if rule := re.match(r"rule_([a-z_]+?)(_wildcards_.*)?$", comment):
            jobs[job_id] = (rule.group(1), state)
    return jobs


def planned_jobs(output: str) -> Counter:
    """Rule -> job count from the 'Job stats' table Snakemake prints."""
    table = output.split("Job stats:")[1].split("total")[0]
    return Counter({f[0]: int(f[1]) for f in map(str.split, table.splitlines())
                    if len(f) == 2 and f[1].isdigit()})


def same_results(a: Path, b: Path) -> None:
    """Two results folders hold the same numbers: metrics, predictions, features, GAN."""
    names = ("summary/metrics.json", "synthetic/signal_gan/pooled/quality.json",
             "synthetic/signal_gan/pooled/losses.csv")
    folds = sorted(p.relative_to(a) for p in (a / "models").rglob("*.json"))
    folds += sorted(p.relative_to(a) for p in (a / "models").rglob("predictions.csv"))
    for name in [*names, *map(str, folds)]:
        assert (a / name).read_text() == (b / name).read_text(), name
    stores = sorted((a / "features").glob("*/*.zarr"))
    assert stores
    for store in stores:
        left, right = zarr.open_group(store, mode="r"), zarr.open_group(
            b / store.relative_to(a), mode="r")
        for name in ("de", "psd"):
            np.testing.assert_array_equal(left[name][:], right[name][:], err_msg=str(store))


@pytest.mark.slow
def test_tiny_run_on_slurm_equals_local_run(local_slurm, tmp_path):
    (tmp_path / "slurm").mkdir()
    (tmp_path / "local").mkdir()
    one_subject = tmp_path / "one_subject.yaml"
    one_subject.write_text(ONE_SUBJECT)
    configs = ("--configfile", str(TINY), str(one_subject))
    known = set(slurm_jobs())

    # The local run goes alongside: the SLURM run mostly waits for squeue polls.
    with ThreadPoolExecutor(1) as pool:
        local = pool.submit(snakemake, tmp_path / "local", "--cores", "2", *configs)
        on_slurm = snakemake(tmp_path / "slurm", "--profile", str(PROFILE), *configs)
        local = local.result()
    assert on_slurm.returncode == 0, on_slurm.stderr[-5000:]
    assert local.returncode == 0, local.stderr[-5000:]

    jobs = {i: job for i, job in slurm_jobs().items() if i not in known}
    plan = planned_jobs(on_slurm.stdout + on_slurm.stderr)
    plan.pop("all")  # a local rule: it runs nothing
    assert Counter(rule for rule, _ in jobs.values()) == plan
    assert {state for _, state in jobs.values()} == {"COMPLETED"}
    logs = tmp_path / "slurm" / "results" / "logs"
    gpu_logs = {log: "train" for log in (logs / "train").glob("*.log")}
    gpu_logs[logs / "signal_gan" / "pooled.log"] = "signal_gan"
    for log, rule in gpu_logs.items():
        job = re.search(r"sees \d+ GPU\(s\).*; SLURM job (\d+)", log.read_text()).group(1)
        assert jobs[job][0] == rule, log
    local_gan_log = tmp_path / "local" / "results" / "logs" / "signal_gan" / "pooled.log"
    assert "not a SLURM job" in local_gan_log.read_text()

    same_results(tmp_path / "slurm" / "results", tmp_path / "local" / "results")


# The feature stage with `features.scheduler: slurm`: Dask workers as SLURM jobs.
SLURM_WORKERS = """\
features:
  scheduler: slurm
  slurm: {workers: 2, cores: 1, mem_mb: 1000, runtime: 10, start_timeout: 120}
"""


def squeue_states(job_ids) -> dict[str, tuple[str, str]]:
    """SLURM job id -> (job name, state), from squeue."""
    out = subprocess.run(["squeue", "-h", "-t", "all", "-j", ",".join(job_ids),
                          "-o", "%i|%j|%T"], check=True, capture_output=True, text=True).stdout
    return {i: (name, state) for i, name, state in
            (line.split("|") for line in out.splitlines())}


def ended(job_ids, timeout: float = 30) -> dict[str, tuple[str, str]]:
    """squeue_states once no job is COMPLETING (SLURM still ending it)."""
    deadline = time.monotonic() + timeout
    while True:
        states = squeue_states(job_ids)
        if all(state != "COMPLETING" for _, state in states.values()):
            return states
        assert time.monotonic() < deadline, f"jobs {job_ids} never ended"
        time.sleep(0.5)


@pytest.mark.slow
def test_feature_stage_on_slurm_workers_equals_threads(local_slurm, tmp_path):
    from seedflow.config import load as load_config
    from seedflow.features.extraction import compute_session
    from seedflow.features.scheduling import Scheduling
    from seedflow.features.spec import FeatureSpec
    from seedflow.stores.ingest import IngestStore

    config = tmp_path / "slurm_workers.yaml"
    config.write_text(ONE_SUBJECT + SLURM_WORKERS)
    configs = ("--configfile", str(TINY), str(config))
    ingest = snakemake(tmp_path, "results/ingest/sub-1/ses-1.zarr", "--cores", "2", *configs)
    assert ingest.returncode == 0, ingest.stderr[-5000:]
    known = set(slurm_jobs())
    # The features job is itself a SLURM job, which submits the worker jobs.
    run = snakemake(tmp_path, "results/features/sub-1/ses-1.zarr", "--profile", str(PROFILE),
                    *configs)
    assert run.returncode == 0, run.stderr[-5000:]
    assert [rule for job, rule in slurm_jobs().items() if job not in known] == [
        ("features", "COMPLETED")]

    log = (tmp_path / "results" / "logs" / "features" / "sub-1_ses-1.log").read_text()
    started = re.search(r"Dask scheduler (tcp://\S+) with 2 SLURM worker job\(s\).*: "
                        r"SLURM jobs (\d+), (\d+)", log)
    assert started, log[-3000:]
    address, jobs = started.group(1), started.groups()[1:]
    # Both worker jobs ran under the workflow's job name and were cancelled at the end.
    assert ended(jobs) == {job: ("seedflow-dask", "CANCELLED") for job in jobs}
    assert f"SLURM worker jobs {', '.join(jobs)} cancelled" in log
    worker_logs = tmp_path / "results" / "logs" / "features" / "sub-1_ses-1.dask-workers"
    # (On 2 cores the features job and one worker fill the node: the other may never start.)
    outputs = [worker_logs / f"seedflow-dask-{job}.err" for job in jobs]
    joined = [out for out in outputs if out.exists()
              and re.search(rf"Registered to:\s+{address}\n", out.read_text())]
    assert joined, "no worker job joined the rule's scheduler"

    # tests/tiny.yaml keeps the default feature settings.
    assert "features" not in yaml.safe_load(TINY.read_text())
    spec = FeatureSpec.from_config(load_config(REPO / "config" / "config.yaml"))
    store = IngestStore.open(tmp_path / "results" / "ingest" / "sub-1" / "ses-1.zarr")
    on_threads = compute_session(store, spec, Scheduling.local(2))
    on_slurm = zarr.open_group(tmp_path / "results" / "features" / "sub-1" / "ses-1.zarr",
                               mode="r")
    for name in ("de", "psd", "trial_id", "label", "window_start"):
        np.testing.assert_array_equal(on_slurm[name][:], on_threads[name], err_msg=name)


def test_slurm_worker_jobs_are_cancelled_when_the_block_fails(local_slurm, tmp_path):
    from seedflow.features.scheduling import dask_scheduler

    spec = slurm_workers(workers=1, mem_mb=500, runtime=5, start_timeout=120)
    with pytest.raises(ZeroDivisionError):
        with dask_scheduler("slurm", 1, spec, tmp_path):
            jobs = re.findall(r"seedflow-dask-(\d+)\.", " ".join(
                p.name for p in tmp_path.iterdir()))
            assert jobs and squeue_states(jobs)[jobs[0]][1] == "RUNNING"
            1 / 0
    assert {state for _, state in ended(jobs).values()} == {"CANCELLED"}


def test_a_worker_job_slurm_refuses_stops_at_once(local_slurm, tmp_path):
    from seedflow.errors import SeedflowError
    from seedflow.features.scheduling import dask_scheduler

    spec = slurm_workers(workers=1, mem_mb=500, partition="no-such-partition")
    with pytest.raises(SeedflowError, match="features.slurm: SLURM refuses .*partition"):
        with dask_scheduler("slurm", 1, spec, tmp_path):
            pass
