"""Recordings as labs record them, read by the ``mne`` kind: channel names in any convention,
trials from markers, stim channels and events files, and errors that show what the file holds.

MNE's real test files (``../shared/data/mne-testing-data``) are seconds long: they test
reading, events, channel mapping and error messages. Files written here with MNE in the
other conventions are long enough to run through ingest, features and a model; one
BrainVision recording with ``S  1``/``S  2`` markers runs through the whole workflow, and the
real BDF with a recording of another montage runs LOSO on the two channels they share."""

import csv
import json
import logging
import re
from pathlib import Path

import mne
import numpy as np
import pytest
import yaml

from conftest import REPO, TINY, predict_cli, snakemake
from test_predict import assert_same_predictions

from seedflow import config as seedflow_config
from seedflow import datasets
from seedflow.features import extraction
from seedflow import planning
from seedflow.recognition import protocols
from seedflow.recognition import train
from seedflow.channels import (SEED_62, grid_for, grid_placement, montage, normalise, pick,
                               standard_name)
from seedflow.errors import DatasetError, SeedflowError
from seedflow.channels import to_grid
from seedflow.datasets import mne_raw
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore
from seedflow.recognition.representations import Session
from seedflow.features.spec import FeatureSpec
from layouts import complete, recordings_of, open_source
from specs import train_spec
from specs import protocol_spec

_CANDIDATES = [REPO.parent / "shared" / "data" / "mne-testing-data",
               Path("/work/shared/data/mne-testing-data")]
DATA = next((p for p in _CANDIDATES if p.is_dir()), None)
real_data = pytest.mark.skipif(DATA is None, reason="MNE's testing recordings not found in "
                                                    "../shared/data/mne-testing-data")

# A 32-channel cap as an older BrainVision workspace names it (T3-T6, not T7/P7/T8/P8), plus
# a horizontal EOG channel MNE does not type (not ingested) and a vertical one it does.
CAP = ("Fp1 Fp2 F7 F3 Fz F4 F8 FC5 FC1 FC2 FC6 T3 C3 Cz C4 T4 TP9 CP5 CP1 CP2 CP6 TP10 T5 P3 "
       "Pz P4 T6 PO9 O1 Oz O2 PO10").split()
STORED = ("Fp1 Fp2 F7 F3 Fz F4 F8 FC5 FC1 FC2 FC6 T7 C3 Cz C4 T8 CP5 CP1 CP2 CP6 P7 P3 Pz P4 "
          "P8 O1 Oz O2 TP9 TP10 PO9 PO10").split()  # SEED's order, then the others (10-05)
MARKERS = {"Stimulus/S  1": "positive", "Stimulus/S  2": "negative"}


def _lab_recording(path: Path, names, *, trials: int, trial_seconds: float, rest: float,
                   sfreq: float = 250.0, marker_seconds: float | None = None, seed: int = 0,
                   descriptions=("Stimulus/S  1", "Stimulus/S  2"), types=None,
                   fmt: str | None = None) -> np.ndarray:
    """A recording with ``trials`` stimulus markers (alternating classes) every
    ``trial_seconds + rest`` s, a comment marker first, and a strong alpha effect over
    the posterior channels in the first class. Returns the marker onsets (s)."""
    rng = np.random.default_rng(seed)
    onsets = rest + np.arange(trials) * (trial_seconds + rest)
    n = int((onsets[-1] + trial_seconds + rest) * sfreq)
    data = rng.standard_normal((len(names), n)) * 10e-6
    times = np.arange(n) / sfreq
    posterior = [i for i, ch in enumerate(names) if normalise(ch)[0] in "PO"]
    for k, onset in enumerate(onsets[::2]):
        span = (times >= onset) & (times < onset + trial_seconds)
        data[np.ix_(posterior, span)] += 20e-6 * np.sin(2 * np.pi * 10 * times[span])
    info = mne.create_info(list(names), sfreq, types or "eeg")
    raw = mne.io.RawArray(data, info, verbose="error")
    duration = 1 / sfreq if marker_seconds is None else marker_seconds  # one sample
    raw.set_annotations(mne.Annotations(
        [0.5, *onsets], [0, *[duration] * trials],
        ["Comment/start", *[descriptions[k % 2] for k in range(trials)]]))
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt is None:
        raw.save(path, verbose="error", overwrite=True)
    else:
        mne.export.export_raw(path, raw, fmt=fmt, overwrite=True, verbose="error")
    return onsets


def _mne_config(root: Path, **dataset) -> dict:
    return {"dataset": {"kind": "mne", "root": str(root), **dataset}, "simulation": {}}


def _ingest(config: dict, out: Path, min_trial_seconds: float | None = 1.0,
            index: int = 0) -> IngestStore:
    recording = recordings_of(config)[index]
    ingest_store.write(open_source(config, recording), out, chunk_seconds=1,
                             attrs={}, min_trial_seconds=min_trial_seconds)
    return IngestStore.open(out)


def _fails(config: dict, tmp_path: Path, match: str, **ingest) -> str:
    out = tmp_path / "fails.zarr"
    with pytest.raises(SeedflowError, match=match) as raised:
        _ingest(config, out, **ingest)
    assert not out.exists()
    return str(raised.value)


# ---- channel names -------------------------------------------------------------------------

def test_names_in_any_convention_map_to_their_10_05_electrode():
    cases = {"Fc5.": "FC5", "Cz..": "Cz", "Iz..": "Iz", "EEG Fp1-Ref": "Fp1",
             "EEG F3-LE": "F3", "EEG T3-REF": "T7", "POL Fp1": "Fp1", "EEG C4-A1": "C4",
             "O2-M2": "O2", "Pz-AVG": "Pz", "T3": "T7", "t4": "T8", "T5": "P7", "T6": "P8",
             "FPZ": "Fpz", "poz": "POz", "TP9": "TP9", "AFF1h": "AFF1h", "CB1": "CB1"}
    assert {name: standard_name(name) for name in cases} == cases
    for name in ("EEG 000", "1", "Status", "STI 014", "Fp1-F3", "EMGleft", "BIP1"):
        assert standard_name(name) is None, name
    # SEED's names keep their key, so SEED's stores and grids are unchanged.
    assert [normalise(ch) for ch in SEED_62] == list(SEED_62)


