"""The container image: lint-clean recipe; built and run on a small workflow (opt-in).

Building needs root, Debian's docker.io and debootstrap, and PyPI; it runs only with
SEEDFLOW_TEST_CONTAINERS=1 (README, "Running on a cluster"). It starts its own Docker daemon
in a temporary folder, makes a Debian 12 base image locally (nothing is pulled) and passes it
as BASE. Each phase logs its time (pytest -o log_cli=true --log-cli-level=INFO).
"""

import contextlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPO
from test_workflow import TINY

HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
# tests/tiny.yaml for one subject without the optional feature GAN: still simulate, ingest,
# features, a model, the signal GAN and every report, in fewer jobs.
SMALL = ("simulation:\n  subjects: 1\nsynthesis:\n  feature_gan:\n    enabled: false\n"
         "  augmentation:\n    enabled: false\n")
log = logging.getLogger(__name__)


@contextlib.contextmanager
def phase(name: str):
    start = time.monotonic()
    yield
    log.info("%s: %.0f s", name, time.monotonic() - start)


def test_dockerfile_is_hadolint_clean():
    hadolint = Path(sys.executable).parent / "hadolint"
    result = subprocess.run([str(hadolint), str(REPO / "containers" / "Dockerfile")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def docker_env():
    if os.environ.get("SEEDFLOW_TEST_CONTAINERS") != "1":
        pytest.skip("container build is opt-in: set SEEDFLOW_TEST_CONTAINERS=1")
    missing = [p for p in ("dockerd", "docker", "debootstrap") if shutil.which(p) is None]
    if missing or os.geteuid() != 0:
        pytest.skip(f"needs root and Debian's docker.io and debootstrap (missing: {missing})")
    root = Path(tempfile.mkdtemp(prefix="seedflow-docker-"))
    env = {**os.environ, "DOCKER_HOST": f"unix://{root}/docker.sock", "DOCKER_BUILDKIT": "0"}
    daemon_log = open(root / "dockerd.log", "w")
    daemon = subprocess.Popen(
        ["dockerd", "--data-root", str(root / "data"), "--exec-root", str(root / "exec"),
         "--pidfile", str(root / "dockerd.pid"), "-H", env["DOCKER_HOST"],
         "--iptables=false", "--bridge=none"],
        stdout=daemon_log, stderr=subprocess.STDOUT)
    try:
        for _ in range(60):
            if subprocess.run(["docker", "info"], env=env, capture_output=True).returncode == 0:
                break
            time.sleep(1)
        else:
            pytest.fail(f"dockerd did not start: {(root / 'dockerd.log').read_text()[-2000:]}")
        yield env, root
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        daemon_log.close()
        netns = root / "exec" / "netns" / "default"  # dockerd leaves it mounted, maybe twice
        for _ in range(5):
            if os.path.ismount(netns):
                subprocess.run(["umount", str(netns)], capture_output=True)
        with phase("clean-up (daemon's data)"):
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def image(docker_env):
    """seedflow:test built from a Debian 12 base image made here with debootstrap."""
    env, root = docker_env
    rootfs = root / "rootfs"
    with phase("base image (debootstrap)"):
        subprocess.run(["debootstrap", "--variant=minbase", "--include=python3,python3-venv",
                        "bookworm", str(rootfs)], check=True, capture_output=True)
    with phase("docker import"):
        subprocess.run(f"tar -C {rootfs} -c . | docker import - local/bookworm-python",
                       shell=True, check=True, env=env, capture_output=True)
        shutil.rmtree(rootfs)
    context = root / "context"
    shutil.copytree(REPO, context, ignore=shutil.ignore_patterns(
        ".git", ".venv", "results", ".snakemake", "__pycache__", "*.crt"))
    if HOST_CA_BUNDLE.exists():  # pip in the build trusts what the host trusts
        shutil.copy(HOST_CA_BUNDLE, context / "containers" / "certs" / "ca.crt")
    with phase("docker build"):
        build = subprocess.run(
            ["docker", "build", "--network", "host", "-f", "containers/Dockerfile",
             "--build-arg", "BASE=local/bookworm-python", "-t", "seedflow:test", "."],
            cwd=context, env=env, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout[-5000:] + build.stderr[-3000:]
    return "seedflow:test"


@pytest.mark.slow
def test_tiny_workflow_runs_inside_the_image(docker_env, image, tmp_path):
    env, _ = docker_env
    (tmp_path / "small.yaml").write_text(SMALL)
    with phase("workflow in the container"):
        run = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "-v", f"{tmp_path}:/work",
             "-v", f"{TINY}:/config/tiny.yaml:ro", image,
             "snakemake", "--snakefile", "/opt/seedflow/Snakefile", "--cores", "2",
             "--configfile", "/config/tiny.yaml", "/work/small.yaml"],
            env=env, capture_output=True, text=True, timeout=1200)
    assert run.returncode == 0, run.stderr[-5000:]
    results = tmp_path / "results"
    records = {r["model"]: r for r in
               json.loads((results / "summary" / "metrics.json").read_text())}
    assert records.keys() == {"cnn4d", "signal_gan"}
    assert records["cnn4d"]["n_folds"] == 1 and 0 <= records["cnn4d"]["accuracy_mean"] <= 1
    assert "Software versions" in (results / "summary" / "report.html").read_text()
    assert (results / "reports" / "sub-1.html").is_file()
    assert (results / "features" / "sub-1" / "ses-1.zarr" / "de").is_dir()
    assert (results / "synthetic" / "signal_gan" / "pooled" / "quality.json").is_file()
