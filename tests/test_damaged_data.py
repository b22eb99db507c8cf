"""The NaN policy: non-finite samples spoil only their channel's values within the filters'
reach, models impute what they can and leave out only windows without any finite value,
splits and chance levels stay those of the dataset's trial list, metrics.json and the
reports say what was lost, and reports never crash on bad channels."""

import json

import numpy as np
import pytest
import scipy.io
from conftest import write_seed_dataset

from seedflow.features import extraction, preprocessing
from seedflow.recognition import metrics
from seedflow.recognition import protocols
from seedflow.simulate import seed as simulate_seed
from seedflow.recognition import train
from seedflow.channels import SEED_62
from seedflow.errors import SeedflowError
from seedflow.stores.features import FeatureStore
from seedflow.datasets import seed
from seedflow.stores import ingest as ingest_store
from seedflow.stores.ingest import IngestStore
from seedflow.recognition.representations import Session
from specs import feature_spec
from specs import BANDS
from conftest import simulation_spec
from specs import train_spec
from specs import protocol_spec

SPEC = simulation_spec(subjects=1, sessions=1, trials_per_session=15,
                               trial_seconds=20, effect_size=2.0, seed=3)
SETTINGS = {"seed": 0, "train_trials": 9, "learning_rate": 1e-3, "epochs": 1,
            "batch_size": 64, "sequence_windows": 5}
FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
F2 = SEED_62.index("F2")
NAN_200 = {3: (F2, slice(1000, 1200))}  # 200 samples (1 s) of F2 in trial 3, at 5-6 s
ALL_NAN = {3: (slice(None), slice(None)), 12: (slice(None), slice(None))}


def damaged_session(root, damage: dict, folder=None, spec=SPEC) -> Session:
    """A simulated SEED session (a copy of ``folder``'s, or simulated afresh) with NaN written
    into its .mat (trial -> (channels, samples)), ingested and taken through features."""
    source = folder or write_seed_dataset(root / "simulated", spec)
    name = simulate_seed.session_filename(1, 1)
    mat = {k: v for k, v in scipy.io.loadmat(source / name).items() if not k.startswith("__")}
    for trial, (channels, samples) in damage.items():
        (key,) = [k for k in mat if k.endswith(f"_eeg{trial}")]
        mat[key][channels, samples] = np.nan
    path = root / "Preprocessed_EEG" / name
    path.parent.mkdir(parents=True)
    scipy.io.savemat(path, mat, format="5")
    raw, out = root / "ses-1.zarr", root / "features.zarr"
    ingest_store.write(seed.open_session(path, source / "label.mat", sfreq=spec.sfreq),
                             raw, chunk_seconds=10,
                             attrs={"subject": "1", "session": "1", "dataset": "simulated"})
    extraction.extract(ingest=raw, out=out, spec=feature_spec(bands=BANDS))
    return Session("1", "1", out, raw)


@pytest.fixture(scope="module")
def simulated(tmp_path_factory):
    return write_seed_dataset(tmp_path_factory.mktemp("simulated"), SPEC)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, simulated):
    return damaged_session(tmp_path_factory.mktemp("clean"), {}, simulated)


@pytest.fixture(scope="module")
def nan_200(tmp_path_factory, simulated):
    return damaged_session(tmp_path_factory.mktemp("nan200"), NAN_200, simulated)


@pytest.fixture(scope="module")
def all_nan(tmp_path_factory, simulated):
    return damaged_session(tmp_path_factory.mktemp("allnan"), ALL_NAN, simulated)


def test_nan_samples_spoil_only_their_channel_within_the_filters_reach(clean, nan_200):
    ref, got = FeatureStore.open(clean.features), FeatureStore.open(nan_200.features)
    others = np.arange(62) != F2
    np.testing.assert_array_equal(got.de[:, others], ref.de[:, others])
    np.testing.assert_array_equal(got.psd[:, others], ref.psd[:, others])
    trial = got.trial_id == 3
    np.testing.assert_array_equal(got.de[~trial], ref.de[~trial])
    # F2's DE of band b is NaN exactly in the windows within that filter's reach of samples
    # 1000-1199 of trial 3; its other values equal the clean ones.
    start = got.window_start[trial] - got.window_start[trial][0]
    depths = [preprocessing.impulse_response_length(sos) for sos in
              extraction.band_filters(BANDS, 200.0, 4)]
    for b, depth in enumerate(depths):
        reached = (start - depth < 1200) & (start + 200 + depth > 1000)
        de = got.de[trial, F2, b]
        assert np.isnan(de[reached]).all() and np.isfinite(de[~reached]).all(), b
        np.testing.assert_allclose(de[~reached], ref.de[trial, F2, b][~reached], rtol=1e-5)
        assert (~reached).any()
    assert 0 < reached.sum() < 5  # gamma: a few windows only
    assert np.isnan(got.psd[trial, F2]).any(axis=1).tolist() == (start == 1000).tolist()
    assert got.attrs["nonfinite_input_windows"] == 1
    assert got.attrs["nan_windows"] == got.attrs["nan_cells"] == 19  # delta: ±12.2 s


