import numpy as np
import pytest

from seedflow.recognition import protocols
from seedflow.errors import SeedflowError
from seedflow.channels import SEED_62, grid_positions
from seedflow.channels import to_grid
from specs import protocol_spec


def test_subject_dependent_splits_by_trial():
    trial_id = np.repeat(np.arange(1, 16), 4)
    split = protocols.subject_dependent(trial_id, train_trials=9)
    assert set(trial_id[split.train]) == set(range(1, 10))
    assert set(trial_id[split.test]) == set(range(10, 16))


def test_guard_catches_a_trial_on_both_sides():
    trial_id = np.array([1, 1, 2, 2])
    leaky = protocols.Split(train=np.array([True, False, True, True]),
                            test=np.array([False, True, False, False]))
    with pytest.raises(AssertionError, match="both train and test"):
        protocols.assert_no_shared_trials(trial_id, leaky)


def test_no_test_trial_left_is_an_error():
    with pytest.raises(SeedflowError, match="train_trials"):
        protocols.subject_dependent(np.arange(1, 7), train_trials=6)


def test_grid_places_seed_channels():
    pos = grid_positions(SEED_62)
    assert tuple(pos[SEED_62.index("FP1")]) == (0, 3)
    assert tuple(pos[SEED_62.index("CB2")]) == (8, 6)
    assert len({tuple(p) for p in pos}) == 62
    values = np.arange(62 * 5, dtype=float).reshape(1, 62, 5)
    grid = to_grid(values, SEED_62)
    assert grid.shape == (1, 9, 9, 5)
    np.testing.assert_array_equal(grid[0, 4, 4], values[0, SEED_62.index("CZ")])
    assert grid[0, 0, 0].sum() == 0 and (grid != 0).any(axis=-1).sum() == 62


def _keys(subjects=3, sessions=2, trials=6, windows=4):
    from itertools import product

    rows = [(str(s), str(k), t) for s, k, t, _ in product(
        range(1, subjects + 1), range(1, sessions + 1), range(1, trials + 1), range(windows))]
    keys = np.array(rows, dtype=[("subject", "U32"), ("session", "U32"), ("trial", "i8")])
    labels = (keys["trial"] - 1) % 3
    return keys, labels


def _sessions(keys):
    return sorted({(s, k) for s, k, _ in keys.tolist()})


def test_loso_tests_one_subject_and_trains_on_the_others():
    keys, labels = _keys()
    folds = protocols.folds(_sessions(keys), protocol_spec("loso", {}))
    assert [f.name for f in folds] == ["sub-1", "sub-2", "sub-3"]
    split = protocols.split(folds[1], keys, labels, protocol_spec(folds[1].protocol, {}))
    assert set(keys["subject"][split.test]) == {"2"}
    assert set(keys["subject"][split.train]) == {"1", "3"}


def test_kfold_tests_every_trial_once_and_never_splits_one():
    keys, labels = _keys()
    settings = {"kfold": 4, "seed": 0}
    folds = protocols.folds(_sessions(keys), protocol_spec("kfold", settings))
    tested = np.zeros(len(keys), dtype=int)
    for fold in folds:
        split = protocols.split(fold, keys, labels, protocol_spec(fold.protocol, settings))
        tested += split.test
        for key in np.unique(keys[split.test]):
            assert split.test[keys == key].all()
    assert (tested == 1).all()


def test_splits_of_the_trial_list_equal_those_of_its_windows():
    """One row per trial (weighted by its windows in kfold) splits as the windows did, and a
    trial without any window keeps its place: protocols never depend on windows left out."""
    keys, labels = _keys(windows=4)
    trials, first = np.unique(keys, return_index=True)
    n_windows = np.full(len(trials), 4)
    for protocol, settings in (("kfold", {"kfold": 3, "seed": 0}),
                               ("subject_dependent", {"train_trials": 4}),
                               ("loso", {}),
                               ("subject_dependent_tvt", {"test_trials": 1}),
                               ("cross_subject_tvt", {"test_subjects": 1,
                                                      "validation_subjects": 1})):
        fold = protocols.folds(_sessions(keys), protocol_spec(protocol, settings))[-1]
        by_window = protocols.split(fold, keys, labels, protocol_spec(fold.protocol, settings))
        by_trial = protocols.split(fold, trials, labels[first], protocol_spec(fold.protocol, settings), n_windows)
        assert np.array_equal(np.isin(keys, trials[by_trial.test]), by_window.test)
        if by_trial.validation is not None:
            assert np.array_equal(np.isin(keys, trials[by_trial.validation]),
                                  by_window.validation)
    one = trials[(trials["subject"] == "1") & (trials["session"] == "1")]
    split = protocols.split(protocols.Fold("subject_dependent", "sub-1_ses-1", ()), one, (one["trial"] - 1) % 3, protocol_spec(protocols.Fold("subject_dependent", "sub-1_ses-1", ()).protocol, {"train_trials": 4}), np.array([4, 4, 0, 4, 4, 4]))
    assert one["trial"][split.test].tolist() == [5, 6]  # trial 3 has no window: still trains


