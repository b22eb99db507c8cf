"""The augmentation experiment: synthetic windows made only from a fold's training trials
join that fold's training set; the gain per fold is the arm's accuracy minus the real one."""

import math

import numpy as np
import pytest
from recognition_data import make_sessions
from scipy.stats import binomtest

from seedflow.synthesis import augmentation
from seedflow.recognition import protocols
from seedflow.recognition import train
from seedflow.errors import SeedflowError
from seedflow.stores.features import FeatureStore
from seedflow.recognition.metrics import augmentation_records
from conftest import simulation_spec
from specs import config_with, train_spec
from specs import protocol_spec

RECOGNITION = {"seed": 0, "train_trials": 3, "learning_rate": 1e-3, "epochs": 1,
               "batch_size": 32}
SYNTHESIS = {"seed": 0, "devices": 1, "mixup": {"alpha": 0.4},
             "feature_gan": {"epochs": 2, "batch_size": 32, "latent_dim": 8, "n_critic": 2,
                             "gradient_penalty": 10.0, "learning_rate": 1e-3, "beta_1": 0.0,
                             "beta_2": 0.9},
             "augmentation": {"model": "logreg", "ratio": 0.5}}


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=6,
                                   trial_seconds=20, effect_size=2.0, seed=5)
    return make_sessions(tmp_path_factory.mktemp("augmentation"), spec)


@pytest.fixture(scope="module")
def null_sessions(tmp_path_factory):
    spec = simulation_spec(subjects=3, sessions=1, trials_per_session=9,
                                   trial_seconds=15, effect_size=0.0, trial_signature=1.0,
                                   seed=11)
    return make_sessions(tmp_path_factory.mktemp("null"), spec)


def _synthesize(arm, model, samples, features, checkpoint):
    """The synthetic samples of ``arm`` made from the fold's training ``samples``."""
    spec = augmentation.AugmentationSpec.from_config(config_with(synthesis=SYNTHESIS), arm)
    return augmentation.Augmentation(spec, checkpoint)(model, samples, features)


def _augment(arm, model, features, tmp_path, seen):
    def augment(model, samples, features):
        seen.append(samples)
        return _synthesize(arm, model, samples, features, tmp_path / f"{arm}.npz")
    return augment


def test_each_arm_adds_synthetic_windows_made_from_the_training_trials_only(sessions,
                                                                          tmp_path):
    model = "logreg"  # cnn4d (grid inputs): below and in the workflow's tiny run
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
    real = train.train_fold(model=model, fold=fold, sessions=sessions, out_dir=tmp_path / "real", spec=train_spec(model, RECOGNITION, fold.protocol))
    folds = []
    for arm in augmentation.ARMS:
        seen = []
        result = train.train_fold(model=model, fold=fold, sessions=sessions, out_dir=tmp_path / arm, spec=train_spec(model, RECOGNITION, fold.protocol), augment=_augment(arm, model, sessions[0].features, tmp_path, seen))
        (train_samples,) = seen
        assert set(train_samples.trial_id.tolist()) == {1, 2, 3}  # train_trials: 3
        per_class = math.ceil(0.5 * real["n_train_windows"] / 3)
        assert result["augmentation"] == arm
        assert result["n_synthetic_windows"] == 3 * per_class
        assert result["n_real_train_windows"] == real["n_train_windows"]
        assert result["n_train_windows"] == real["n_train_windows"] + 3 * per_class
        assert result["n_test_windows"] == real["n_test_windows"]  # tests on real windows
        assert result["n_generator_trials"] == 3
        assert ("generator_losses" in result) == (arm == "feature_wgan_gp")
        folds.append(result)
    records = augmentation_records([real], folds, "simulated")
    assert [r["augmentation"] for r in records] == ["feature_wgan_gp", "mixup"]
    for record, result in zip(records, folds):
        assert record["model"] == model and record["kind"] == "augmentation"
        assert record["gain_folds"] == {"sub-1_ses-1": pytest.approx(
            result["accuracy"] - real["accuracy"])}
        assert record["real_accuracy_mean"] == real["accuracy"] and record["gain_std"] == 0


