import numpy as np
import pytest

from seedflow import protocols
from seedflow.errors import SeedflowError
from seedflow.channels import SEED_62, grid_positions
from seedflow.grid import to_grid


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
