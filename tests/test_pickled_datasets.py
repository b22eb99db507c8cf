"""DEAP's and FACED's pickled releases: files of their real shapes (and Python 2's pickles)
read as the real kinds, labels as configured, DEAP's baseline dropped or subtracted as
LibEER does, FACED's mastoid rows where ``dataset.channel_order`` says, the simulated
layouts as their readers find them, and pickles that would run code refused."""

import os
import pickle
import struct

import numpy as np
import pytest

from layouts import open_source, recordings_of, write_simulated
from seedflow.datasets import deap, faced, pickled
from seedflow.errors import DatasetError, SeedflowError
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore


# Python 3 cannot write a Python 2 pickle (its byte strings are str there, which Python 3
# decodes on loading); these write the opcodes numpy 1 under Python 2 wrote for an array.
def _py2_str(s: bytes) -> bytes:
    return (b"U" + bytes([len(s)]) + s if len(s) < 256
            else b"T" + struct.pack("<I", len(s)) + s)


def _py2_array(a) -> bytes:
    a = np.ascontiguousarray(a, dtype="<f8")
    shape = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in a.shape) + b"t"
    dtype = (b"cnumpy\ndtype\n" + _py2_str(b"f8") + b"K\x00K\x01\x87R(K\x03" + _py2_str(b"<")
             + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\ncnumpy\nndarray\nK\x00\x85"
            + _py2_str(b"b") + b"\x87R(K\x01" + shape + dtype + b"\x89"
            + _py2_str(a.tobytes()) + b"tb")


def python2_pickle(obj) -> bytes:
    """``obj`` (an array, or a dict of str -> array) pickled as Python 2 pickled it."""
    if isinstance(obj, dict):
        body = b"}(" + b"".join(_py2_str(k.encode()) + _py2_array(v)
                                for k, v in obj.items()) + b"u"
    else:
        body = _py2_array(obj)
    return b"\x80\x02" + body + b"."


def deap_file(root, subject=1, ratings=None, py2=False, dtype=np.float64):
    """A DEAP-shaped sNN.dat: row r of trial k holds k * 1000 + r, plus a 1-Hz sine, except
    that its baseline holds a 3 x 128-sample pattern of its own."""
    t = np.arange(deap.N_SAMPLES) / 128
    data = (np.arange(deap.N_TRIALS)[:, None, None] * 1000
            + np.arange(deap.N_ROWS)[None, :, None] + np.sin(2 * np.pi * t))
    data[:, :, :384] = np.random.default_rng(0).standard_normal((deap.N_TRIALS, deap.N_ROWS,
                                                                 384))
    if ratings is None:
        ratings = np.random.default_rng(1).uniform(1, 9, (deap.N_TRIALS, 4))
    path = root / deap.FOLDER / f"s{subject:02d}.dat"
    path.parent.mkdir(parents=True, exist_ok=True)
    content = {"data": data.astype(dtype), "labels": ratings}
    if py2:
        path.write_bytes(python2_pickle(content))
    else:
        with open(path, "wb") as f:
            pickle.dump(content, f, protocol=2)
    return path, content


def _read(config, index=0):
    recording = recordings_of(config)[index]
    return open_source(config, recording)


def test_deap_file_of_python_2_read_as_deap(tmp_path):
    path, content = deap_file(tmp_path, subject=7, py2=True)
    with pytest.raises(UnicodeDecodeError):  # what plain pickle.load makes of it
        pickle.loads(path.read_bytes())
    config = {"dataset": {"kind": "deap", "root": str(tmp_path)}}
    assert [(r.subject, r.session) for r in recordings_of(config)] == [("7", "1")]
    source = _read(config)
    assert source.ch_names == deap.DEAP_32 and source.sfreq == 128
    assert [t.n_samples for t in source.trials] == [7680] * 40  # 60 s after the baseline
    np.testing.assert_allclose(source.read_trial(3), content["data"][3, :32, 384:])
    expected = [int(v >= 5) for v in content["labels"][:, 0]]
    assert [t.label for t in source.trials] == expected and source.class_names == ["low",
                                                                                   "high"]


def test_deap_target_threshold_and_the_rating_at_it(tmp_path):
    ratings = np.full((40, 4), 3.0)
    ratings[:, 3] = np.linspace(1, 9, 40)  # liking
    ratings[:5, 3] = [5.0, 4.99, 5.01, 7.0, 6.0]
    deap_file(tmp_path, ratings=ratings, dtype=np.float32)

    def labels(**dataset):
        config = {"dataset": {"kind": "deap", "root": str(tmp_path), "target": "liking",
                              **dataset}}
        return [t.label for t in _read(config).trials][:5]

    assert labels() == [1, 0, 1, 1, 1]  # TorchEEG: >= 5 is high
    assert labels(at_threshold="low") == [0, 0, 1, 1, 1]  # LibEER's -bounds 5 5
    assert labels(threshold=6.5) == [0, 0, 0, 1, 0]
    with pytest.raises(SeedflowError, match="config key dataset.target: DEAP rates valence, "
                                            "arousal, dominance, liking, not 'emotion'"):
        labels(target="emotion")


