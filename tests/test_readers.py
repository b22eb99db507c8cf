"""Each layout's reader on files written in its real layout (by the simulator or the test)."""

import mne
import numpy as np
import pytest
import scipy.io
import zarr

from layouts import as_real, open_source, recordings_of, write_simulated
from seedflow.channels import DREAMER_14, SEED_62, montage, pick
from seedflow.datasets import seed_iv, seed_v, trial_table
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore


def _ingest(config, tmp_path, index=0):
    recording = recordings_of(config)[index]
    out = tmp_path / f"sub-{recording.subject}_ses-{recording.session}.zarr"
    ingest_store.write(open_source(config, recording), out, chunk_seconds=1,
                             attrs={}, block_seconds=1.5)
    return recording, IngestStore.open(out)


@pytest.fixture(scope="module")
def seed_v_config(tmp_path_factory):
    return write_simulated(tmp_path_factory.mktemp("seed-v"), "seed-v", sessions=2)


def test_seed_iv_layout_and_published_labels(tmp_path):
    config = write_simulated(tmp_path / "data", "seed-iv", sessions=2, trials_per_session=24,
                             trial_seconds=1)
    real = as_real(config, "seed-iv", sfreq=200)
    found = [(r.subject, r.session, r.path.relative_to(tmp_path / "data").as_posix())
             for r in recordings_of(real)]
    assert found == [("1", "1", "eeg_raw_data/1/1_20131013.mat"),
                     ("1", "2", "eeg_raw_data/2/1_20131022.mat")]
    recording, store = _ingest(real, tmp_path, index=1)
    assert store.class_names == ["neutral", "sad", "fear", "happy"]
    assert store.labels[:4] == [2, 1, 3, 0]  # SEED-IV session 2 starts 2, 1, 3, 0
    assert store.labels == list(seed_iv.SEED_IV_LABELS["2"])
    assert store.eeg.shape == (62, 24 * 200) and store.sfreq == 200
    raw = scipy.io.loadmat(recording.path)["djc_eeg3"]
    np.testing.assert_allclose(store.trial(2), (raw * 1e-6).astype(np.float32))


def test_seed_v_recording_is_cut_into_trials_by_the_table(seed_v_config, tmp_path):
    recording, store = _ingest(seed_v_config, tmp_path, index=1)
    assert recording.path.name == "1_2_20131022.fif"
    raw = mne.io.read_raw_fif(recording.path, verbose="error")
    assert raw.info["sfreq"] == 1000 and len(raw.ch_names) == 66
    assert raw.get_channel_types(["VEO", "HEO"]) == ["eog", "eog"]
    rows = trial_table.read(recording.extra_inputs[0])
    assert [(r.trial, r.start_s, r.end_s) for r in rows if r.session == "2"] == [
        (1, 3, 7), (2, 10, 14), (3, 17, 21), (4, 24, 28)]
    assert store.class_names == list(seed_v.SEED_V_CLASSES.values())
    assert store.labels == [2, 1, 3, 0]  # SEED-V sessions 2 and 3 start 2, 1, 3, 0
    assert store.ch_names == SEED_62 and store.attrs["eog_names"] == ["VEO", "HEO"]
    assert store.attrs["left_out_channels"] == {
        ch: "mastoid, not used (dataset.reference: none)" for ch in ("M1", "M2")}
    assert store.trial_stop == [4000, 8000, 12000, 16000]
    expected = raw.get_data(picks=SEED_62, start=17000, stop=21000)
    np.testing.assert_allclose(store.trial(2), expected.astype(np.float32), rtol=1e-6)
    group_eog = zarr.open_group(tmp_path / "sub-1_ses-2.zarr")["eog"]
    np.testing.assert_allclose(group_eog[:, 0:4000],
                               raw.get_data(picks=["VEO", "HEO"], start=3000, stop=7000),
                               rtol=1e-6)


def test_mastoid_reference_subtracts_their_mean(seed_v_config, tmp_path):
    config = {**seed_v_config, "dataset": {**seed_v_config["dataset"], "reference": "mastoids"}}
    recording, store = _ingest(config, tmp_path)
    raw = mne.io.read_raw_fif(recording.path, verbose="error")
    eeg = raw.get_data(picks=SEED_62, start=3000, stop=7000)
    mastoids = raw.get_data(picks=["M1", "M2"], start=3000, stop=7000).mean(axis=0)
    np.testing.assert_allclose(store.trial(0), (eeg - mastoids).astype(np.float32), rtol=1e-5,
                               atol=1e-12)
    assert store.attrs["left_out_channels"] == {
        ch: "mastoid, subtracted as reference (dataset.reference: mastoids)"
        for ch in ("M1", "M2")}


def test_real_seed_v_layout_uses_published_table_and_user_table(seed_v_config, tmp_path):
    rows = seed_v.published_table()
    assert len(rows) == 45 and rows[0] == trial_table.TrialRow("1", 1, 30, 102, "4")
    assert rows[-1] == trial_table.TrialRow("3", 15, 2888, 3066, "0")
    real = as_real(seed_v_config, "seed-v")
    assert [r.extra_inputs for r in recordings_of(real)] == [(), ()]
    table = tmp_path / "trials.tsv"
    table.write_text("session\ttrial\tstart_s\tend_s\tlabel\n1\t1\t3\t5\thappy\n"
                     "1\t2\t10\t12\t1\n2\t1\t3\t5\t0\n")
    with_table = as_real(seed_v_config, "seed-v", trial_table=str(table))
    _, store = _ingest(with_table, tmp_path)
    assert store.labels == [4, 1] and store.trial_stop == [2000, 4000]


