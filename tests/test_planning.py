"""Planning: what the config and the files' headers tell stops the run before any job, with
one error naming the config key (or the file), and file names that would silently drop a
subject are errors unless listed in dataset.exclude."""

import logging
import re

import mne
import numpy as np
import pytest
import scipy.io
import yaml

from conftest import REPO, TINY, snakemake, write_seed_dataset
from layouts import complete, as_real, open_source, recordings_of, write_simulated
from seedflow import config as seedflow_config
from seedflow import datasets
from seedflow import planning
from seedflow.datasets.base import ReaderSpec
from seedflow.simulate import dreamer as simulate_dreamer
from seedflow.simulate import seed_v as simulate_seed_v
from seedflow.errors import DatasetError, SeedflowError
from seedflow.datasets import dreamer, mne_raw, seed, seed_iv, trial_table
from conftest import simulation_spec


def _tiny_config(**override) -> dict:
    """The defaults with tests/tiny.yaml and ``override`` merged, as Snakemake merges them."""
    config = seedflow_config.load(REPO / "config" / "config.yaml", TINY)
    return seedflow_config.merge(config, override)


def _plan(config: dict) -> None:
    planning.check(config, planning.headers(config, recordings_of(config)))


# ---- what the headers say ----------------------------------------------------------------

@pytest.mark.parametrize("layout, dataset", [
    ("seed", {}), ("seed-iv", {}), ("seed-v", {}), ("dreamer", {}),
    ("dreamer", {"target": "arousal", "levels": 5}), ("deap", {}),
    ("deap", {"target": "arousal", "at_threshold": "low", "baseline": "subtract"}),
    ("faced", {}), ("faced", {"target": "emotion", "channel_order": "mastoids_last"})])
def test_simulated_headers_are_what_the_readers_will_read(tmp_path, layout, dataset):
    subjects, sessions = {"dreamer": (2, 1), "seed-v": (1, 2), "deap": (2, 1),
                          "faced": (2, 1)}.get(layout, (2, 2))
    config = write_simulated(tmp_path, layout, subjects=subjects, sessions=sessions,
                             trials_per_session=28 if layout == "faced" else 5,
                             trial_seconds=2 if layout == "deap" else 2.5)
    config["dataset"].update(dataset)
    recordings = recordings_of(config)
    planned = planning.headers(config, recordings)
    read = {(r.subject, r.session): open_source(config, r).header for r in recordings}
    assert planned == read
    assert len(planned) == subjects * sessions


def test_dreamer_headers_come_from_one_pass_that_skips_the_samples(tmp_path):
    config = as_real(write_simulated(tmp_path, "dreamer", subjects=2, trials_per_session=3,
                                     trial_seconds=8), "dreamer", target="dominance", levels=5)
    recordings = recordings_of(config)[:2]
    planned = planning.headers(config, recordings)
    for r in recordings:  # 8 s x 128 Hz x 14 channels: each trial outlined, not read
        assert planned[(r.subject, "1")] == open_source(config, r).header
    assert [t.n_samples for t in planned[("2", "1")].trials] == [8 * 128] * 3
    with pytest.raises(DatasetError, match="DREAMER.mat: subject 3: not in DREAMER's layout "
                                           r"\(the file holds 2 subjects\)"):
        planning.headers(config, recordings_of(config))


def test_default_and_model_comparison_configs_plan():
    _plan(seedflow_config.load(REPO / "config" / "config.yaml"))
    _plan(seedflow_config.load(REPO / "config" / "config.yaml",
                               REPO / "config" / "model-comparison.yaml"))
    _plan(_tiny_config())


# ---- config checked against the headers ----------------------------------------------------

