"""Training mechanics: resume after a kill, checkpoints invalidated by new settings, and
data-parallel training (TensorFlow MirroredStrategy over 2 logical CPU devices, JAX
DataParallel over 2 host CPU devices) matching one device."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from recognition_data import make_sessions

from seedflow import protocols, simulate, train
from seedflow.representations import Session

SETTINGS = {"seed": 0, "train_trials": 3, "learning_rate": 1e-3, "epochs": 4,
            "batch_size": 32}
FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))

# Runs train_fold in a fresh process for each settings in turn: args = JSON [features,
# out, checkpoints, [settings, ...], kill_after_epoch or null, logical CPUs, model]. Under
# JAX the CPU devices come from XLA_FLAGS (see test_jax_data_parallel...).
RUNNER = """
import json, logging, os, signal, sys
args = json.loads(sys.argv[1])
logging.basicConfig(level=logging.INFO)
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args[5])
from pathlib import Path
from seedflow import protocols, train
from seedflow.representations import Session

class Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == args[4]:
            os.kill(os.getpid(), signal.SIGKILL)

fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
for i, settings in enumerate(args[3]):
    result = train.train_fold(args[6], fold, [Session("1", "1", Path(args[0]))],
                              Path(args[1]) / str(i), settings,
                              checkpoint_dir=Path(args[2]) / str(i), callbacks=[Kill()])
    print("RESULT", json.dumps(result))
"""


def run_in_process(features, out, checkpoints, settings: list, kill_after=None, cpus=1,
                   model="cnn4d", env=None):
    args = json.dumps([str(features), str(out), str(checkpoints), settings, kill_after, cpus,
                       model])
    return subprocess.run([sys.executable, "-c", RUNNER, args], capture_output=True,
                          text=True, timeout=600, env=env)


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    spec = simulate.SimulationSpec(subjects=1, sessions=1, trials_per_session=6,
                                   trial_seconds=20, effect_size=2.0, seed=5)
    return make_sessions(tmp_path_factory.mktemp("training"), spec)[0].features


def _epochs(path: Path) -> list[int]:
    return [int(line.split(",")[0]) for line in path.read_text().splitlines()[1:]]


class Stop(Exception):
    pass


def test_rerun_after_a_kill_continues_from_the_last_epoch(features, tmp_path):
    import keras

    killed = run_in_process(features, tmp_path / "out", tmp_path / "checkpoints", [SETTINGS],
                            kill_after=1)
    assert killed.returncode == -9, killed.stderr[-2000:]
    assert not (tmp_path / "out" / "0" / "metrics.json").exists()
    checkpoints = tmp_path / "checkpoints" / "0"
    (saved,) = checkpoints.iterdir()
    assert json.loads((saved / "backup" / "training_metadata.json").read_text())["epoch"] == 2

    session = [Session("1", "1", features)]
    resumed = train.train_fold("cnn4d", FOLD, session, tmp_path / "out", SETTINGS,
                               checkpoint_dir=checkpoints)
    assert resumed["resumed_from_epoch"] == 2 and resumed["epochs_run"] == 4
    assert _epochs(tmp_path / "out" / "history.csv") == [0, 1, 2, 3]
    assert resumed["accuracy"] > 0.6
    assert not checkpoints.exists()  # removed once the fold is complete

    # New settings: the old checkpoint is discarded and training starts from epoch 0.
    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Stop

    with pytest.raises(Stop):
        train.train_fold("cnn4d", FOLD, session, tmp_path / "a", SETTINGS,
                         checkpoint_dir=checkpoints, callbacks=[StopAfterFirstEpoch()])
    changed = {**SETTINGS, "learning_rate": 2e-3}
    fresh = train.train_fold("cnn4d", FOLD, session, tmp_path / "b", changed,
                             checkpoint_dir=checkpoints)
    assert fresh["resumed_from_epoch"] == 0
    assert _epochs(tmp_path / "b" / "history.csv") == [0, 1, 2, 3]


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(features, tmp_path):
    runs = [{**SETTINGS, "epochs": 3, "batch_size": per_replica, "replicas": replicas}
            for replicas, per_replica in ((1, 32), (2, 16))]
    run = run_in_process(features, tmp_path / "out", tmp_path / "checkpoints", runs, cpus=2)
    assert run.returncode == 0, run.stderr[-3000:]
    one, two = [json.loads(x.removeprefix("RESULT ")) for x in run.stdout.splitlines()
                if x.startswith("RESULT")]
    assert two["replicas"] == 2 and two["global_batch_size"] == 32 and one["replicas"] == 1
    assert one["accuracy"] > 0.6 and two["accuracy"] > 0.6
    assert abs(one["accuracy"] - two["accuracy"]) < 0.15


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="jax is not installed")
def test_jax_data_parallel_on_two_cpu_devices_matches_one_device(features, tmp_path):
    """keras.distribution.DataParallel over 2 forced host CPU devices: the log names both,
    the global batch is per-replica x 2 and the accuracy matches a 1-device JAX run."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "CUDA_VISIBLE_DEVICES": "",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    runs = [{**SETTINGS, "epochs": 4, "batch_size": per_replica, "replicas": replicas}
            for replicas, per_replica in ((2, 16), (1, 32))]
    run = run_in_process(features, tmp_path / "out", tmp_path / "checkpoints", runs,
                         model="dnn", env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    two, one = [json.loads(x.removeprefix("RESULT ")) for x in run.stdout.splitlines()
                if x.startswith("RESULT")]
    assert "data-parallel training over 2 devices" in run.stderr
    assert "jax backend, 2 replica(s): global batch 32 = 16 per replica x 2" in run.stderr
    assert "jax backend, 1 replica(s): global batch 32" in run.stderr
    assert two["replicas"] == 2 and two["global_batch_size"] == 32 and one["replicas"] == 1
    assert one["accuracy"] > 0.6 and two["accuracy"] > 0.6
    assert abs(one["accuracy"] - two["accuracy"]) < 0.15


def test_batches_split_evenly_over_devices():
    """With multiple_of=2, training batches drop the odd sample (a different one each
    epoch) and evaluation batches are padded with weight 0."""
    from seedflow.batches import Batches

    x, y = np.arange(7, dtype="float32")[:, None], np.arange(7)
    training = Batches(x, y, np.arange(7), 4, seed=0, multiple_of=2)
    seen = []
    for _ in range(3):
        batches = [training[i] for i in range(len(training))]
        assert [len(b[1]) for b in batches] == [4, 2]
        seen.append(sorted(np.concatenate([b[1] for b in batches])))
        training.on_epoch_end()
    assert len({tuple(s) for s in seen}) > 1
    evaluation = Batches(x, y, np.arange(7), 4, multiple_of=2)
    (x0, y0, w0), (x1, y1, w1) = evaluation[0], evaluation[1]
    assert list(y1) == [4, 5, 6, 6] and list(w1) == [1, 1, 1, 0] and list(w0) == [1] * 4
    assert len(Batches(x, y, np.arange(7), 4)[1]) == 2  # one device: as given