def test_subject_dependent_session_folds_are_trial_blocks():
    keys, labels = _keys(subjects=1, sessions=1, trials=15)
    settings = {"session_folds": 3, "train_trials": 9}
    folds = protocols.folds(_sessions(keys), protocol_spec("subject_dependent", settings))
    assert [f.name for f in folds] == [f"sub-1_ses-1_fold-{j}" for j in (1, 2, 3)]
    split = protocols.split(folds[1], keys, labels, protocol_spec(folds[1].protocol, settings))
    assert set(keys["trial"][split.test]) == {6, 7, 8, 9, 10}


def test_validation_trials_are_whole_training_trials_of_every_class():
    keys, labels = _keys()
    split = protocols.split(protocols.Fold("loso", "sub-1", ()), keys, labels, protocol_spec(protocols.Fold("loso", "sub-1", ()).protocol, {}))
    held = protocols.validation_trials(keys, labels, split.train, per_class=1, seed=0)
    assert not (held & split.test).any()
    # one trial per class in each of the 4 training sessions, 4 windows each
    assert sorted(labels[held].tolist()) == [0] * 16 + [1] * 16 + [2] * 16
    for key in np.unique(keys[held]):
        assert held[keys == key].all()
    with pytest.raises(SeedflowError, match="validation_trials"):
        protocols.validation_trials(keys, labels, split.train, per_class=2, seed=0)


def test_dreamer_channels_use_their_own_grid():
    from seedflow.channels import DREAMER_14, DREAMER_GRID, grid_for

    assert grid_for([c.lower() for c in DREAMER_14]) is DREAMER_GRID
    grid = to_grid(np.ones((2, 14, 5)), DREAMER_14)
    assert grid.shape == (2, 9, 9, 5) and (grid[0, ..., 0] != 0).sum() == 14
    assert grid[0, 4, 0, 0] == 1 and grid[0, 4, 8, 0] == 1  # T7, T8


def test_window_groups_stay_within_trials_and_pad():
    from seedflow.recognition.representations import window_groups

    trial_index = np.repeat([0, 1], [7, 3])
    start = np.arange(10) * 200
    usable = np.ones(10, dtype=bool)
    groups = window_groups(trial_index, start, usable, 4, pad=False)
    assert groups.tolist() == [[0, 1, 2, 3]]
    padded = window_groups(trial_index, start, usable, 4, pad=True)
    assert padded.tolist() == [[0, 1, 2, 3], [4, 5, 6, -1], [7, 8, 9, -1]]


def test_hemisphere_order_pairs_mirrored_electrodes():
    from seedflow.recognition.representations import hemisphere_order

    order, n_side = hemisphere_order(SEED_62)
    names = [SEED_62[i] for i in order]
    assert n_side == 27 and sorted(order.tolist()) == list(range(62))
    assert names[names.index("FP1") + n_side] == "FP2"
    assert names[names.index("T7") + n_side] == "T8"
    assert set(names[2 * n_side:]) == {"FPZ", "FZ", "FCZ", "CZ", "CPZ", "PZ", "POZ", "OZ"}


def test_train_validation_test_protocols_keep_every_trial_and_subject_on_one_side():
    """subject_dependent_tvt draws whole trials per class, cross_subject_tvt whole subjects:
    no trial (nor, across subjects, any subject) has windows on two sides."""
    keys, labels = _keys(subjects=5, sessions=2, trials=9)
    spec = protocol_spec("subject_dependent_tvt", {"test_trials": 2, "seed": 3})
    for fold in protocols.folds(_sessions(keys), spec):
        (subject, session), = fold.sessions
        mine = (keys["subject"] == subject) & (keys["session"] == session)
        split = protocols.split(fold, keys[mine], labels[mine], spec)
        assert sorted(labels[mine][split.test].tolist()) == [0] * 8 + [1] * 8 + [2] * 8
        for key in np.unique(keys[mine]):
            rows = keys[mine] == key
            assert split.test[rows].all() or split.train[rows].all()
    with pytest.raises(SeedflowError, match="recognition.test_trials: 3 test trials per class "
                                            "leave class 0 of sub-5 ses-2 with no training"):
        protocols.split(fold, keys[mine], labels[mine],
                        protocol_spec("subject_dependent_tvt", {"test_trials": 3}))
    spec = protocol_spec("cross_subject_tvt", {"test_subjects": 2, "validation_subjects": 1})
    fold, = protocols.folds(_sessions(keys), spec)
    split = protocols.split(fold, keys, labels, spec)
    sides = [set(keys["subject"][m].tolist()) for m in (split.train, split.validation, split.test)]
    assert [len(side) for side in sides] == [2, 1, 2] and len(set.union(*sides)) == 5
    with pytest.raises(SeedflowError, match="recognition.validation_subjects: 3 validation "
                                            "subjects, but only 3 of the dataset's 5"):
        protocols.folds(_sessions(keys), protocol_spec(
            "cross_subject_tvt", {"test_subjects": 2, "validation_subjects": 3}))


def test_channels_without_a_mirrored_pair_keep_their_order_for_raw_windows():
    """eegnet reads raw windows of any channels; only tsception needs hemispheres."""
    from seedflow import models
    from seedflow.recognition.representations import hemisphere_order

    order, n_side = hemisphere_order(["EEG 000", "Cz", "EEG 001"])
    assert order.tolist() == [0, 1, 2] and n_side == 0
    assert [n for n in models.NAMES if models.spec(n).hemispheres] == ["tsception"]