# (override of tests/tiny.yaml: 2 subjects x 1 session x 6 trials of 20 s at 200 Hz, labels
# 1, 0, -1, -1, 0, 1) -> what the one error says
CASES = {
    "window too short for eegnet": (
        {"features": {"window_seconds": 0.1, "overlap_seconds": 0},
         "recognition": {"models": ["eegnet"]}},
        r"config key features.window_seconds: eegnet pools 32 samples into one step, but a "
        r"0.1 s window holds 20 at 200 Hz"),
    "inverted band": (
        {"features": {"bands": {"alpha": [14, 8]}}},
        r"config key features.bands.alpha: \[14, 8\] Hz: the low edge must be below the high "
        "edge"),
    "empty band": (
        {"features": {"bands": {"alpha": [8, 8]}}},
        r"config key features.bands.alpha: \[8, 8\] Hz: the low edge must be below"),
    "band from 0 Hz": (
        {"features": {"bands": {"delta": [0, 4]}}},
        r"config key features.bands.delta: \[0, 4\] Hz: the low edge must be above 0 Hz"),
    "band above Nyquist": (
        {"features": {"bands": {"gamma": [31, 120]}}},
        r"config key features.bands.gamma: \[31, 120\] Hz reaches above Nyquist \(100 Hz at "
        r"200 Hz sampling\)"),
    "resample below a band": (
        {"features": {"preprocessing": {"resample": 60}}},
        r"config key features.preprocessing.resample: 60 Hz puts Nyquist at 30 Hz, not above "
        r"band beta \[14, 31\] Hz"),
    "resample not a simple ratio": (
        {"features": {"preprocessing": {"resample": 133.3}}},
        "config key features.preprocessing.resample: 133.3 Hz is not a simple ratio"),
    "inverted bandpass": (
        {"features": {"preprocessing": {"bandpass": [40, 1]}}},
        r"config key features.preprocessing.bandpass: \[40, 1\] Hz: the low edge must be "
        "below"),
    "bandpass above Nyquist": (
        {"features": {"preprocessing": {"bandpass": [1, 150], "resample": 400}}},
        r"config key features.preprocessing.bandpass: \[1, 150\] Hz reaches above Nyquist "
        r"\(100 Hz at 200 Hz sampling\)"),
    "notch at Nyquist": (
        {"features": {"preprocessing": {"notch": 100}}},
        "config key features.preprocessing.notch: 100 Hz is not below Nyquist"),
    "reference channel missing": (
        {"features": {"preprocessing": {"reference": ["CZ", "M1"]}}},
        r"config key features.preprocessing.reference: channels \['M1'\] are not among the "
        "run's channels: FP1, FPZ"),
    "window longer than a trial": (
        {"features": {"window_seconds": 30}},
        "config key features.window_seconds: 30 s windows do not fit in trial 1 of sub-1 "
        r"ses-1 \(1_20131013.mat\), 20 s long"),
    "window longer than a resampled trial": (
        {"features": {"window_seconds": 25, "preprocessing": {"resample": 120}}},
        "config key features.window_seconds: 25 s windows do not fit .*, 20 s long"),
    "overlap not below window": (
        {"features": {"overlap_seconds": 1.0}},
        "config key features.overlap_seconds: 1 s is not shorter than "
        r"features.window_seconds \(1 s\)"),
    "stft_n below window": (
        {"features": {"de_method": "stft", "stft_n": 128}},
        "config key features.stft_n: 128 is shorter than a window"),
    "train_trials leave no test trial": (
        {"recognition": {"train_trials": 6}},
        r"config key recognition.train_trials: 6 leaves no test trial in sub-1 ses-1 "
        r"\(1_20131013.mat\), which has 6 trials"),
    "kfold above trials": (
        {"recognition": {"protocols": ["kfold"], "kfold": 13}},
        "config key recognition.kfold: 13 folds, but the dataset has 12 trials"),
    "session_folds above trials": (
        {"recognition": {"session_folds": 7}},
        "config key recognition.session_folds: 7 folds of trial blocks, but sub-1 ses-1"),
    "stacking without validation": (
        {"recognition": {"models": ["svm", "stacking"]}},
        "config key recognition.validation_trials: 0, but stacking"),
    "stacking without validation subjects": (
        {"recognition": {"models": ["svm", "stacking"], "protocols": ["cross_subject_tvt"],
                         "validation_trials": 1, "validation_subjects": 0}},
        "config key recognition.validation_subjects: 0, but stacking .* cross_subject_tvt"),
    "test_trials leave a class no training trial": (  # 2 trials of each class per session
        {"recognition": {"protocols": ["subject_dependent_tvt"], "test_trials": 2}},
        "config key recognition.test_trials: 2 test trials per class leave class 'negative' "
        r"of sub-1 ses-1 with no training trial \(it has 2 trials\)"),
    "tvt validation leaves a class no training trial": (
        {"recognition": {"protocols": ["subject_dependent_tvt"], "validation_trials": 1}},
        "config key recognition.validation_trials: 1 validation trials per class leave class "
        ".* with no training trial in subject_dependent_tvt sub-1_ses-1"),
    "stacking aann4d with window models": (
        {"recognition": {"models": ["stacking"], "stacking": ["aann4d", "svm"],
                         "validation_trials": 1, "train_trials": 5}},
        "config key recognition.stacking: .*aann4d predicts segments"),
    "validation leaves a class no training trial": (  # trials 1-3: one of each class
        {"recognition": {"validation_trials": 1}},
        "config key recognition.validation_trials: 1 validation trials per class leave class "
        "'negative' of sub-1 ses-1 .* with no training trial in subject_dependent "
        "sub-1_ses-1"),
    "loso validation leaves a class no training trial": (
        {"recognition": {"protocols": ["loso"], "validation_trials": 2}},
        "config key recognition.validation_trials: 2 .* in loso"),
    "segment longer than a trial": (
        {"recognition": {"models": ["aann4d"], "segment_windows": 25}},
        "config key recognition.segment_windows: 25 windows per aann4d segment, but trial 1 "
        "of sub-1 ses-1 .* holds 20"),
    "GAN window longer than a trial": (
        {"synthesis": {"window_seconds": 25}},
        "config key synthesis.window_seconds: 25 s windows do not fit in trial 1 of sub-1 "
        "ses-1"),
    "GAN rate above the data": (
        {"synthesis": {"sfreq": 300}},
        "config key synthesis.sfreq: 300 Hz is above the recordings' 200 Hz"),
    "GAN rate below a band": (
        {"synthesis": {"sfreq": 70}},
        r"config key synthesis.sfreq: 70 Hz puts Nyquist at 35 Hz, below band gamma "
        r"\[31, 50\]"),
    "GAN without held-out trials": (
        {"recognition": {"protocols": ["loso"], "train_trials": 6}},
        "config key recognition.train_trials: 6: the GAN trains on the first 6 trials"),
}