def test_a_channel_named_twice_is_an_error_listing_the_file():
    with pytest.raises(DatasetError, match=r"x.edf: duplicated channels: T3 and T7 name the "
                                           r"same electrode \(the file has: Fp1, T3, T7\)"):
        pick(["Fp1", "T3", "T7"], ["Fp1", "T7"], "x.edf")
    with pytest.raises(DatasetError, match=r"missing channels: Oz \(expected: Fp1, Oz; the "
                                           r"file has: EEG Fp1-Ref, EEG T3-Ref\)"):
        pick(["EEG Fp1-Ref", "EEG T3-Ref"], ["Fp1", "Oz"], "x.edf")
    assert pick(["EEG Fp1-Ref", "EEG T3-Ref"], ["t7", "FP1"], "x.edf") == [1, 0]


def test_positions_of_any_10_05_channel():
    names = ["TP9", "PO10", "Iz..", "EEG T3-Ref", "AFF1h", "EMGleft"]
    positions = montage(names).get_positions()["ch_pos"]
    assert list(positions) == names[:5]
    np.testing.assert_allclose(positions["EEG T3-Ref"], montage(["T7"]).get_positions()
                               ["ch_pos"]["T7"])


def test_grid_places_what_is_on_it_and_needs_one_channel(caplog):
    names = ["Fc5.", "Cz..", "TP9", "EEG PO10-Ref", "T3"]
    values = np.arange(2 * len(names) * 3, dtype=float).reshape(2, len(names), 3)
    with caplog.at_level(logging.WARNING):
        grid = to_grid(values, names)
    assert grid.shape == (2, 9, 9, 3)
    np.testing.assert_array_equal(grid[:, 3, 1], values[:, 0])  # FC5
    np.testing.assert_array_equal(grid[:, 4, 4], values[:, 1])  # CZ
    np.testing.assert_array_equal(grid[:, 4, 0], values[:, 4])  # T3 = T7
    assert (grid != 0).any(axis=-1).sum() == 2 * 3
    assert "left out of grid representations: TP9, EEG PO10-Ref" in caplog.text
    with pytest.raises(SeedflowError, match=r"no channel on the 9 x 9 electrode grid .*"
                                            r"channels: EEG 000, EEG 001"):
        to_grid(np.ones((1, 2, 5)), ["EEG 000", "EEG 001"])
    placed, _ = grid_placement(tuple(names), grid_for(names))
    assert placed.tolist() == [0, 1, 4]


# ---- real files from MNE's test data ----------------------------------------------------------

def _link(tmp_path: Path, source: Path, name: str) -> Path:
    """A folder with the real file under a BIDS-style name, its companion files (which
    its header names) under their own."""
    folder = tmp_path / "data"
    folder.mkdir(parents=True)
    for companion in source.parent.glob(source.stem + ".*"):
        if companion.suffix != source.suffix:  # a second header would be a misnamed file
            (folder / companion.name).symlink_to(companion)
    (folder / name).symlink_to(source)
    return folder


@real_data
def test_brainvision_markers_listed_when_none_match(tmp_path):
    """ANT amplifier, BrainVision, 1000 Hz: 88 channels, two Marker/Impedance markers."""
    folder = _link(tmp_path, DATA / "CA_208" / "test_CA_208.vhdr", "sub-1_eeg.vhdr")
    config = _mne_config(folder, event_labels={"Stimulus/S  1": "a"})
    message = _fails(config, tmp_path, "no events described as 'Stimulus/S  1'")
    assert message.endswith("the file has: 'Marker/Impedance' (2) (descriptions match "
                            "exactly; a stim channel's events are described by their codes) "
                            "(config key dataset.event_labels)")
    config["dataset"]["event_labels"] = {"Marker/Impedance": "a"}
    _fails(config, tmp_path, r"event 'Marker/Impedance' at 0 s lasts 0 s \(0 samples at "
                             r"1000 Hz\): a marker, not a trial; give class 'a' a trial length "
                             r"\(config key dataset.trial_seconds\)")
    config["dataset"]["trial_seconds"] = 2
    _fails(config, tmp_path, r"trial 2 ends at 6.021 s, after the end")


@real_data
def test_brainvision_channels_stored_under_10_05_names_with_their_mapping(tmp_path):
    folder = _link(tmp_path, DATA / "CA_208" / "test_CA_208.vhdr", "sub-1_eeg.vhdr")
    (folder / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n0.5\t1.5\trest\n"
                                             "2.2\t1.5\ttask\n")
    raw = mne.io.read_raw(DATA / "CA_208" / "test_CA_208.vhdr", verbose="error")
    store = _ingest(_mne_config(folder, event_labels={"rest": "rest", "task": "task"}),
                    tmp_path / "s.zarr")
    named = [ch for ch in raw.ch_names if standard_name(ch)]  # EOG, BIP1..24 have no 10-05 name
    assert len(named) == 63 and set(store.ch_names) == set(named)
    assert store.ch_names[:3] == ["Fp1", "Fpz", "Fp2"] and store.ch_names[-2:] == ["M1", "M2"]
    assert store.attrs["channel_map"] == {ch: ch for ch in store.ch_names}
    assert store.sfreq == 1000 and store.trial_start == [0, 1500]
    expected = raw.get_data(picks=store.ch_names, start=2200, stop=3700)
    np.testing.assert_allclose(store.trial(1), expected.astype(np.float32), rtol=1e-6)
    assert len(montage(store.ch_names).get_positions()["ch_pos"]) == 63