def test_deap_baseline_subtracted_as_libeer_does(tmp_path):
    path, content = deap_file(tmp_path, dtype=np.float32)
    config = {"dataset": {"kind": "deap", "root": str(tmp_path), "baseline": "subtract"}}
    x = content["data"][5, :32]
    base = (x[:, :128] + x[:, 128:256] + x[:, 256:384]) / 3  # the three baseline seconds
    expected = np.hstack([x[:, 384 + s * 128:384 + (s + 1) * 128] - base for s in range(60)])
    np.testing.assert_allclose(_read(config).read_trial(5), expected, rtol=1e-6)
    ingest_store.write(_read(config), tmp_path / "s.zarr", chunk_seconds=10, attrs={})
    np.testing.assert_allclose(IngestStore.open(tmp_path / "s.zarr").trial(5),
                               (expected * 1e-6).astype(np.float32), rtol=1e-6)


def faced_file(root, subject=0, order="mastoids_after_t8", dtype=np.float32):
    """A FACED-shaped subNNN.pkl whose row of channel c of clip k holds k * 100 + the
    channel's index in EEG_30 (mastoids: -1, -2)."""
    rows = faced.ROWS[order]
    value = [faced.EEG_30.index(ch) if ch in faced.EEG_30 else -1 - ("A1", "A2").index(ch)
             for ch in rows]
    data = (np.arange(1, 29)[:, None, None] * 100 + np.array(value)[None, :, None]
            + np.zeros(faced.N_SAMPLES)).astype(dtype)
    path = root / faced.FOLDER / f"sub{subject:03d}.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        pickle.dump(data, f)
    return path


@pytest.mark.parametrize("order", sorted(faced.ROWS))
def test_faced_rows_and_labels(tmp_path, order):
    faced_file(tmp_path, subject=0, order=order)
    faced_file(tmp_path, subject=12, order=order)
    config = {"dataset": {"kind": "faced", "root": str(tmp_path), "channel_order": order}}
    assert [r.subject for r in recordings_of(config)] == ["0", "12"]
    source = _read(config)
    assert source.ch_names == faced.EEG_30 and source.sfreq == 250
    np.testing.assert_array_equal(source.read_trial(16)[:, 0], 17 * 100 + np.arange(30))
    assert [t.n_samples for t in source.trials] == [7500] * 28
    assert source.class_names == ["negative", "neutral", "positive"]
    assert [t.label for t in source.trials] == [0] * 12 + [1] * 4 + [2] * 12
    emotions = _read({"dataset": {**config["dataset"], "target": "emotion"}})
    assert emotions.class_names[4] == "neutral"
    assert [t.label for t in emotions.trials] == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4,
                                                  4, 5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8]


def test_faced_wrong_order_reads_mastoids_as_eeg(tmp_path):
    """Nothing in the file names its rows: the setting decides (so it is a reader key)."""
    faced_file(tmp_path, order="mastoids_last")
    config = {"dataset": {"kind": "faced", "root": str(tmp_path)}}  # mastoids_after_t8
    first_clip = _read(config).read_trial(0)[:, 0]
    assert list(first_clip[-2:]) == [98, 99]  # A2, A1 (-2, -1) read as O1, O2


def test_faced_feature_release_is_not_taken_for_recordings(tmp_path):
    faced_file(tmp_path)
    (tmp_path / faced.FOLDER / "sub000.pkl.pkl").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"1 file\(s\) look like recordings but are not "
                                           r"named subNNN.pkl .*sub000.pkl.pkl"):
        recordings_of({"dataset": {"kind": "faced", "root": str(tmp_path)}})


def test_pickle_that_would_run_code_is_refused(tmp_path):
    class Payload:
        def __reduce__(self):
            return os.system, (f"touch {tmp_path / 'ran'}",)

    path = tmp_path / "s01.dat"
    path.write_bytes(pickle.dumps({"data": Payload()}, protocol=2))
    with pytest.raises(DatasetError, match=r"s01.dat: the pickle builds a (posix|os)\.system, "
                                           r"not only NumPy arrays"):
        pickled.load(path)
    assert not (tmp_path / "ran").exists()
    np.testing.assert_array_equal(pickled.load(_protocol5(tmp_path)), np.arange(6.0))


def _protocol5(tmp_path):
    path = tmp_path / "five.pkl"
    path.write_bytes(pickle.dumps(np.arange(6.0), protocol=5))
    return path


@pytest.mark.parametrize("layout, settings", [
    ("deap", {"trials_per_session": 5}), ("faced", {"trials_per_session": 28})])
def test_simulated_pickles_are_read_as_written_and_reproducible(tmp_path, layout, settings):
    config = write_simulated(tmp_path / "a", layout, subjects=2, trial_seconds=2, **settings)
    write_simulated(tmp_path / "b", layout, subjects=2, trial_seconds=2, **settings)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.*"))
    assert len(files) == 2
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    source = _read(config, index=1)
    content = pickled.load(source.path)
    rate = 128 if layout == "deap" else 250
    assert source.sfreq == rate and all(t.n_samples == 2 * rate for t in source.trials)
    if layout == "deap":  # 3-s baseline first; 8 peripheral rows after the EEG
        assert content["data"].shape == (5, 40, 5 * 128)
        np.testing.assert_array_equal(source.read_trial(2), content["data"][2, :32, 384:])
        assert [t.label for t in source.trials] == [1, 0, 1, 0, 0]
    else:
        assert content.shape == (28, 32, 500)
        np.testing.assert_array_equal(source.read_trial(2),
                                      np.delete(content[2], [16, 17], axis=0))


def test_simulated_faced_needs_its_28_clips(tmp_path):
    with pytest.raises(SeedflowError, match="config key simulation.trials_per_session: the "
                                            "faced layout has 28 clips"):
        write_simulated(tmp_path, "faced", trials_per_session=6)