def test_200_nan_samples_drop_no_window_and_keep_the_split(clean, nan_200, tmp_path):
    ref = train.fold_samples(FOLD, [clean], train_spec("svm", SETTINGS, FOLD.protocol))
    got = train.fold_samples(FOLD, [nan_200], train_spec("svm", SETTINGS, FOLD.protocol))
    assert len(got[0]) == len(ref[0]) == 300
    for mask_ref, mask_got in zip(ref[1:], got[1:]):
        assert np.array_equal(mask_ref, mask_got)
    assert sorted(set(got[0].trial_id[got[3]])) == list(range(10, 16))
    result = train.train_fold(model="svm", fold=FOLD, sessions=[nan_200], out_dir=tmp_path / "svm", spec=train_spec("svm", SETTINGS, FOLD.protocol))
    expected = train.train_fold(model="svm", fold=FOLD, sessions=[clean], out_dir=tmp_path / "clean", spec=train_spec("svm", SETTINGS, FOLD.protocol))
    assert result["chance_level"] == expected["chance_level"] == pytest.approx(1 / 3)
    assert result["n_test_windows"] == expected["n_test_windows"] == 120
    quality = json.loads((tmp_path / "svm" / "metrics.json").read_text())["data_quality"]
    assert quality["left_out_windows"] == {"train": 0, "validation": 0, "test": 0}
    assert quality["imputed_windows"]["train"] == quality["imputed_cells"]["train"] == 19
    assert quality["imputed_channels"] == ["F2"]
    assert quality["trials"] == [{"subject": "1", "session": "1", "trial": 3, "side": "train",
                                  "windows": 20, "left_out_windows": 0, "imputed_windows": 19,
                                  "imputed_channels": ["F2"]}]


@pytest.mark.parametrize("model", ["lstm", "tsception"])
def test_models_impute_missing_values_and_keep_every_window(model, clean, nan_200, tmp_path):
    result = train.train_fold(model=model, fold=FOLD, sessions=[nan_200], out_dir=tmp_path, spec=train_spec(model, SETTINGS, FOLD.protocol))
    samples = train.fold_samples(FOLD, [clean], train_spec(model, SETTINGS, FOLD.protocol))[0]
    assert result["n_train_windows"] + result["n_test_windows"] == len(samples)
    probabilities = np.loadtxt(tmp_path / "predictions.csv", delimiter=",", skiprows=1,
                               usecols=(6, 7, 8))
    assert np.isfinite(probabilities).all()
    assert result["data_quality"]["imputed_channels"] == ["F2"]


def test_trial_of_all_nan_is_left_out_on_its_side_and_named(all_nan, tmp_path):
    store = IngestStore.open(all_nan.ingest)
    assert store.bad_trials == [3, 12] and store.bad_channels == []
    assert store.trial_bad_channels[2] == sorted(SEED_62) and store.trial_bad_channels[0] == []
    samples, train_mask, _, test = train.fold_samples(FOLD, [all_nan], train_spec("svm", SETTINGS, FOLD.protocol))
    assert sorted(set(samples.trial_id[train_mask])) == [1, 2, 4, 5, 6, 7, 8, 9]
    assert sorted(set(samples.trial_id[test])) == [10, 11, 13, 14, 15]
    result = train.train_fold(model="svm", fold=FOLD, sessions=[all_nan], out_dir=tmp_path, spec=train_spec("svm", SETTINGS, FOLD.protocol))
    saved = json.loads((tmp_path / "metrics.json").read_text())
    assert saved["chance_level"] == pytest.approx(1 / 3)  # 6 test trials, 2 per class
    assert saved["chance_level_evaluated"] == pytest.approx(40 / 100)
    quality = saved["data_quality"]
    assert quality["left_out_windows"] == {"train": 20, "validation": 0, "test": 20}
    assert [(t["trial"], t["side"], t["left_out_windows"]) for t in quality["trials"]] == [
        (3, "train", 20), (12, "test", 20)]
    assert quality["test_trials_without_windows"] == [
        {"subject": "1", "session": "1", "trial": 12,
         "why": "every window left out (no finite value)"}]
    (record,) = metrics.aggregate([result], "simulated")
    assert record["data_quality"]["left_out_windows"]["test"] == 20
    assert record["data_quality"]["test_trials_without_windows"] == {
        "sub-1_ses-1": ["sub-1 ses-1 trial 12 (every window left out (no finite value))"]}


def test_fold_without_a_usable_test_window_is_one_error(all_nan, tmp_path):
    settings = {**SETTINGS, "session_folds": 15}
    fold = protocols.folds([("1", "1")], protocol_spec("subject_dependent", settings))[11]
    with pytest.raises(SeedflowError, match=r"fold sub-1_ses-1_fold-12: no usable test sample; "
                                            r"its test trials: sub-1 ses-1 trial 12 \(0 of 20"):
        train.train_fold(model="svm", fold=fold, sessions=[all_nan], out_dir=tmp_path, spec=train_spec("svm", settings, fold.protocol))


