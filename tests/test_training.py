"""Training mechanics: exact resume after a kill (at any epoch, with early stopping, during
the final writes), damaged checkpoints discarded, checkpoints invalidated by new settings, and
data-parallel training (TensorFlow MirroredStrategy over 2 logical CPU devices, JAX
DataParallel over 2 host CPU devices) matching one device."""

import errno
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import simulation_spec
from recognition_data import make_sessions
from specs import train_spec

from seedflow.recognition import protocols
from seedflow.recognition import train
from seedflow.recognition.representations import Session

SETTINGS = {"seed": 0, "train_trials": 3, "learning_rate": 1e-3, "epochs": 4,
            "batch_size": 16}
# Early stopping that ends training before the last epoch, some epochs after the best one
# (on these data: best validation loss after epoch 4, stops after epoch 6 of 8).
EARLY_STOPPING = {**SETTINGS, "train_trials": 6, "validation_trials": 1, "patience": 2,
                  "learning_rate": 3e-3, "epochs": 8}
FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))

# Runs train_fold in a fresh process for each job in turn: args = JSON [features, jobs (each
# [settings, out, checkpoints]), kill, logical CPUs, model, the tests' folder]. kill: an epoch after which the
# process kills itself (SIGKILL, after the epoch's checkpoint is written), or "writes": once
# model.keras and predictions.csv are written, before metrics.json. Under JAX the CPU
# devices come from XLA_FLAGS (see test_jax_data_parallel...).
RUNNER = """
import json, logging, os, signal, sys
args = json.loads(sys.argv[1])
logging.basicConfig(level=logging.INFO)
import keras
if keras.backend.backend() == "tensorflow":
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * args[3])
from pathlib import Path
from seedflow.recognition import protocols
from seedflow.recognition import train
from seedflow.recognition.representations import Session
sys.path.insert(0, args[5])  # the tests' folder
from specs import train_spec

kill = args[2]
class Kill(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == kill:
            os.kill(os.getpid(), signal.SIGKILL)

write_predictions = train.write_predictions
def write_then_die(path, *rest):
    write_predictions(path, *rest)
    if kill == "writes" and path.name == "predictions.csv":
        os.kill(os.getpid(), signal.SIGKILL)
train.write_predictions = write_then_die

fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
for settings, out, checkpoints in args[1]:
    result = train.train_fold(model=args[4], fold=fold,
                              sessions=[Session("1", "1", Path(args[0]))], out_dir=Path(out),
                              spec=train_spec(args[4], settings, fold.protocol),
                              checkpoint_dir=Path(checkpoints), callbacks=[Kill()])
    print("RESULT", json.dumps(result))
"""


def run_in_process(features, jobs: list[tuple[dict, Path, Path]], kill=None, cpus=1,
                   model="cnn4d", env=None) -> subprocess.CompletedProcess:
    """Train ``jobs`` (settings, out, checkpoints) one after the other in a fresh process."""
    args = json.dumps([str(features), [[s, str(o), str(c)] for s, o, c in jobs], kill, cpus,
                       model, str(Path(__file__).parent)])
    return subprocess.run([sys.executable, "-c", RUNNER, args], capture_output=True,
                          text=True, timeout=600, env=env)


def results(run: subprocess.CompletedProcess) -> list[dict]:
    assert run.returncode == 0, run.stderr[-3000:]
    return [json.loads(line.removeprefix("RESULT ")) for line in run.stdout.splitlines()
            if line.startswith("RESULT")]


@pytest.fixture(scope="module")
def features(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=9,
                                   trial_seconds=20, effect_size=2.0, seed=5)
    return make_sessions(tmp_path_factory.mktemp("training"), spec)[0].features


@pytest.fixture(scope="module")
def uninterrupted(features, tmp_path_factory) -> dict:
    """Name -> (fold folder, result) of uninterrupted runs, in a fresh process."""
    root = tmp_path_factory.mktemp("uninterrupted")
    runs = {"plain": SETTINGS, "early_stopping": EARLY_STOPPING}
    done = results(run_in_process(features, [(settings, root / name, root / f"{name}.ckpt")
                                              for name, settings in runs.items()]))
    return {name: (root / name, result) for name, result in zip(runs, done)}


def _epochs(path: Path) -> list[int]:
    return [int(line.split(",")[0]) for line in path.read_text().splitlines()[1:]]


def _killed(run: subprocess.CompletedProcess, out: Path) -> None:
    assert run.returncode == -9, run.stderr[-2000:]
    assert not (out / "metrics.json").exists()