@real_data
def test_brainvision_without_10_05_names_lists_the_file_channels(tmp_path):
    folder = _link(tmp_path, DATA / "NO" / "test_NO.vhdr", "sub-1_eeg.vhdr")
    (folder / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n0\t0.4\ta\n")
    config = _mne_config(folder, event_labels={"a": "a"})
    _fails(config, tmp_path, r"sub-1_eeg.vhdr: no EEG channel with a 10-05 name \(the file "
                             r"has: 1, 2, 3, .*, 71, EMGright, EMGleft\): list the channels "
                             r"to ingest \(config key dataset.channels\)")
    config["dataset"]["channels"] = ["1", "2", "EMGright"]
    store = _ingest(config, tmp_path / "s.zarr", min_trial_seconds=None)
    assert store.ch_names == ["1", "2", "EMGright"] and store.eeg.shape == (3, 2000)
    with pytest.raises(SeedflowError, match="no channel on the 9 x 9 electrode grid"):
        to_grid(np.ones((1, 3, 5)), store.ch_names)


@real_data
def test_bdf_triggers_from_its_status_channel(tmp_path, caplog):
    """BioSemi BDF, C3, C4, Cz + Status: codes 4, 2, then 1 seven times; no annotations."""
    folder = _link(tmp_path, DATA / "test_bdf_stim_channel.bdf", "sub-1_eeg.bdf")
    config = _mne_config(folder, event_labels={1: "a", "2": "b"})  # YAML may give 1 as int
    _fails(config, tmp_path, r"no events described as '1', '2'; the file has: no events")
    config["dataset"]["stim_channel"] = "STI 014"
    _fails(config, tmp_path, r"no stim channel 'STI 014' \(stim channels: Status; the file "
                             r"has: C3, C4, Cz, Status\) \(config key dataset.stim_channel\)")
    config["dataset"]["stim_channel"] = "Status"
    _fails(config, tmp_path, r"event '2' at 0.62 s lasts 0 s \(0 samples at 500 Hz\)")
    config["dataset"]["trial_seconds"] = {"a": 0.4, "b": 0.2}  # the gaps are 1.25-1.31 s
    _fails(config, tmp_path, r"trial 1 \('2' at 0.62 s\) lasts 0.2 s \(100 samples\), "
                             r"shorter than one feature window \(0.25 s\) \(config key "
                             r"features.window_seconds\)", min_trial_seconds=0.25)
    config["dataset"]["trial_seconds"] = {"a": 0.4}
    _fails(config, tmp_path, r"event '2' at 0.62 s lasts 0 s")
    config["dataset"]["trial_seconds"] = 0.4
    with caplog.at_level(logging.INFO):
        store = _ingest(config, tmp_path / "s.zarr", min_trial_seconds=0.25)
    assert "events not in dataset.event_labels, ignored: '4' (1)" in caplog.text
    assert store.ch_names == ["C3", "Cz", "C4"]  # SEED's order
    assert store.class_names == ["a", "b"] and store.labels == [1] + [0] * 7
    assert store.trial_stop[0] == 200 and store.eeg.shape == (3, 8 * 200)
    raw = mne.io.read_raw(DATA / "test_bdf_stim_channel.bdf", verbose="error")
    np.testing.assert_allclose(store.trial(2), raw.get_data(["C3", "Cz", "C4"], start=1606,
                                                            stop=1806).astype(np.float32),
                               rtol=1e-6)
    config["dataset"]["trial_seconds"] = {"a": 0.4, "b": 1.4}  # 310 + 700 > 952
    _fails(config, tmp_path, r"trial 1 \('2' at 0.62 s\) and trial 2 \('1' at 1.904 s\) "
                             r"overlap by 0.116 s: a training and a test trial could share "
                             r"samples \(config key dataset.allow_overlap\)",
           min_trial_seconds=0.25)


@real_data
def test_eeglab_point_event_is_a_marker_and_every_channel_is_placed(tmp_path, caplog):
    """EEGLAB, 61 channels with locations, 128 Hz, 3 s: a point event 'S 12' of 0.0004 s."""
    folder = _link(tmp_path, DATA / "test_raw_chanloc.set", "sub-1_eeg.set")
    config = _mne_config(folder, event_labels={"S 12": "a"})
    _fails(config, tmp_path, r"event 'S 12' at 0.014025 s lasts 0.0004 s \(0 samples at "
                             r"128 Hz\): a marker, not a trial")
    config["dataset"]["trial_seconds"] = 2
    with caplog.at_level(logging.INFO):
        store = _ingest(config, tmp_path / "s.zarr")
    assert "ignored: 'boundary' (1)" in caplog.text
    assert len(store.ch_names) == 61 and store.ch_names[-2:] == ["PO9", "PO10"]
    assert store.trial_start == [0] and store.trial_stop == [256]
    assert len(montage(store.ch_names).get_positions()["ch_pos"]) == 61
    placed, _ = grid_placement(tuple(store.ch_names), grid_for(store.ch_names))
    assert len(placed) == 57  # AF7, AF8, PO9 and PO10 are not on SEED's 9 x 9 grid


@real_data
def test_seed_family_cnt_is_read_as_int32_by_default(tmp_path):
    """The SEED-family kinds read CNT as int32 unless told otherwise; MNE cannot infer the
    sample size of this (int16) file, so ``auto`` fails on it."""
    (tmp_path / "ger").mkdir()
    (tmp_path / "ger" / "1_1_20200101.cnt").symlink_to(DATA / "scan41_short.cnt")
    table = tmp_path / "trials.tsv"
    table.write_text("session\ttrial\tstart_s\tend_s\tlabel\n1\t1\t0.5\t1.5\tpositive\n")
    config = {"dataset": {"kind": "seed-ger", "root": str(tmp_path / "ger"),
                          "trial_table": str(table), "cnt_data_format": None},
              "simulation": {}}
    recording, = recordings_of(config)
    # int32 reading finds the SEED names nowhere in this 128-channel file: the reader got
    # past opening it.
    with pytest.raises(DatasetError, match=r"missing channels: FP1, FPZ"):
        open_source(config, recording)
    config["dataset"]["cnt_data_format"] = "auto"
    with pytest.raises(DatasetError, match=r"int16 or int32"):
        open_source(config, recording)
    dataset = {**complete({})["dataset"], "cnt_data_format": None}
    assert datasets.kind("mne").settings(dataset)["cnt_data_format"] == "auto"


# ---- files written with MNE in other conventions ----------------------------------------------

def test_physionet_names_in_edf_with_zero_length_annotations(tmp_path):
    names = ["Fc5.", "Fc3.", "Cz..", "C4..", "Fp1.", "Pz..", "Oz..", "Iz.."]
    onsets = _lab_recording(tmp_path / "sub-1_eeg.edf", names, trials=4, trial_seconds=4,
                            rest=2, sfreq=160, marker_seconds=0, descriptions=("T1", "T2"),
                            fmt="edf")
    config = _mne_config(tmp_path, event_labels={"T1": "left", "T2": "right"},
                         trial_seconds=4)
    store = _ingest(config, tmp_path / "s.zarr")
    assert store.ch_names == ["Fp1", "FC5", "FC3", "Cz", "C4", "Pz", "Oz", "Iz"]
    assert store.attrs["channel_map"] == dict(zip(
        ["Fp1.", "Fc5.", "Fc3.", "Cz..", "C4..", "Pz..", "Oz..", "Iz.."], store.ch_names))
    assert store.trial_start == [0, 640, 1280, 1920] and store.labels == [0, 1, 0, 1]
    raw = mne.io.read_raw(tmp_path / "sub-1_eeg.edf", verbose="error")
    start = int(round(onsets[1] * 160))
    np.testing.assert_allclose(store.trial(1), raw.get_data(
        ["Fp1.", "Fc5.", "Fc3.", "Cz..", "C4..", "Pz..", "Oz..", "Iz.."], start=start,
        stop=start + 640).astype(np.float32), rtol=1e-6)


def test_clinical_names_and_explicit_channels_in_any_spelling(tmp_path):
    names = ["EEG Fp1-Ref", "EEG F3-Ref", "EEG T3-Ref", "EEG T5-Ref", "EEG O1-Ref",
             "EEG A1-Ref", "ECG EKG-Ref", "Photic-Ref"]
    _lab_recording(tmp_path / "sub-1_eeg.edf", names, trials=2, trial_seconds=3, rest=1,
                   fmt="edf")
    config = _mne_config(tmp_path, event_labels=MARKERS, trial_seconds=3)
    store = _ingest(config, tmp_path / "s.zarr")
    assert store.ch_names == ["Fp1", "F3", "T7", "P7", "O1", "A1"]
    assert store.attrs["channel_map"]["EEG T5-Ref"] == "P7"
    config["dataset"]["channels"] = ["t7", "FP1", "Photic-Ref"]
    store = _ingest(config, tmp_path / "s2.zarr")
    assert store.ch_names == ["T7", "Fp1", "Photic-Ref"]
    assert list(store.attrs["channel_map"]) == ["EEG T3-Ref", "EEG Fp1-Ref", "Photic-Ref"]
    config["dataset"]["channels"] = ["Fp1", "Cz"]
    _fails(config, tmp_path, r"missing channels: Cz \(expected: Fp1, Cz; the file has: "
                             r"EEG Fp1-Ref, EEG F3-Ref, EEG T3-Ref")


def test_pol_names_with_old_and_new_temporal_names_are_one_error(tmp_path):
    names = ["POL Fp1", "POL T3", "POL T7", "POL Cz"]
    _lab_recording(tmp_path / "sub-1_eeg.fif", names, trials=2, trial_seconds=2, rest=1)
    config = _mne_config(tmp_path, event_labels=MARKERS, trial_seconds=2)
    _fails(config, tmp_path, r"duplicated channels: POL T3 and POL T7 name the same electrode")


def test_stim_channel_codes_with_a_trial_length_per_class(tmp_path):
    sfreq, n = 200.0, 200 * 40
    info = mne.create_info(["Fz", "Cz", "Pz", "STI 014"], sfreq, ["eeg"] * 3 + ["stim"])
    data = np.random.default_rng(2).standard_normal((4, n)) * 1e-5
    data[3] = 0
    codes = {2.0: 1, 10.0: 2, 20.0: 1, 30.0: 3}  # onset (s) -> code; 3 is not mapped
    for onset, code in codes.items():
        data[3, int(onset * sfreq):int(onset * sfreq) + 1] = code  # one-sample pulses
    data[3, 0] = 2  # a trigger already on at the first sample counts too
    raw = mne.io.RawArray(data, info, verbose="error")
    raw.save(tmp_path / "sub-1_eeg.fif", verbose="error")
    config = _mne_config(tmp_path, stim_channel="STI 014", event_labels={"1": "happy",
                                                                           "2": "sad"},
                         trial_seconds={"happy": 5, "sad": 1.5})
    store = _ingest(config, tmp_path / "s.zarr")
    assert store.labels == [1, 0, 1, 0] and store.class_names == ["happy", "sad"]
    assert np.diff([0, *store.trial_stop]).tolist() == [300, 1000, 300, 1000]
    np.testing.assert_allclose(store.trial(1), data[:3, 400:1400].astype(np.float32))
    (tmp_path / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n1\t2\t1\n")
    _fails(config, tmp_path, r"sub-1_eeg.fif: events would come both from .*sub-1_events.tsv "
                             r"and from stim channel 'STI 014': remove one")


def test_overlapping_trials_are_an_error_unless_allowed(tmp_path, caplog):
    """Markers every 8 s lasting 6 s; positive trials made 10 s long overlap the next."""
    _lab_recording(tmp_path / "sub-1_eeg.fif", ["Fz", "Cz", "Pz"], trials=4, trial_seconds=6,
                   rest=2, marker_seconds=6)
    config = _mne_config(tmp_path, event_labels=MARKERS, trial_seconds={"positive": 10})
    _fails(config, tmp_path, r"sub-1_eeg.fif: trial 1 \('Stimulus/S  1' at 2 s\) and trial 2 "
                             r"\('Stimulus/S  2' at 10 s\) overlap by 2 s \(2 trials overlap "
                             r"an earlier one\): a training and a test trial could share "
                             r"samples \(config key dataset.allow_overlap\)")
    config["dataset"]["allow_overlap"] = True
    with caplog.at_level(logging.WARNING):
        store = _ingest(config, tmp_path / "s.zarr")
    assert "accepted (dataset.allow_overlap)" in caplog.text
    assert store.trial_start == [0, 2500, 4000, 6500]
    np.testing.assert_array_equal(store.trial(0)[:, 2000:], store.trial(1)[:, :500])


def test_trial_shorter_than_a_feature_window_names_the_trial(tmp_path):
    _lab_recording(tmp_path / "sub-1_eeg.fif", ["Fz", "Cz", "Pz"], trials=2, trial_seconds=3,
                   rest=1)
    (tmp_path / "sub-1_events.tsv").write_text(
        "onset\tduration\ttrial_type\n1\t2\tStimulus/S  1\n5\t0.5\tStimulus/S  2\n")
    config = _mne_config(tmp_path, event_labels=MARKERS)
    _fails(config, tmp_path, r"sub-1_eeg.fif: trial 2 \('Stimulus/S  2' at 5 s\) lasts 0.5 s "
                             r"\(125 samples\), shorter than one feature window \(1 s\)")
    assert _ingest(config, tmp_path / "s.zarr", min_trial_seconds=0.5).trial_stop == [500, 625]


# ---- a lab's BrainVision recording through the workflow ----------------------------------------

@pytest.mark.slow
def test_brainvision_recording_with_stimulus_markers_runs_end_to_end(tmp_path):
    """One subject, 8 trials of 20 s from `S  1`/`S  2` markers (one sample long, as a
    recorder writes them), an old-style 32-channel cap: ingest, features, cnn4d (grid: 4
    channels left out) and logreg, both reports; then predict reads it as the run did."""
    root = tmp_path / "films"
    vhdr = root / "sub-01" / "sub-01_task-films_eeg.vhdr"
    onsets = _lab_recording(vhdr, [*CAP, "HEOG", "VEOGb"], trials=8, trial_seconds=20,
                            rest=4, fmt="brainvision")
    config = {"dataset": {"kind": "mne", "root": str(root), "event_labels": MARKERS,
                          "trial_seconds": 20},
              "recognition": {"models": ["cnn4d", "logreg"], "train_trials": 4, "epochs": 2},
              "synthesis": {"enabled": False, "feature_gan": {"enabled": False},
                            "augmentation": {"enabled": False}}}
    (tmp_path / "films.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "--cores", "2", "--configfile", str(TINY),
                    str(tmp_path / "films.yaml"))
    assert run.returncode == 0, run.stderr[-5000:]
    results = tmp_path / "results"

    store = IngestStore.open(results / "ingest" / "sub-01" / "ses-1.zarr")
    assert store.ch_names == STORED and store.attrs["eog_names"] == ["VEOGb"]
    assert store.attrs["channel_map"]["T5"] == "P7" and len(store.attrs["channel_map"]) == 33
    assert store.class_names == ["positive", "negative"] and store.labels == [0, 1] * 4
    assert store.trial_start == [k * 5000 for k in range(8)]
    raw = mne.io.read_raw(vhdr, verbose="error")
    start = int(round(onsets[3] * 250))
    in_file = list(store.attrs["channel_map"])[:32]
    np.testing.assert_allclose(store.trial(3), raw.get_data(in_file, start=start,
                                                            stop=start + 5000).astype(np.float32))
    ingest_log = (results / "logs" / "ingest" / "sub-01_ses-1.log").read_text()
    assert "ignored: 'Comment/start' (1)" in ingest_log
    assert "1 channels not ingested: HEOG (no 10-05 name)" in ingest_log
    assert store.attrs["left_out_channels"] == {"HEOG": "no 10-05 name"}
    train_log = (results / "logs" / "train" / "cnn4d_subject_dependent_sub-01_ses-1.log"
                 ).read_text()
    assert "left out of grid representations: TP9, TP10, PO9, PO10" in train_log

    records = {r["model"]: r for r in json.loads((results / "summary" / "metrics.json")
                                                 .read_text())}
    assert set(records) == {"cnn4d", "logreg"}
    assert records["logreg"]["accuracy_mean"] == 1.0  # the planted alpha effect is strong
    fold = results / "models" / "cnn4d" / "subject_dependent" / "sub-01_ses-1"
    metrics = json.loads((fold / "metrics.json").read_text())
    assert sum(map(sum, metrics["confusion_matrix"])) == 4 * 20
    report = (results / "reports" / "sub-01.html").read_text()
    for section in ("Montage", "Channel names", "DE topomaps", "Model cnn4d", "Model logreg",
                    "not ingested because"):
        assert section in report, section
    assert "No topomap" not in report
    assert (results / "summary" / "report.html").is_file()

    # predict: the same recording gives the workflow's predictions; markers it does not
    # know name the command-line option, not a config key.
    run = predict_cli("--model", str(fold), "--recording", str(vhdr), "--out",
                      str(tmp_path / "pred"))
    assert run.returncode == 0, run.stderr[-3000:]
    assert_same_predictions(tmp_path / "pred" / "windows.csv", fold / "predictions.csv")
    # Another cap (one channel more, in another order) with other marker codes.
    other = tmp_path / "other" / "sub-02_task-films_eeg.vhdr"
    onsets = _lab_recording(other, ["AF7", *reversed(CAP), "HEOG", "VEOGb"], trials=2,
                            trial_seconds=20, rest=4,
                            descriptions=("Stimulus/S 11", "Stimulus/S 12"), fmt="brainvision")
    run = predict_cli("--model", str(fold), "--recording", str(other), "--out",
                      str(tmp_path / "pred2"))
    err = run.stderr
    assert run.returncode == 1, err[-3000:]
    assert "no events described as 'Stimulus/S  1', 'Stimulus/S  2'; the file has: " \
           "'Comment/start' (1), 'Stimulus/S 11' (1), 'Stimulus/S 12' (1)" in err
    assert "the training run's setting dataset.event_labels" in err
    assert "give the recording's trials with --labels" in err and "config key" not in err
    labels = tmp_path / "other.tsv"
    labels.write_text("onset\tduration\ttrial_type\n" + "".join(
        f"{t}\t20\t{d}\n" for t, d in zip(onsets, MARKERS)))
    run = predict_cli("--model", str(fold), "--recording", str(other), "--labels",
                      str(labels), "--out", str(tmp_path / "pred2"))
    assert run.returncode == 0, run.stderr[-3000:]
    trials = list(csv.DictReader(open(tmp_path / "pred2" / "trials.csv")))
    assert [(r["subject"], r["label"], r["n_samples"]) for r in trials] == [
        ("02", "0", "20"), ("02", "1", "20")]


# ---- the run's channels: what every recording has ---------------------------------------------

def _run_config(root: Path, overrides: dict | None = None, **dataset) -> dict:
    """The defaults with tests/tiny.yaml, an ``mne`` dataset at ``root`` and ``overrides``."""
    config = seedflow_config.load(REPO / "config" / "config.yaml", TINY)
    config = seedflow_config.merge(config, {"dataset": {"kind": "mne", "root": str(root),
                                                        **dataset}, **(overrides or {})})
    seedflow_config.validate(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    return config


def _planned(config: dict):
    """(recordings, headers, montage) as the workflow plans them."""
    recordings = recordings_of(config)
    found = planning.headers(config, recordings)
    chosen = planning.montage(config, found)
    planning.check(config, found, chosen)
    return recordings, found, chosen


def _ingested(config: dict, recordings, chosen, root: Path) -> list[Session]:
    """Ingest (with the run's channels) and features of every recording, as the rules do."""
    sessions = []
    for r in recordings:
        raw = root / "zarr" / f"sub-{r.subject}.zarr"
        ingest_store.write(open_source(config, r, list(chosen.channels)), raw,
                                 chunk_seconds=1, attrs={"subject": r.subject,
                                                         "session": r.session})
        out = root / "features" / f"sub-{r.subject}.zarr"
        extraction.extract(ingest=raw, out=out, spec=FeatureSpec.from_config(config))
        sessions.append(Session(r.subject, r.session, out, raw))
    return sessions


def test_a_run_stores_the_channels_every_recording_has(tmp_path, caplog):
    """One recording with two channels more, the other in another order with a channel
    without a 10-05 name: the run stores the 5 they share, in SEED's order, and says what
    each recording left out and why; too few channels, or listed channels a recording
    lacks, stop the plan with the counts."""
    root = tmp_path / "data"
    for name, channels in (("sub-1", ["Fp1", "C3", "Cz", "C4", "Pz", "Oz", "O1"]),
                           ("sub-2", ["C4", "Cz", "EEG 000", "C3", "Pz", "Fp1"])):
        _lab_recording(root / f"{name}_eeg.fif", channels, trials=4, trial_seconds=2, rest=1)
    config = _run_config(root, event_labels=MARKERS, trial_seconds=2)
    with caplog.at_level(logging.WARNING):
        recordings, found, chosen = _planned(config)
    assert chosen.channels == ("Fp1", "C3", "Cz", "C4", "Pz")
    assert chosen.dropped == {("1", "1"): ("O1", "Oz"), ("2", "1"): ()}
    assert ("sub-1 ses-1 (sub-1_eeg.fif): 2 of its 7 EEG channels with a 10-05 name are not "
            "in every recording of the run and are left out: O1, Oz") in caplog.text
    stores = [IngestStore.open(s.ingest) for s in
              _ingested(config, recordings, chosen, tmp_path / "run")]
    assert [s.ch_names for s in stores] == [list(chosen.channels)] * 2
    assert stores[0].attrs["left_out_channels"] == {"Oz": mne_raw.NOT_SHARED,
                                                    "O1": mne_raw.NOT_SHARED}
    assert stores[1].attrs["left_out_channels"] == {"EEG 000": "no 10-05 name"}
    raw = mne.io.read_raw(root / "sub-2_eeg.fif", verbose="error")
    np.testing.assert_allclose(stores[1].trial(0)[:, :10], raw.get_data(
        list(chosen.channels), start=250, stop=260).astype(np.float32), rtol=1e-6)

    config["dataset"]["min_channels"] = 6
    with pytest.raises(SeedflowError, match=re.escape(
            "config key dataset.min_channels: 6, but the run has 5 channels that every "
            "recording has (Fp1, C3, Cz, C4, Pz); EEG channels with a 10-05 name per "
            "recording: sub-1 ses-1 (sub-1_eeg.fif): 7 (Fp1, C3, Cz, C4, Pz, O1, Oz); "
            "sub-2 ses-1 (sub-2_eeg.fif): 5 (Fp1, C3, Cz, C4, Pz). Lower")):
        planning.montage(config, found)
    config["dataset"].update(min_channels=1, channels=["o1", "cz", "EEG 000"])
    with pytest.raises(SeedflowError, match=re.escape(
            "config key dataset.channels: 2 of 2 recordings lack channels it lists: sub-1 "
            "ses-1 (sub-1_eeg.fif) lacks EEG 000 (the file has: Fp1, C3, Cz, C4, Pz, Oz, "
            "O1); sub-2 ses-1 (sub-2_eeg.fif) lacks o1 (the file has: C4, Cz, EEG 000, C3, "
            "Pz, Fp1)")):
        planning.montage(config, found)
    config["dataset"]["channels"] = ["cz", "c3"]
    assert planning.montage(config, found).channels == ("Cz", "C3")
    source = open_source(config, recordings[1], ["Cz", "C3"])
    assert source.ch_names == ["Cz", "C3"] and source.left_out == {
        ch: mne_raw.NOT_LISTED for ch in ("C4", "EEG 000", "Pz", "Fp1")}


@pytest.mark.parametrize("channels, models, match", [
    (["EEG 000", "EEG 001", "EEG 002", "EEG 003"], {"models": ["svm", "cnn4d"]},
     r"config key recognition.models: cnn4d places channels on the 9 x 9 electrode grid, "
     r"but none of the run's channels is on it \(the run's channels: EEG 000, EEG 001, "
     r"EEG 002, EEG 003; the grid holds FP1, FPZ"),
    (["Fz", "Cz", "Pz", "Oz"], {"models": ["svm", "stacking"], "stacking": ["svm", "tsception"],
                                "validation_trials": 1},
     r"config key recognition.stacking: tsception's hemisphere kernels need a left and a "
     r"right electrode mirrored on the 9 x 9 electrode grid \(such as C3 and C4\), but the "
     r"run's channels have none \(the run's channels: Fz, Cz, Pz, Oz\)"),
    (["C3", "C4", "Cz", "TP9"], {"models": ["tsception"]},
     r"config key synthesis.feature_gan.enabled: the feature-level GAN places every channel "
     r"on the 9 x 9 electrode grid, but TP9 are not on it"),
])
def test_models_that_cannot_use_the_run_channels_stop_the_plan(tmp_path, channels, models,
                                                               match):
    _lab_recording(tmp_path / "sub-1_eeg.fif", channels, trials=6, trial_seconds=2, rest=1)
    config = _run_config(tmp_path, {"recognition": models}, event_labels=MARKERS,
                         trial_seconds=2, channels=channels)
    with pytest.raises(SeedflowError, match=match):
        _planned(config)
    config["recognition"].update(models=["svm"], validation_trials=0)
    config["synthesis"]["feature_gan"]["enabled"] = False
    config["synthesis"]["augmentation"].update(arms=["mixup"], model="svm")
    assert _planned(config)[2].channels == tuple(channels)


@pytest.mark.parametrize("channels", [["Fz", "Cz", "Pz", "Oz"], ["EEG 000", "EEG 001"]])
def test_eegnet_and_dgcnn_take_channels_without_a_mirrored_pair_or_off_the_grid(tmp_path,
                                                                              channels):
    _lab_recording(tmp_path / "sub-1_eeg.fif", channels, trials=6, trial_seconds=2, rest=1)
    config = _run_config(tmp_path, {"recognition": {"models": ["eegnet", "dgcnn"]}},
                         event_labels=MARKERS, trial_seconds=2, channels=channels,
                         min_channels=2)
    config["synthesis"]["feature_gan"]["enabled"] = False
    config["synthesis"]["augmentation"].update(arms=["mixup"], model="dgcnn")
    assert _planned(config)[2].channels == tuple(channels)


def test_loso_over_subjects_with_different_montages_trains_on_the_shared_channels(tmp_path):
    """One subject has a channel more, the other lacks one of the first's: LOSO trains and
    tests on the channels both have. Stores of different montages are one clear error."""
    root = tmp_path / "data"
    cap = ["Fp1", "F3", "F4", "C3", "Cz", "C4", "P3", "Pz", "P4", "O1", "O2"]
    _lab_recording(root / "sub-1_eeg.fif", [*cap, "AF7"], trials=6, trial_seconds=3, rest=1)
    _lab_recording(root / "sub-2_eeg.fif", [ch for ch in cap if ch != "P4"], trials=6,
                   trial_seconds=3, rest=1, seed=1)
    config = _run_config(root, event_labels=MARKERS, trial_seconds=3)
    recordings, _, chosen = _planned(config)
    assert len(chosen.channels) == 10 and "P4" not in chosen.channels
    sessions = _ingested(config, recordings, chosen, tmp_path / "run")
    settings = {**config["recognition"], "epochs": 1}
    for fold in protocols.folds([("1", "1"), ("2", "1")], protocol_spec("loso", settings)):
        for model in ("svm", "cnn4d"):
            result = train.train_fold(model=model, fold=fold, sessions=sessions, out_dir=tmp_path / model / fold.name, spec=train_spec(model, settings, fold.protocol))
            assert result["n_test_windows"] == 6 * 3
    # Stores ingested each with its own channels (12 and 10): not one NumPy error, this.
    own = []
    for r, session in zip(recordings, sessions):
        path = tmp_path / "own" / f"sub-{r.subject}.zarr"
        ingest_store.write(open_source(config, r), path, chunk_seconds=1,
                                 attrs={"subject": r.subject, "session": r.session})
        extraction.extract(ingest=path, out=path.with_suffix(".features"), spec=FeatureSpec.from_config(config))
        own.append(Session(r.subject, r.session, path.with_suffix(".features"), path))
    fold = protocols.folds([("1", "1"), ("2", "1")], protocol_spec("loso", settings))[0]
    with pytest.raises(SeedflowError, match=r"the sessions hold different channels \(sub-1 "
                                            r"ses-1 .*: Fp1, F3, .*, AF7; sub-2 ses-1 .*: "
                                            r"Fp1, .*, O2\): one model reads one montage"):
        train.train_fold(model="svm", fold=fold, sessions=own, out_dir=tmp_path / "own-svm", spec=train_spec("svm", settings, fold.protocol))


@pytest.mark.parametrize("channels, listed, notes", [
    (["C3", "C4"], False,
     ["No topomap: 2 channel(s) with a scalp position (C3, C4); a map needs at least 4.",
      "2 recorded channels: C3, C4. Every channel has a position"]),
    (["EEG 000", "EEG 001", "EEG 002", "EEG 003", "EEG 004"], True,
     ["No montage to draw, and no topomap in this report.",
      "No topomap: 0 channel(s) with a scalp position; a map needs at least 4. Left out "
      "(no scalp position): EEG 000, EEG 001, EEG 002, EEG 003, EEG 004."]),
])
def test_subject_report_with_few_channels_or_none_placed(tmp_path, channels, listed, notes):
    """Traces, PSD, tables and models are kept; montage and topomaps are left out with a
    note saying why."""
    from seedflow.report.subject import subject_report
    from seedflow.stores.samples import write_windows as write_samples

    _lab_recording(tmp_path / "data" / "sub-1_eeg.fif", channels, trials=6, trial_seconds=4,
                   rest=1)
    config = _run_config(tmp_path / "data", {"recognition": {"models": ["svm"]},
                                             "synthesis": {"enabled": False}},
                         event_labels=MARKERS, trial_seconds=4, min_channels=2,
                         channels=channels if listed else None)
    recordings, _, chosen = _planned(config)
    (session,) = _ingested(config, recordings, chosen, tmp_path)
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
    train.train_fold(model="svm", fold=fold, sessions=[session], out_dir=tmp_path / "svm", spec=train_spec("svm", config["recognition"], fold.protocol))
    store = IngestStore.open(session.ingest)
    samples = tmp_path / "samples.zarr"
    write_samples(samples, np.random.default_rng(0).standard_normal(
        (4, 250, len(channels))).astype(np.float32) * 1e-5, np.repeat([0, 1], 2),
        {"sfreq": store.sfreq, "ch_names": store.ch_names, "class_names": store.class_names})
    out = tmp_path / "sub-1.html"
    subject_report(subject="1", stores=[session.ingest], feature_stores=[session.features],
                   fold_dirs=[tmp_path / "svm"], samples=samples, out=out, excerpt_seconds=5.0)
    text = out.read_text()
    for note in notes + ["Raw traces", "PSD · session 1", "Channel table", "Model svm",
                         "Real vs synthetic PSD"]:
        assert note in text, note
    assert "Real vs synthetic band-power topomaps" in text and "DE topomaps" in text


@real_data
def test_real_files_too_short_to_train_stop_the_plan_with_the_documented_errors(tmp_path):
    """Before any job: the EEGLAB set's channels off the grid stop the feature GAN, its one
    trial the subject-dependent split; the ANT file's EOG and bipolar channels are left out
    (no 10-05 name), its two trials too few; the file without 10-05 names needs
    dataset.channels."""
    folder = _link(tmp_path / "set", DATA / "test_raw_chanloc.set", "sub-1_eeg.set")
    config = _run_config(folder, event_labels={"S 12": "a"}, trial_seconds=2)
    with pytest.raises(SeedflowError, match=r"config key synthesis.feature_gan.enabled: the "
                                            r"feature-level GAN places every channel on the 9 "
                                            r"x 9 electrode grid, but AF7, AF8, PO9, PO10 are "
                                            r"not on it"):
        _planned(config)
    config["synthesis"]["enabled"] = False
    with pytest.raises(SeedflowError, match=r"config key recognition.train_trials: 3 leaves "
                                            r"no test trial in sub-1 ses-1 \(sub-1_eeg.set\), "
                                            r"which has 1 trials"):
        _planned(config)

    folder = _link(tmp_path / "ant", DATA / "CA_208" / "test_CA_208.vhdr", "sub-1_eeg.vhdr")
    (folder / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n0.5\t1.5\trest\n"
                                             "2.2\t1.5\ttask\n")
    config = _run_config(folder, {"synthesis": {"enabled": False}},
                         event_labels={"rest": "rest", "task": "task"})
    recordings = recordings_of(config)
    chosen = planning.montage(config, planning.headers(config, recordings))
    assert len(chosen.channels) == 63 and chosen.channels[:2] == ("Fp1", "Fpz")
    source = open_source(config, recordings[0], list(chosen.channels))
    assert source.left_out == {ch: mne_raw.NO_NAME
                               for ch in ["EOG", *(f"BIP{k}" for k in range(1, 25))]}
    with pytest.raises(SeedflowError, match=r"config key recognition.train_trials: 3 leaves "
                                            r"no test trial .* which has 2 trials"):
        _planned(config)

    folder = _link(tmp_path / "no", DATA / "NO" / "test_NO.vhdr", "sub-1_eeg.vhdr")
    (folder / "sub-1_events.tsv").write_text("onset\tduration\ttrial_type\n0\t0.4\ta\n")
    config = _run_config(folder, event_labels={"a": "a"})
    with pytest.raises(SeedflowError, match=r"config key dataset.channels: no EEG channel "
                                            r"with a 10-05 name in sub-1 ses-1 "
                                            r"\(sub-1_eeg.vhdr\) \(the file has: 1, 2, 3, "
                                            r".*, EMGleft\): list the channels to ingest"):
        _planned(config)

@real_data
@pytest.mark.slow
def test_bdf_and_a_recording_of_another_montage_run_on_their_two_shared_channels(tmp_path):
    """The real BDF (C3, C4, Cz; trials from its Status triggers) and a FIF recording with
    Fp1, C3, Cz, Pz, a channel without a 10-05 name and a Status channel: the two share C3
    and Cz. Below dataset.min_channels the plan stops with the counts; with it lowered, LOSO
    trains on the shared channels and both reports are written, without topomaps."""
    root = tmp_path / "data"
    _link(tmp_path, DATA / "test_bdf_stim_channel.bdf", "sub-1_eeg.bdf")
    sfreq, n = 500.0, 6000
    data = np.random.default_rng(0).standard_normal((6, n)) * 1e-5
    data[5] = 0
    data[5, (np.arange(10) * 500 + 250)] = [1, 2] * 5  # trigger codes, every second
    info = mne.create_info(["Fp1", "C3", "Cz", "Pz", "EEG 000", "Status"], sfreq,
                           ["eeg"] * 5 + ["stim"])
    mne.io.RawArray(data, info, verbose="error").save(root / "sub-2_eeg.fif", verbose="error")
    config = {"dataset": {"kind": "mne", "root": str(root), "stim_channel": "Status",
                          "event_labels": {"1": "a", "2": "b"}, "trial_seconds": 0.4},
              "features": {"window_seconds": 0.2},
              "recognition": {"models": ["cnn4d", "logreg"], "protocols": ["loso"],
                              "epochs": 2},
              "synthesis": {"enabled": False}}
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    plan = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(tmp_path / "run.yaml"))
    assert plan.returncode != 0
    assert ("config key dataset.min_channels: 4, but the run has 2 channels that every "
            "recording has (C3, Cz); EEG channels with a 10-05 name per recording: sub-1 "
            "ses-1 (sub-1_eeg.bdf): 3 (C3, Cz, C4); sub-2 ses-1 (sub-2_eeg.fif): 4 (Fp1, C3, "
            "Cz, Pz)") in plan.stdout + plan.stderr
    assert not (tmp_path / "results").exists()

    config["dataset"]["min_channels"] = 2
    (tmp_path / "run.yaml").write_text(yaml.safe_dump(config))
    run = snakemake(tmp_path, "--cores", "2", "--configfile", str(TINY),
                    str(tmp_path / "run.yaml"))
    assert run.returncode == 0, run.stderr[-5000:]
    assert ("sub-2 ses-1 (sub-2_eeg.fif): 2 of its 4 EEG channels with a 10-05 name are not "
            "in every recording of the run and are left out: Fp1, Pz") in run.stderr
    results = tmp_path / "results"
    stores = {s: IngestStore.open(results / "ingest" / f"sub-{s}" / "ses-1.zarr")
              for s in ("1", "2")}
    assert [s.ch_names for s in stores.values()] == [["C3", "Cz"]] * 2
    assert stores["1"].attrs["left_out_channels"] == {"C4": mne_raw.NOT_SHARED,
                                                      "Status": "not EEG (stim channel)"}
    assert stores["2"].attrs["left_out_channels"] == {
        "Fp1": mne_raw.NOT_SHARED, "Pz": mne_raw.NOT_SHARED, "EEG 000": mne_raw.NO_NAME,
        "Status": "not EEG (stim channel)"}
    assert stores["1"].labels == [1] + [0] * 7 and stores["2"].labels == [0, 1] * 5
    records = json.loads((results / "summary" / "metrics.json").read_text())
    assert {(r["model"], r["protocol"], r["n_folds"]) for r in records} == {
        ("cnn4d", "loso", 2), ("logreg", "loso", 2)}
    metrics = json.loads((results / "models" / "logreg" / "loso" / "sub-1" / "metrics.json")
                         .read_text())
    assert metrics["n_test_windows"] == 8 * 2  # 8 trials of 0.4 s, 0.2 s windows
    report = (results / "reports" / "sub-2.html").read_text()
    for text in ("No topomap: 2 channel(s) with a scalp position (C3, Cz); a map needs at "
                 "least 4.", "not ingested because", "Raw traces", "Model logreg"):
        assert text in report, text
    assert "Recognition results" in (results / "summary" / "report.html").read_text()