@pytest.mark.parametrize("case", CASES)
def test_config_that_cannot_run_on_the_data_names_the_key(case):
    override, message = CASES[case]
    config = _tiny_config(**override)
    seedflow_config.validate(config, REPO / "workflow" / "schemas" / "config.schema.yaml")
    with pytest.raises(SeedflowError, match=message):
        _plan(config)


@pytest.mark.parametrize("case", ["inverted band", "band above Nyquist",
                                  "window longer than a trial",
                                  "train_trials leave no test trial",
                                  "stacking without validation",
                                  "GAN window longer than a trial"])
def test_dry_run_stops_before_any_job_naming_the_key(tmp_path, case):
    override, message = CASES[case]
    extra = tmp_path / "extra.yaml"
    extra.write_text(yaml.safe_dump(override))
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "WorkflowError" in output
    assert re.search(message, output), output[-2000:]
    assert not (tmp_path / "results").exists()


def test_checks_use_each_recordings_own_rate(tmp_path):
    """SEED-V's simulated recordings are 1000 Hz: bands up to 499 Hz are fine there, and
    a 30 s window is longer than its 20 s trials at any rate (the signal GAN at the
    recordings' rate too: at its default 100 Hz it could not measure that band)."""
    config = _tiny_config(simulation={"layout": "seed-v", "sfreq": None, "sessions": 1},
                          features={"bands": {"high": [100, 400]}}, synthesis={"sfreq": None})
    _plan(config)
    config["features"]["window_seconds"] = 30
    with pytest.raises(SeedflowError, match=r"window_seconds: 30 s .* \(1_1_\d{8}.fif\), 20 s"):
        _plan(config)