def assert_same_fold(out: Path, result: dict, reference: tuple[Path, dict]) -> None:
    """The fold in ``out`` is the uninterrupted one: model weights bitwise equal, history
    and predictions files identical, the same metrics (how training was resumed aside)."""
    import keras

    import seedflow.models.layers  # noqa: F401  (registers the custom layers model.keras holds)

    expected, expected_result = reference
    for name in ("history.csv", "predictions.csv", "validation_predictions.csv"):
        assert (out / name).read_text() == (expected / name).read_text(), name
    def same(a: dict, b: dict) -> bool:
        return ({k: v for k, v in a.items() if k != "resumed_from_epoch"}
                == {k: v for k, v in b.items() if k != "resumed_from_epoch"})

    assert same(*(json.loads((d / "metrics.json").read_text()) for d in (out, expected)))
    assert same(result, expected_result)
    weights, expected_weights = (keras.saving.load_model(d / "model.keras").get_weights()
                                 for d in (out, expected))
    assert len(weights) == len(expected_weights)
    for a, b in zip(weights, expected_weights):
        np.testing.assert_array_equal(a, b)


@pytest.fixture(scope="module")
def killed_after_epoch_1(features, tmp_path_factory) -> Path:
    """The checkpoint folder of a fold (``SETTINGS``) killed after its second epoch."""
    root = tmp_path_factory.mktemp("killed")
    _killed(run_in_process(features, [(SETTINGS, root / "out", root / "checkpoints")],
                           kill=1), root / "out")
    return root / "checkpoints"


def test_rerun_after_a_kill_continues_exactly_from_the_last_epoch(killed_after_epoch_1,
                                                                  uninterrupted, features,
                                                                  tmp_path):
    """Killed after epoch 2 of 4 and rerun in a new process: the uninterrupted result (the
    dropout layers' random state, the optimizer's moments and the history are restored)."""
    checkpoints = tmp_path / "checkpoints"
    shutil.copytree(killed_after_epoch_1, checkpoints)
    (rerun,) = results(run_in_process(features, [(SETTINGS, tmp_path / "out", checkpoints)]))
    assert rerun["resumed_from_epoch"] == 2 and rerun["epochs_run"] == 4
    assert _epochs(tmp_path / "out" / "history.csv") == [0, 1, 2, 3]
    assert_same_fold(tmp_path / "out", rerun, uninterrupted["plain"])
    assert not checkpoints.exists()  # removed once the fold is complete


