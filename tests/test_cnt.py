"""The Neuroscan CNT path on a real recording (MNE's testing data: 128 channels, 400 Hz,
int16, no sample count in its header). Skipped when the file is not on this machine."""

import os
from pathlib import Path

import mne
import numpy as np
import pytest

from conftest import REPO
from seedflow.errors import DatasetError
from seedflow.datasets import mne_raw
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore
from layouts import recordings_of, open_source

_CANDIDATES = [Path(os.environ.get("SEEDFLOW_TEST_CNT", "/nonexistent")),
               REPO.parent / "shared" / "data" / "mne-testing-data" / "scan41_short.cnt",
               Path("/work/shared/data/mne-testing-data/scan41_short.cnt")]
CNT = next((p for p in _CANDIDATES if p.is_file()), None)
pytestmark = pytest.mark.skipif(
    CNT is None, reason="real CNT file scan41_short.cnt not found (set SEEDFLOW_TEST_CNT)")


def test_sample_size_mne_cannot_infer_is_one_clear_error():
    with pytest.raises(DatasetError, match=r"scan41_short.cnt: .*int16 or int32 \(mne-python "
                                           r"#6535\).*\(config key dataset.cnt_data_format\)"):
        mne_raw.open_raw(CNT)


def test_cnt_trials_ingest_block_by_block(tmp_path):
    (tmp_path / "sub-41_task-rest_eeg.cnt").symlink_to(CNT)
    (tmp_path / "sub-41_task-rest_events.tsv").write_text(
        "onset\tduration\ttrial_type\n0.5\t2.5\tsad\n4.0\t3.0\thappy\n")
    config = {"dataset": {"kind": "mne", "root": str(tmp_path), "cnt_data_format": "int16",
                          "channels": ["1", "2", "HEOG", "LEFT_EAR"],
                          "event_labels": {"sad": "negative", "happy": "positive"}}}
    (recording,) = recordings_of(config)
    source = open_source(config, recording)
    ingest_store.write(source, tmp_path / "s.zarr", chunk_seconds=0.5, attrs={},
                             block_seconds=1.0)
    store = IngestStore.open(tmp_path / "s.zarr")
    raw = mne.io.read_raw_cnt(CNT, data_format="int16", verbose="error")
    assert store.sfreq == 400 and store.ch_names == ["1", "2", "HEOG", "LEFT_EAR"]
    assert store.trial_start == [0, 1000] and store.trial_stop == [1000, 2200]
    expected = raw.get_data(picks=["1", "2", "HEOG", "LEFT_EAR"], start=1600, stop=2800)
    np.testing.assert_allclose(store.trial(1), expected.astype(np.float32), rtol=1e-6)
    assert store.labels == [0, 1] and store.bad_channels == []


def test_truncated_cnt_is_reported(tmp_path):
    truncated = tmp_path / "scan41_truncated.cnt"
    truncated.write_bytes(CNT.read_bytes()[:500_000])
    for data_format in ("auto", "int16"):
        with pytest.raises(DatasetError, match="scan41_truncated.cnt: truncated"):
            mne_raw.open_raw(truncated, cnt_data_format=data_format)


def test_seed_v_reader_rejects_a_recording_that_is_not_seed_v(tmp_path):
    (tmp_path / "EEG_raw").mkdir()
    (tmp_path / "EEG_raw" / "41_1_20200101.cnt").symlink_to(CNT)
    config = {"dataset": {"kind": "seed-v", "root": str(tmp_path), "cnt_data_format": "int16"}}
    (recording,) = recordings_of(config)
    with pytest.raises(DatasetError, match="sampling rate is 400 Hz, expected 1000 Hz"):
        open_source(config, recording)


def test_cnt_over_2_gb_needs_the_sample_size(tmp_path):
    """Over 2 GB the header's int32 offsets overflow (mne-python #6535); a sparse copy of
    the real file, grown past 2 GB, takes no disk space."""
    big = tmp_path / "big.cnt"
    big.write_bytes(CNT.read_bytes())
    with open(big, "r+b") as f:
        f.truncate(2**31 + 1024)
    with pytest.raises(DatasetError, match=r"big.cnt: .*#6535.*config key dataset.cnt_data_format"):
        mne_raw.open_raw(big)