# ---- files that look like recordings but are not named as such --------------------------

@pytest.fixture
def seed_root(tmp_path):
    write_seed_dataset(tmp_path / "seed", simulation_spec(
        subjects=2, sessions=1, trials_per_session=6, trial_seconds=5, seed=1))
    return tmp_path / "seed"


@pytest.mark.parametrize("name", ["3_2013-10-16.mat", "3_20131013.MAT", "sub3_20131013.mat",
                                  "old/3_20131013.mat"])
def test_misnamed_seed_file_stops_the_listing_unless_excluded(seed_root, name, caplog):
    folder = seed_root / "Preprocessed_EEG"
    (folder / name).parent.mkdir(exist_ok=True)
    (folder / name).hardlink_to(folder / "1_20131013.mat")
    config = {"dataset": {"kind": "seed", "root": str(seed_root)}}
    with pytest.raises(DatasetError, match=f"Preprocessed_EEG: 1 file.s. look like recordings "
                                           f"but are not named .* {name}. Rename them, or leave "
                                           "them out with config key dataset.exclude"):
        recordings_of(config)
    config["dataset"]["exclude"] = [f"Preprocessed_EEG/{name}"]
    with caplog.at_level(logging.WARNING, logger="seedflow.datasets"):
        found = recordings_of(config)
    assert [(r.subject, r.path.name) for r in found] == [("1", "1_20131013.mat"),
                                                          ("2", "2_20131016.mat")]
    assert f"leaving out {folder / name}" in caplog.text


def test_exclude_patterns_and_unused_patterns(seed_root, caplog):
    folder = seed_root / "Preprocessed_EEG"
    (folder / "backup").mkdir()
    for name in ("backup/1_20131013.mat", "backup/x.mat", "2_20131016 (copy).mat"):
        (folder / name).hardlink_to(folder / "1_20131013.mat")
    config = {"dataset": {"kind": "seed", "root": str(seed_root),
                          "exclude": ["Preprocessed_EEG/backup/*", "*(copy).mat", "nothere*",
                                      "Preprocessed_EEG/2_*"]}}
    with caplog.at_level(logging.WARNING, logger="seedflow.datasets"):
        found = recordings_of(config)
    assert [r.subject for r in found] == ["1"]  # an excluded recording is left out too
    assert "'nothere*' leaves out no file" in caplog.text
    assert caplog.text.count("leaving out") == 4


def test_misnamed_files_of_every_other_kind(tmp_path):
    v = write_simulated(tmp_path / "v", "seed-v", sessions=1)
    (tmp_path / "v" / "EEG_raw" / "1_x_20200101.CNT").write_bytes(b"")
    with pytest.raises(DatasetError, match="EEG_raw: 1 file.* 1_x_20200101.CNT"):
        recordings_of(as_real(v, "seed-v"))

    write_simulated(tmp_path / "iv", "seed-iv")
    folder = tmp_path / "iv" / seed_iv.FOLDER
    (folder / "4").mkdir()
    (folder / "4" / "1_20131013.mat").write_bytes(b"")
    (folder / "1_20131013.mat").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"eeg_raw_data: 2 file.* 1_20131013.mat, "
                                           r"4/1_20131013.mat"):
        seed_iv.discover(tmp_path / "iv")

    write_simulated(tmp_path / "d", "dreamer")
    (tmp_path / "d" / "Dreamer.MAT").write_bytes(b"")
    with pytest.raises(DatasetError, match=r"d: 1 file.* named DREAMER.mat: Dreamer.MAT"):
        dreamer.discover(tmp_path / "d")
    assert len(dreamer.discover(tmp_path / "d", excluded=lambda p: p.name == "Dreamer.MAT")) \
        == 23

    bids = tmp_path / "bids"
    (bids / "sourcedata").mkdir(parents=True)
    (bids / "sub-1_task-x_eeg.edf").write_bytes(b"")
    (bids / "sourcedata" / "subject2.EDF").write_bytes(b"")
    with pytest.raises(DatasetError, match="bids: 1 file.* sourcedata/subject2.EDF"):
        mne_raw.discover(bids)
    exclude = datasets.Exclusion(bids, ["sourcedata/*"])
    assert [k for k, _, _ in mne_raw.discover(bids, exclude)] == ["1"]