def test_a_damaged_checkpoint_is_discarded_with_its_name(killed_after_epoch_1, uninterrupted,
                                                        features, tmp_path):
    """Every file of the fold's checkpoint truncated to half, or overwritten in its middle:
    the rerun logs which file it discards, trains afresh and ends as an uninterrupted run."""
    jobs, damaged = [], []
    for damage in ("truncated", "overwritten"):
        checkpoints = tmp_path / damage / "checkpoints"
        shutil.copytree(killed_after_epoch_1, checkpoints)
        for path in sorted(p for p in checkpoints.rglob("*") if p.is_file()):
            data = bytearray(path.read_bytes())
            if damage == "truncated":
                data = data[:len(data) // 2]
            else:
                middle = len(data) // 2
                data[middle:middle + 4096] = np.random.default_rng(0).bytes(
                    len(data[middle:middle + 4096]))
            path.write_bytes(bytes(data))
            damaged.append(path)
        jobs.append((SETTINGS, tmp_path / damage / "out", checkpoints))
    run = run_in_process(features, jobs)
    for path in damaged:
        assert f"discarding checkpoint {path}: " in run.stderr
    for (_, out, checkpoints), rerun in zip(jobs, results(run)):
        assert rerun["resumed_from_epoch"] == 0
        assert_same_fold(out, rerun, uninterrupted["plain"])
        assert not checkpoints.exists()


def test_early_stopping_state_is_restored_after_a_kill(uninterrupted, features, tmp_path):
    """Killed between the best epoch and the one that stops training: the rerun must know
    the best loss, its weights and the epochs waited since, to stop where the uninterrupted
    run stopped and keep the same weights."""
    reference, reference_result = uninterrupted["early_stopping"]
    losses = [float(line.split(",")[-1])
              for line in (reference / "history.csv").read_text().splitlines()[1:]]
    best, last = int(np.argmin(losses)), len(losses) - 1
    assert best + 1 < last < EARLY_STOPPING["epochs"] - 1  # what makes this a test
    _killed(run_in_process(features, [(EARLY_STOPPING, tmp_path / "out",
                                       tmp_path / "checkpoints")], kill=best + 1),
            tmp_path / "out")
    (rerun,) = results(run_in_process(features, [(EARLY_STOPPING, tmp_path / "out",
                                                  tmp_path / "checkpoints")]))
    assert rerun["resumed_from_epoch"] == best + 2
    assert_same_fold(tmp_path / "out", rerun, uninterrupted["early_stopping"])


def test_kill_after_the_last_epoch_or_during_the_final_writes(uninterrupted, features,
                                                              tmp_path):
    """Killed after the epoch that stops training, or after model.keras and predictions.csv
    are written: the rerun (after Snakemake's --rerun-incomplete removed the outputs)
    trains no epoch and ends with the uninterrupted result, best weights included."""
    epochs_run = uninterrupted["early_stopping"][1]["epochs_run"]
    jobs = []
    for kill in (epochs_run - 1, "writes"):
        out, checkpoints = tmp_path / str(kill) / "out", tmp_path / str(kill) / "checkpoints"
        _killed(run_in_process(features, [(EARLY_STOPPING, out, checkpoints)], kill=kill),
                out)
        shutil.rmtree(out)
        jobs.append((EARLY_STOPPING, out, checkpoints))
    assert (tmp_path / "writes" / "checkpoints").is_dir()
    for (_, out, _), rerun in zip(jobs, results(run_in_process(features, jobs))):
        assert rerun["resumed_from_epoch"] == epochs_run == rerun["epochs_run"]
        assert_same_fold(out, rerun, uninterrupted["early_stopping"])


def test_checkpoint_restores_every_variable_or_is_discarded_if_it_does_not_fit(tmp_path,
                                                                               caplog):
    """A checkpoint restores weights, dropout seed states and optimizer slots into the same
    architecture; one of another architecture is discarded, naming the mismatch."""
    import keras

    from seedflow.checkpoints import EpochCheckpoint

    def model(units: int) -> keras.Model:
        inputs = keras.Input((3,))
        hidden = keras.layers.Dropout(0.5)(keras.layers.Dense(units)(inputs))
        built = keras.Model(inputs, keras.layers.Dense(2)(hidden))
        built.compile(optimizer="adam", loss="mse")
        built.optimizer.build(built.trainable_variables)
        return built

    path, saved = tmp_path / "checkpoint.npz", model(4)
    saved.fit(np.ones((8, 3)), np.ones((8, 2)), epochs=1, verbose=0)  # moves seeds, slots
    writer = EpochCheckpoint(path)
    writer.set_model(saved)
    writer.on_epoch_end(0, {"loss": 0.5})
    same = model(4)
    reader = EpochCheckpoint(path)
    assert reader.restore(same, epochs=3) and reader.history == [{"epoch": 0, "loss": 0.5}]
    for a, b in zip([*same.variables, *same.optimizer.variables],
                    [*saved.variables, *saved.optimizer.variables], strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with caplog.at_level("WARNING"):
        assert not EpochCheckpoint(path).restore(model(5), epochs=3)
    assert f"discarding checkpoint {path}: CheckpointError: 'model' variable " in caplog.text
    assert "(3, 4)" in caplog.text and "(3, 5)" in caplog.text and not path.exists()


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    """A full disk while writing: one seedflow error naming the file; the previous
    checkpoint is intact and no temporary file is left."""
    from seedflow import checkpoints
    from seedflow.errors import SeedflowError

    path = tmp_path / "checkpoint.npz"
    checkpoints.save(path, {"epoch": 0}, {"v": (["w"], [np.zeros((1, 2))])})
    before = path.read_bytes()

    def full_disk(file, **arrays):
        file.write(b"PK\x03\x04 half a checkpoint")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(np, "savez", full_disk)
    with pytest.raises(SeedflowError, match=f"checkpoint {path}: .*No space left"):
        checkpoints.save(path, {"epoch": 1}, {"v": (["w"], [np.ones((1, 2))])})
    assert path.read_bytes() == before and list(tmp_path.iterdir()) == [path]


class Stop(Exception):
    pass


def test_checkpoint_of_other_settings_is_discarded(features, tmp_path):
    import keras

    class StopAfterFirstEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            raise Stop

    session, checkpoints = [Session("1", "1", features)], tmp_path / "checkpoints"
    with pytest.raises(Stop):
        train.train_fold(model="cnn4d", fold=FOLD, sessions=session, out_dir=tmp_path / "a", spec=train_spec("cnn4d", SETTINGS, FOLD.protocol), checkpoint_dir=checkpoints, callbacks=[StopAfterFirstEpoch()])
    assert len(list(checkpoints.iterdir())) == 1
    changed = {**SETTINGS, "learning_rate": 2e-3}
    fresh = train.train_fold(model="cnn4d", fold=FOLD, sessions=session, out_dir=tmp_path / "b", spec=train_spec("cnn4d", changed, FOLD.protocol), checkpoint_dir=checkpoints)
    assert fresh["resumed_from_epoch"] == 0
    assert _epochs(tmp_path / "b" / "history.csv") == [0, 1, 2, 3]


def _jobs(runs: list[dict], root: Path) -> list[tuple[dict, Path, Path]]:
    return [(settings, root / "out" / str(i), root / "checkpoints" / str(i))
            for i, settings in enumerate(runs)]


def test_mirrored_strategy_on_two_logical_cpus_matches_one_device(features, tmp_path):
    """... and resumes exactly after a kill: Keras keeps batch-norm moving statistics per
    replica there (each from its part of the batch), the checkpoint too."""
    runs = [{**SETTINGS, "epochs": 3, "batch_size": per_replica, "replicas": replicas}
            for replicas, per_replica in ((1, 32), (2, 16))]
    one, two = results(run_in_process(features, _jobs(runs, tmp_path), cpus=2))
    out, checkpoints = tmp_path / "resumed", tmp_path / "resumed.ckpt"
    _killed(run_in_process(features, [(runs[1], out, checkpoints)], kill=0, cpus=2), out)
    (resumed,) = results(run_in_process(features, [(runs[1], out, checkpoints)], cpus=2))
    assert resumed["resumed_from_epoch"] == 1
    assert_same_fold(out, resumed, (tmp_path / "out" / "1", two))
    assert two["replicas"] == 2 and two["global_batch_size"] == 32 and one["replicas"] == 1
    assert one["accuracy"] > 0.6 and two["accuracy"] > 0.6
    assert abs(one["accuracy"] - two["accuracy"]) < 0.15


def test_a_fold_killed_under_jax_resumes_to_the_uninterrupted_result(features, tmp_path):
    """Under JAX, the workflow's default backend (config key keras_backend): killed after its
    third epoch and rerun in a new process, a fold with early stopping ends bit for bit as an
    uninterrupted JAX run."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "CUDA_VISIBLE_DEVICES": ""}
    (reference,) = results(run_in_process(
        features, [(EARLY_STOPPING, tmp_path / "reference", tmp_path / "reference.ckpt")],
        env=env))
    out, checkpoints = tmp_path / "out", tmp_path / "checkpoints"
    _killed(run_in_process(features, [(EARLY_STOPPING, out, checkpoints)], kill=2, env=env),
            out)
    (resumed,) = results(run_in_process(features, [(EARLY_STOPPING, out, checkpoints)],
                                        env=env))
    assert resumed["backend"] == "jax" and resumed["resumed_from_epoch"] == 3
    assert_same_fold(out, resumed, (tmp_path / "reference", reference))


def test_jax_data_parallel_on_two_cpu_devices_matches_one_device(features, tmp_path):
    """keras.distribution.DataParallel over 2 forced host CPU devices: the log names both,
    the global batch is per-replica x 2 and the accuracy matches a 1-device JAX run."""
    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu",
           "CUDA_VISIBLE_DEVICES": "",
           "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    runs = [{**SETTINGS, "epochs": 4, "batch_size": per_replica, "replicas": replicas}
            for replicas, per_replica in ((2, 16), (1, 32))]
    run = run_in_process(features, _jobs(runs, tmp_path), model="dnn", env=env)
    two, one = results(run)
    assert "data-parallel training over 2 devices" in run.stderr
    assert "jax backend, 2 replica(s): global batch 32 = 16 per replica x 2" in run.stderr
    assert "jax backend, 1 replica(s): global batch 32" in run.stderr
    assert two["replicas"] == 2 and two["global_batch_size"] == 32 and one["replicas"] == 1
    assert one["accuracy"] > 0.6 and two["accuracy"] > 0.6
    assert abs(one["accuracy"] - two["accuracy"]) < 0.15


def test_batches_split_evenly_over_devices():
    """With multiple_of=2, training batches drop the odd sample (a different one each
    epoch) and evaluation batches are padded with weight 0."""
    from seedflow.recognition.batches import Batches

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
    (_, _, w0), (_, y1, w1) = evaluation[0], evaluation[1]
    assert list(y1) == [4, 5, 6, 6] and list(w1) == [1, 1, 1, 0] and list(w0) == [1] * 4
    assert len(Batches(x, y, np.arange(7), 4)[1]) == 2  # one device: as given
