"""With no class effect every protocol scores at chance, while a deliberately leaky split
(windows of one trial on both sides) scores far above it: the protocols do not leak, and
the test has the power to see a leak."""

import numpy as np
import pytest
from recognition_data import make_sessions
from scipy.stats import binomtest

from seedflow.recognition import protocols
from seedflow.recognition import representations
from seedflow.recognition import stacking
from seedflow.recognition import train
from conftest import simulation_spec
from specs import train_spec
from specs import stacking_spec
from specs import protocol_spec
from specs import config_with

SETTINGS = {"seed": 0, "train_trials": 6, "kfold": 3, "learning_rate": 1e-3, "epochs": 1,
            "batch_size": 32}


@pytest.fixture(scope="module")
def null_sessions(tmp_path_factory):
    spec = simulation_spec(subjects=3, sessions=2, trials_per_session=9,
                                   trial_seconds=15, effect_size=0.0, trial_signature=1.0,
                                   seed=11)
    return make_sessions(tmp_path_factory.mktemp("null"), spec)


def _pairs(sessions):
    return [(s.subject, s.session) for s in sessions]


@pytest.mark.parametrize("protocol", protocols.PROTOCOLS)
def test_no_effect_scores_at_chance(protocol, null_sessions, tmp_path):
    by_pair = dict(zip(_pairs(null_sessions), null_sessions))
    hits = trials = 0
    for fold in protocols.folds(_pairs(null_sessions), protocol_spec(protocol, SETTINGS)):
        result = train.train_fold(model="logreg", fold=fold, sessions=[by_pair[p] for p in fold.sessions], out_dir=tmp_path / fold.name, spec=train_spec("logreg", SETTINGS, fold.protocol))
        n = round(result["n_test_windows"] / 15)  # 15 windows per trial
        hits += round(result["trial_accuracy"] * n)
        trials += n
    # tested trials: every one (loso, kfold), 6 of 9 per session (subject_dependent), 1
    # per class and session (subject_dependent_tvt), 1 subject's (cross_subject_tvt)
    assert trials == {"loso": 54, "kfold": 54}.get(protocol, 18)
    assert binomtest(hits, trials, 1 / 3).pvalue > 0.01, (hits, trials)


def test_leaky_within_trial_split_scores_above_chance(null_sessions):
    from sklearn.base import clone

    from seedflow.models.baselines import logistic_regression

    samples = representations.load(null_sessions, representations.RepresentationSpec.from_config(
        config_with(recognition=SETTINGS), "flat"))
    test = np.random.default_rng(0).random(len(samples)) < 0.3  # windows, not trials
    model = clone(logistic_regression()).fit(samples.x[~test], samples.label[~test])
    hits = int((model.predict(samples.x[test]) == samples.label[test]).sum())
    assert binomtest(hits, int(test.sum()), 1 / 3, alternative="greater").pvalue < 1e-6
    with pytest.raises(AssertionError, match="both train and test"):
        protocols.assert_no_shared_trials(samples.trial_keys(),
                                          protocols.Split(train=~test, test=test))


def test_stacking_fits_on_validation_trials_only(null_sessions, tmp_path):
    settings = {**SETTINGS, "validation_trials": 1}
    fold = protocols.folds(_pairs(null_sessions), protocol_spec("loso", settings))[0]
    dirs = {}
    for name in ("svm", "logreg"):
        dirs[name] = tmp_path / name
        result = train.train_fold(model=name, fold=fold, sessions=null_sessions, out_dir=dirs[name], spec=train_spec(name, settings, fold.protocol))
        assert result["n_validation_windows"] == 2 * 2 * 3 * 15  # 2 subjects x 2 sessions x 3 classes
    meta = stacking.train_fold(base_dirs=dirs, protocol="loso", fold=fold.name, out_dir=tmp_path / "stacking", spec=stacking_spec(settings))
    assert meta["n_train_windows"] == 180 and meta["n_test_windows"] == 270
    assert binomtest(round(meta["accuracy"] * 270), 270, 1 / 3).pvalue > 1e-4