def test_a_subject_twice_in_a_seed_iv_session_is_an_error(tmp_path):
    write_simulated(tmp_path, "seed-iv")
    folder = tmp_path / seed_iv.FOLDER / "1"
    (folder / "1_20140101.mat").hardlink_to(folder / "1_20131013.mat")
    with pytest.raises(DatasetError, match="1_20140101.mat: subject 1 session 1 is also"):
        seed_iv.discover(tmp_path)


def test_misnamed_file_stops_the_dry_run_and_exclude_lets_it_plan(seed_root, tmp_path):
    folder = seed_root / "Preprocessed_EEG"
    (folder / "2_20131016.mat").rename(folder / "2_2013-10-16.mat")
    extra = tmp_path / "extra.yaml"
    dataset = {"kind": "seed", "root": str(seed_root)}
    extra.write_text(yaml.safe_dump({"dataset": dataset}))
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    output = result.stdout + result.stderr
    assert result.returncode != 0 and "2_2013-10-16.mat" in output
    assert "dataset.exclude" in output
    extra.write_text(yaml.safe_dump({"dataset": {**dataset,
                                                 "exclude": ["Preprocessed_EEG/2_*"]}}))
    result = snakemake(tmp_path, "-n", "--configfile", str(TINY), str(extra))
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "leaving out" in output and "2_2013-10-16.mat" in output
    lines = output.splitlines()
    assert any(line.split() == ["ingest", "1"] for line in lines)


def test_exclude_is_no_reader_setting():
    config = {"dataset": {"kind": "seed", "root": "/data", "exclude": ["x/*"]},
              "simulation": {}}
    assert "exclude" not in ReaderSpec.from_config(complete(config)).settings
    assert "exclude" not in datasets.reader_record(complete(config), REPO)
    with pytest.raises(SeedflowError, match="config key dataset.exclude: the simulated"):
        recordings_of({"dataset": {"kind": "simulated", "exclude": ["a"]},
                             "simulation": {}, "results": "r"})


# ---- labels -------------------------------------------------------------------------------

def _labels(path, values):
    scipy.io.savemat(path, {"label": np.array([values])})


def test_label_count_must_equal_the_trials(seed_root):
    folder = seed_root / "Preprocessed_EEG"
    _labels(folder / "label.mat", [1, 0, -1, -1, 0, 1, 1])
    with pytest.raises(DatasetError, match=r"1_20131013.mat: holds trials 1..6 but .*label.mat "
                                           "has 7 labels, one for each trial 1..7"):
        seed.open_session(folder / "1_20131013.mat", folder / "label.mat")
    extra = seed_root.parent / "extra.yaml"
    extra.write_text(yaml.safe_dump({"dataset": {"kind": "seed", "root": str(seed_root)}}))
    result = snakemake(seed_root.parent, "-n", "--configfile", str(TINY), str(extra))
    assert result.returncode != 0 and "has 7 labels" in result.stdout + result.stderr


@pytest.mark.parametrize("values", [[1, 0, -1, -1, 0.5, 1], [1, 0, -1, -1, 0, np.nan]])
def test_labels_must_be_whole_numbers(seed_root, values):
    folder = seed_root / "Preprocessed_EEG"
    _labels(folder / "label.mat", values)
    with pytest.raises(DatasetError, match="label.mat: labels must be whole numbers"):
        seed.open_session(folder / "1_20131013.mat", folder / "label.mat")