def test_the_model_starts_from_the_same_weights_as_the_real_arm(sessions, tmp_path):
    """Re-seeded after synthesis: with no synthetic window added the arm *is* the real fold."""
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))
    real = train.train_fold(model="cnn4d", fold=fold, sessions=sessions, out_dir=tmp_path / "real", spec=train_spec("cnn4d", RECOGNITION, fold.protocol))

    def nothing(model, samples, features):
        synthetic = _synthesize("feature_wgan_gp", model, samples, features,
                                tmp_path / "gan.npz")
        synthetic.samples = synthetic.samples.subset(np.zeros(len(synthetic.samples), bool))
        return synthetic

    same = train.train_fold(model="cnn4d", fold=fold, sessions=sessions, out_dir=tmp_path / "same", spec=train_spec("cnn4d", RECOGNITION, fold.protocol), augment=nothing)
    assert same["accuracy"] == real["accuracy"]
    assert same["confusion_matrix"] == real["confusion_matrix"]


def test_synthetic_data_from_a_test_trial_is_refused(sessions, tmp_path):
    fold = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))

    def leaky(model, samples, features):
        synthetic = _synthesize("mixup", model, samples, features, tmp_path / "x.npz")
        keys = synthetic.source_trials.copy()
        keys["trial"][0] = 6  # a test trial (train_trials: 3)
        synthetic.source_trials = keys
        return synthetic

    with pytest.raises(AssertionError, match="both train and test"):
        train.train_fold(model="logreg", fold=fold, sessions=sessions, out_dir=tmp_path / "leaky", spec=train_spec("logreg", RECOGNITION, fold.protocol), augment=leaky)


def test_augmented_recognition_of_null_data_stays_at_chance(null_sessions, tmp_path):
    """No class effect, a strong per-trial signature: mixup made from a test trial would
    carry its signature into training; made from training trials only, LOSO stays at chance."""
    pairs = [(s.subject, s.session) for s in null_sessions]
    by_pair = dict(zip(pairs, null_sessions))
    hits = trials = 0
    for fold in protocols.folds(pairs, protocol_spec("loso", RECOGNITION)):
        chosen = [by_pair[p] for p in fold.sessions]
        result = train.train_fold(model="logreg", fold=fold, sessions=chosen, out_dir=tmp_path / fold.name, spec=train_spec("logreg", RECOGNITION, fold.protocol), augment=_augment("mixup", "logreg", chosen[0].features,
                                                   tmp_path, []))
        n = round(result["n_test_windows"] / 15)  # 15 windows per trial
        hits += round(result["trial_accuracy"] * n)
        trials += n
    assert trials == 27
    assert binomtest(hits, trials, 1 / 3).pvalue > 0.01, (hits, trials)


@pytest.mark.parametrize("representation", augmentation.DE_REPRESENTATIONS)
def test_de_windows_convert_to_model_inputs_and_back(representation, sessions):
    store = FeatureStore.open(sessions[0].features)
    de, ch_names = store.de[:5], list(store.attrs["ch_names"])
    x = augmentation.from_de(de, representation, ch_names)
    np.testing.assert_array_equal(augmentation.to_de(x, representation, ch_names), de)


def test_a_model_on_other_inputs_is_refused_naming_the_key():
    augmentation.check(config_with(synthesis={"augmentation": {"model": "cnn4d"}}))
    for name in ("cnn_lstm", "tsception", "stacking", "nope"):
        with pytest.raises(SeedflowError, match="synthesis.augmentation.model"):
            augmentation.check(config_with(synthesis={"augmentation": {"model": name}}))


def test_the_accuracy_table_keeps_an_augmented_model_apart_from_the_real_one():
    from seedflow.recognition.metrics import markdown_table

    real = {"model": "cnn4d", "protocol": "loso", "accuracy_mean": 0.6, "accuracy_std": 0.1,
            "n_folds": 3, "chance_level": 1 / 3}
    table = markdown_table([real, {**real, "augmentation": "mixup", "accuracy_mean": 0.7}],
                           baseline="cnn4d")
    assert "| cnn4d | 0.60 ± 0.10 (3 folds) | +0.00 |" in table
    assert "| cnn4d + mixup | 0.70 ± 0.10 (3 folds) | +0.10 |" in table