def test_feature_synthesis_imputes_what_it_can_and_counts_what_it_leaves_out(nan_200,
                                                                            all_nan):
    """The feature GAN and mixup read DE as the models do: 19 windows of F2 with a NaN band
    are kept with the training mean of that (channel, band) entry; the windows of trials 3
    and 12, lost on every channel, are left out; quality.json counts both."""
    from seedflow.synthesis.feature_gan import load_de

    data, _, quality = load_de([nan_200.features], train_trials=9)
    assert len(data["train"][1]) == 9 * 20 and len(data["heldout"][1]) == 6 * 20
    store = FeatureStore.open(nan_200.features)
    train_de = store.de[store.trial_index < 9]
    spoiled = ~np.isfinite(train_de)
    assert spoiled.sum() == 48  # (window, band) values of F2: 19 delta, fewer in faster bands
    assert quality == {"train": {"left_out_windows": 0, "imputed_windows": 19,
                                 "imputed_values": 48},
                       "heldout": {"left_out_windows": 0, "imputed_windows": 0,
                                   "imputed_values": 0}}
    window, channel, band = np.argwhere(spoiled)[0]
    assert channel == F2 and np.isfinite(data["train"][0]).all()
    assert data["train"][0][window, F2, band] == pytest.approx(
        np.nanmean(train_de[:, F2, band]), rel=1e-6)
    np.testing.assert_array_equal(data["train"][0][~spoiled], train_de[~spoiled])
    data, _, quality = load_de([all_nan.features], train_trials=9)
    assert [quality[p]["left_out_windows"] for p in ("train", "heldout")] == [20, 20]
    assert len(data["train"][1]) == 8 * 20 and len(data["heldout"][1]) == 5 * 20


def test_gan_never_draws_a_window_with_nan(all_nan):
    from seedflow.synthesis.signal_gan import Crops, real_windows

    windows, meta, (trials, labels) = real_windows([all_nan.ingest], 9, 2.0, 5, seed=0)
    assert all(np.isfinite(x).all() for x, _ in windows.values())
    assert len(windows["train"][1]) == 8 * 5 and len(windows["heldout"][1]) == 5 * 5
    # The GAN's crops: from the 9 training trials only, never from the all-NaN one.
    crops = Crops(trials, labels, int(2.0 * meta["sfreq"]))
    assert len(trials) == 9 and sum(len(s) > 0 for s in crops.starts) == 8
    assert np.isfinite(crops.batch(np.random.default_rng(0), 500)[0]).all()


def test_subject_report_builds_with_an_all_nan_trial_and_every_channel_bad(tmp_path):
    from seedflow.report.subject import subject_report
    from seedflow.stores.samples import write_windows as write_samples

    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=6,
                                   trial_seconds=15, effect_size=2.0, seed=4)
    # Trial 1 (the excerpt) lost on every channel, and every channel bad in another trial.
    damage = {t: ([c for c in range(62) if c % 5 == t - 2], slice(100, 150))
              for t in range(2, 7)}
    damage[1] = (slice(None), slice(None))
    session = damaged_session(tmp_path, damage, spec=spec)
    store = IngestStore.open(session.ingest)
    samples = tmp_path / "samples.zarr"
    write_samples(samples, np.random.default_rng(0).standard_normal((6, 200, 62)).astype(
        np.float32) * 1e-5, np.repeat([0, 1, 2], 2), {"sfreq": store.sfreq,
                                                      "ch_names": store.ch_names,
                                                      "class_names": store.class_names})
    fold_dir = tmp_path / "fold"
    train.train_fold(model="svm", fold=FOLD, sessions=[session], out_dir=fold_dir, spec=train_spec("svm", {**SETTINGS, "train_trials": 3}, FOLD.protocol))
    out = tmp_path / "sub-1.html"
    subject_report(subject="1", stores=[session.ingest], feature_stores=[session.features],
                   fold_dirs=[fold_dir], samples=samples, out=out, excerpt_seconds=5.0)
    text = out.read_text()
    assert store.bad_channels == sorted(SEED_62) and store.bad_trials == [1]
    assert "No PSD: no channel has finite, non-flat samples in the excerpt" in text
    assert "every channel (62)" in text
    assert "Left out: the middle window of ses-1 trial 1 (non-finite samples)" in text
    assert "train: 15 windows left out (no finite value)" in text
    assert "Imputed channels: FP1, FPZ" in text


def test_psd_of_an_excerpt_leaves_out_bad_and_non_finite_channels():
    import mne

    from seedflow.channels import eeg_info
    from seedflow.report import recording

    names = ["FZ", "CZ", "PZ", "OZ"]
    data = np.random.default_rng(0).standard_normal((4, 400)) * 1e-5
    data[1, 10:20] = np.nan
    raw = mne.io.RawArray(data, eeg_info(names, 200.0), verbose="error")
    raw.info["bads"] = ["PZ"]
    fig, caption = recording.psd_figure(raw)
    assert fig is not None and caption.startswith("2 of 4 channels; left out:")
    assert caption.endswith(": CZ, PZ.")
    raw.info["bads"] = ["FZ", "OZ", "PZ"]
    fig, caption = recording.psd_figure(raw)
    assert "only flagged channels have a usable excerpt" in caption