def test_seed_iv_file_must_hold_the_24_published_trials(tmp_path):
    config = as_real(write_simulated(tmp_path, "seed-iv"), "seed-iv")
    (recording,) = recordings_of(config)
    with pytest.raises(DatasetError, match="1_20131013.mat: holds trials 1..4 but SEED-IV's "
                                           "session 1 label list has 24 labels"):
        open_source(config, recording)


def test_dreamer_scores_must_be_whole_numbers(tmp_path, monkeypatch):
    real = simulate_dreamer.subject_scores

    def half_scores(spec, subject):
        age, scores = real(spec, subject)
        return age, {**scores, "valence": [s + 0.5 for s in scores["valence"]]}

    monkeypatch.setattr(simulate_dreamer, "subject_scores", half_scores)
    config = as_real(write_simulated(tmp_path, "dreamer"), "dreamer")
    with pytest.raises(DatasetError, match=r"subject 1: valence scores \[1.5, 2.5, .*\] are "
                                           "not whole numbers 1..5"):
        open_source(config, recordings_of(config)[0])
    with pytest.raises(DatasetError, match="not whole numbers 1..5"):
        planning.headers(config, recordings_of(config)[:1])


def test_overlapping_trials_in_a_trial_table(tmp_path):
    table = tmp_path / "t.tsv"
    table.write_text("session\ttrial\tstart_s\tend_s\tlabel\n1\t1\t0\t10\t1\n1\t2\t9\t20\t0\n"
                     "2\t1\t0\t10\t1\n")
    with pytest.raises(DatasetError, match=r"t.tsv: session 1: trial 2 \(9-20 s\) overlaps "
                                           r"trial 1 \(0-10 s\)"):
        trial_table.read(table)
    table.write_text("session\ttrial\tstart_s\tend_s\tlabel\tsubject\n1\t1\t0\t10\t1\t\n"
                     "1\t2\t10\t20\t0\t\n1\t1\t5\t15\t1\t3\n")
    assert len(trial_table.read(table)) == 3  # subject 3's own row replaces, not overlaps


@pytest.mark.parametrize("kind", ["seed", "seed-v"])
def test_planning_reads_no_samples(tmp_path, monkeypatch, kind):
    """Headers only (and each file's last sample): a reader that asks for more samples
    while planning fails the test."""
    if kind == "seed":
        write_seed_dataset(tmp_path, simulation_spec(subjects=2, sessions=1,
                                                             trials_per_session=6,
                                                             trial_seconds=5))
        dataset = {"kind": "seed", "root": str(tmp_path)}
    else:
        write_simulated(tmp_path, "seed-v", subjects=2, trials_per_session=6)
        dataset = {"kind": "seed-v", "root": str(tmp_path),
                   "trial_table": str(tmp_path / simulate_seed_v.TRIAL_TABLE)}
    config = _tiny_config(dataset=dataset)
    loadmat = scipy.io.loadmat

    def labels_only(path, variable_names=None, **kwargs):
        assert variable_names == ["label"], "samples read"
        return loadmat(path, variable_names=variable_names, **kwargs)

    monkeypatch.setattr(scipy.io, "loadmat", labels_only)
    read_segment = mne.io.BaseRaw._read_segment

    def last_sample_only(raw, start=0, stop=None, *args, **kwargs):
        # Opening reads the last sample the header announces (a cut file fails there).
        assert (start, stop) == (raw.n_times - 1, raw.n_times), "samples read"
        return read_segment(raw, start, stop, *args, **kwargs)

    monkeypatch.setattr(mne.io.BaseRaw, "_read_segment", last_sample_only)
    found = planning.headers(config, recordings_of(config))
    planning.check(config, found)
    assert [len(h.trials) for h in found.values()] == [6, 6]
    assert all(h.ch_names[:2] == ("FP1", "FPZ") for h in found.values())
