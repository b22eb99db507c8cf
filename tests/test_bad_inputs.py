"""Every bad input ends in one DatasetError/SeedflowError naming the file or key, and no
store is left behind."""

import mne
import numpy as np
import pytest

from layouts import as_real, open_source, recordings_of, write_simulated
from seedflow.channels import SEED_62
from seedflow.errors import DatasetError, SeedflowError
from seedflow.datasets import dreamer, mne_raw, seed_iv, trial_table
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore

TABLE_HEADER = "session\ttrial\tstart_s\tend_s\tlabel\n"


def _ingest(config, out, index=0):
    recording = recordings_of(config)[index]
    ingest_store.write(open_source(config, recording), out, chunk_seconds=1,
                             attrs={})


def _assert_fails(config, tmp_path, match, index=0):
    out = tmp_path / "out.zarr"
    with pytest.raises(SeedflowError, match=match):
        _ingest(config, out, index)
    assert not out.exists() and not (tmp_path / "out.zarr.tmp").exists()


def _seed_v_like(path, names=(*SEED_62, "M1", "M2", "VEO", "HEO"), sfreq=1000.0, seconds=5.0,
                 nan_channel=None):
    data = np.random.default_rng(1).standard_normal((len(names), int(sfreq * seconds))) * 1e-5
    if nan_channel is not None:
        data[nan_channel, 600:700] = np.nan
    raw = mne.io.RawArray(data, mne.create_info(list(names), sfreq, "eeg"), verbose="error")
    path.parent.mkdir(parents=True, exist_ok=True)
    raw.save(path, verbose="error", overwrite=True)


def _seed_ger(tmp_path, table_text=TABLE_HEADER + "1\t1\t0.5\t2\tpositive\n", **file_args):
    _seed_v_like(tmp_path / "ger" / "1_1_20200101.fif", **file_args)
    table = tmp_path / "trials.tsv"
    table.write_text(table_text)
    return {"dataset": {"kind": "seed-ger", "root": str(tmp_path / "ger"),
                        "trial_table": str(table)}}


def test_unknown_kind_names_the_key():
    with pytest.raises(SeedflowError, match="dataset.kind: unknown kind 'seed-vi'"):
        recordings_of({"dataset": {"kind": "seed-vi", "root": "x"}})


def test_truncated_seed_iv_file(tmp_path):
    config = as_real(write_simulated(tmp_path / "d", "seed-iv"), "seed-iv")
    path = recordings_of(config)[0].path
    path.write_bytes(path.read_bytes()[:20000])
    _assert_fails(config, tmp_path, rf"{path.name}: truncated: its variables need \d+ bytes, "
                                    r"the file has 20000")


def test_corrupt_dreamer_file(tmp_path):
    (tmp_path / "DREAMER.mat").write_bytes(b"MATLAB 5.0 MAT-file" + b"\x00" * 200)
    config = {"dataset": {"kind": "dreamer", "root": str(tmp_path)}}
    _assert_fails(config, tmp_path, "DREAMER.mat: cannot read MATLAB file")


def test_dreamer_wrong_rate_and_missing_subject(tmp_path):
    config = as_real(write_simulated(tmp_path, "dreamer", sfreq=256), "dreamer")
    _assert_fails(config, tmp_path, "DREAMER.mat: sampling rate is 256 Hz, expected 128 Hz")
    _assert_fails(config, tmp_path, "DREAMER.mat: subject 3: not in DREAMER's layout", index=2)


def test_missing_dreamer_file_and_seed_iv_folder(tmp_path):
    with pytest.raises(DatasetError, match="DREAMER.mat: file not found"):
        dreamer.discover(tmp_path)
    with pytest.raises(DatasetError, match="eeg_raw_data: folder not found"):
        seed_iv.discover(tmp_path)