def test_seed_ger_and_fra_read_the_users_trial_table(seed_v_config, tmp_path):
    table = tmp_path / "trials.tsv"
    table.write_text("subject\tsession\ttrial\tstart_s\tend_s\tlabel\n"
                     "\t1\t1\t3\t6\tpositive\n\t1\t2\t10\t13\t-1\n1\t1\t1\t17\t19\tneutral\n")
    root = seed_v_config["dataset"]["root"]
    config = {**seed_v_config, "dataset": {"kind": "seed-fra", "root": root,
                                           "trial_table": str(table)}}
    assert [(r.subject, r.session) for r in recordings_of(config)] == [("1", "1"),
                                                                            ("1", "2")]
    _, store = _ingest(config, tmp_path)  # subject 1 has its own row: it wins
    assert store.class_names == ["negative", "neutral", "positive"]
    assert store.labels == [1] and store.trial_stop == [2000]
    raw = mne.io.read_raw_fif(recordings_of(config)[1].path, verbose="error")
    assert raw.n_times > 20000
    rows = trial_table.rows_for(trial_table.read(table), "2", "1", table)
    assert [(r.trial, r.label) for r in rows] == [(1, "positive"), (2, "-1")]


def test_dreamer_struct_scores_and_channels(tmp_path):
    config = write_simulated(tmp_path / "data", "dreamer", subjects=2, trials_per_session=6)
    mat = scipy.io.loadmat(tmp_path / "data" / "DREAMER.mat", simplify_cells=True)["DREAMER"]
    assert mat["EEG_SamplingRate"] == 128 and list(mat["EEG_Electrodes"]) == DREAMER_14
    assert mat["Data"][1]["EEG"]["stimuli"][0].shape == (4 * 128, 14)
    real = as_real(config, "dreamer")
    assert len(recordings_of(real)) == 23  # DREAMER's subject count
    _, store = _ingest(real, tmp_path, index=1)
    assert store.ch_names == DREAMER_14 and store.sfreq == 128
    assert store.class_names == ["low", "high"] and store.labels == [1, 0, 1, 0, 0, 1]
    stim = mat["Data"][1]["EEG"]["stimuli"][4]
    np.testing.assert_allclose(store.trial(4), (stim.T * 1e-6).astype(np.float32))
    five = {**real, "dataset": {**real["dataset"], "levels": 5, "target": "dominance"}}
    _, store = _ingest(five, tmp_path)
    assert store.class_names == ["1", "2", "3", "4", "5"]
    assert store.labels == [int(s) - 1 for s in mat["Data"][0]["ScoreDominance"]]


def _write_fif(path, names, sfreq=250.0, seconds=6.0, annotations=None, types=None):
    data = np.random.default_rng(0).standard_normal((len(names), int(sfreq * seconds))) * 1e-5
    raw = mne.io.RawArray(data, mne.create_info(names, sfreq, types or "eeg"), verbose="error")
    if annotations:
        raw.set_annotations(mne.Annotations(*zip(*annotations)))
    raw.save(path, verbose="error")
    return data


def test_mne_kind_trials_from_events_tsv_or_annotations(tmp_path):
    names = ["Fp1", "Fz", "Cz", "Oz", "EOG1"]
    data = _write_fif(tmp_path / "sub-01_ses-a_task-film_eeg.fif", names,
                      types=["eeg"] * 4 + ["eog"],
                      annotations=[(1.0, 2.0, "sad"), (3.5, 1.0, "happy"), (5.0, 0.5, "x")])
    _write_fif(tmp_path / "sub-02_task-film_eeg.fif", names, types=["eeg"] * 4 + ["eog"])
    (tmp_path / "sub-02_task-film_events.tsv").write_text(
        "onset\tduration\ttrial_type\n0.5\t1\thappy\n2\t2\tsad\n")
    config = {"dataset": {"kind": "mne", "root": str(tmp_path),
                          "event_labels": {"happy": "positive", "sad": "negative"}}}
    found = recordings_of(config)
    assert [(r.subject, r.session, len(r.extra_inputs)) for r in found] == [
        ("01", "a", 0), ("02", "1", 1)]
    _, store = _ingest(config, tmp_path)
    assert store.ch_names == ["Fp1", "Fz", "Cz", "Oz"]  # standard 10-05 spelling
    assert store.attrs["eog_names"] == ["EOG1"]
    assert store.class_names == ["positive", "negative"] and store.labels == [1, 0]
    assert store.trial_stop == [500, 750]
    np.testing.assert_allclose(store.trial(1), data[:4, 875:1125].astype(np.float32),
                               rtol=1e-5)
    _, store = _ingest(config, tmp_path, index=1)
    assert store.labels == [0, 1] and store.trial_start == [0, 250]


def test_channels_are_mapped_by_name_not_position(tmp_path):
    shuffled = list(reversed([ch.capitalize() if ch.startswith("FP") else ch.lower()
                              for ch in SEED_62]))
    assert pick(shuffled, ["FP1", "CB2", "FZ"], "x") == [61, 0, 52]
    positions = montage(SEED_62).get_positions()["ch_pos"]
    assert set(positions) == set(SEED_62)  # CB1 and CB2 included, so MNE can plot them