def test_missing_or_malformed_trial_table(tmp_path):
    with pytest.raises(SeedflowError, match="dataset.trial_table: required for dataset.kind "
                                            "'seed-fra'"):
        recordings_of({"dataset": {"kind": "seed-fra", "root": str(tmp_path)}})
    config = _seed_ger(tmp_path)
    (tmp_path / "trials.tsv").unlink()
    _assert_fails(config, tmp_path, "trials.tsv: trial table not found")
    bad = tmp_path / "bad.tsv"
    cases = (("session\ttrial\n1\t1\n", "trial table lacks columns start_s, end_s, label"),
             (TABLE_HEADER + "1\t1\tsoon\t2\t0\n", "line 2: could not convert"),
             (TABLE_HEADER + "1\t1\t3\t2\t0\n", "line 2: trial 1 has start_s 3"),
             (TABLE_HEADER + "1\t1\t0\t2\t0\n1\t1\t3\t4\t0\n",
              "trial 1 of session 1 is listed twice"))
    for text, problem in cases:
        bad.write_text(text)
        with pytest.raises(DatasetError, match=f"bad.tsv: {problem}"):
            trial_table.read(bad)


def test_trial_table_past_the_recording(tmp_path):
    config = _seed_ger(tmp_path, TABLE_HEADER + "1\t1\t1\t2\tpositive\n1\t2\t4\t6.5\t0\n")
    _assert_fails(config, tmp_path, r"trials.tsv: trial 2 ends at 6.5 s, after the end of "
                                    r".*1_1_20200101.fif \(5 s\)")


def test_unknown_label_in_trial_table(tmp_path):
    config = _seed_ger(tmp_path, TABLE_HEADER + "1\t1\t1\t2\tsurprise\n")
    _assert_fails(config, tmp_path, "trials.tsv: label 'surprise' is none of the classes")


def test_missing_and_duplicated_channels(tmp_path):
    names = [n for n in (*SEED_62, "M1", "M2") if n not in ("CB1", "OZ")]
    _assert_fails(_seed_ger(tmp_path, names=names), tmp_path,
                  "1_1_20200101.fif: missing channels: CB1, OZ")
    names = [*SEED_62[:-1], "Fp1"]  # FP1 twice once the names are normalised
    _assert_fails(_seed_ger(tmp_path, names=names), tmp_path,
                  "1_1_20200101.fif: duplicated channels: FP1 and Fp1 name the same electrode "
                  r"\(the file has: FP1, FPZ")


def test_wrong_sampling_rate(tmp_path):
    _seed_v_like(tmp_path / "EEG_raw" / "1_1_20200101.fif", sfreq=500.0)
    config = {"dataset": {"kind": "seed-v", "root": str(tmp_path)}}
    _assert_fails(config, tmp_path, "1_1_20200101.fif: sampling rate is 500 Hz, expected 1000")


def test_nan_channel_is_flagged_and_reported(tmp_path, caplog):
    config = _seed_ger(tmp_path, nan_channel=SEED_62.index("PZ"))
    _ingest(config, tmp_path / "out.zarr")
    assert IngestStore.open(tmp_path / "out.zarr").bad_channels == ["PZ"]
    assert "bad channels (flat or non-finite): PZ" in caplog.text


def test_unreadable_recording_for_mne_kind(tmp_path):
    (tmp_path / "sub-1_eeg.edf").write_bytes(b"0       not an EDF header")
    config = {"dataset": {"kind": "mne", "root": str(tmp_path), "event_labels": {"a": "b"}}}
    _assert_fails(config, tmp_path, "sub-1_eeg.edf: MNE cannot read this recording")
    (tmp_path / "sub-1_eeg.edf").unlink()
    with pytest.raises(DatasetError, match="no sub-<subject>"):
        mne_raw.discover(tmp_path)


def test_event_before_the_recording_and_without_duration(tmp_path):
    _seed_v_like(tmp_path / "sub-1_eeg.fif", sfreq=250.0)
    events = tmp_path / "sub-1_events.tsv"
    config = {"dataset": {"kind": "mne", "root": str(tmp_path), "event_labels": {"a": "x"}}}
    for text, problem in (("-1\t2\ta\n", "trial 1 starts before the recording"),
                          ("1\t0\ta\n", "event 'a' at 1 s lasts 0 s \\(0 samples at 250 Hz\\): "
                                        "a marker, not a trial"),
                          ("1\t1\tb\n", "no events described as 'a'; the file has: 'b' \\(1\\)")):
        events.write_text("onset\tduration\ttrial_type\n" + text)
        _assert_fails(config, tmp_path, f"sub-1_events.tsv: {problem}")
