"""Evaluation protocols: which trials train and which test, never splitting a trial."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """Boolean masks over windows; built from trial identities only."""

    train: np.ndarray
    test: np.ndarray


def assert_no_shared_trials(trial_keys: np.ndarray, split: Split) -> None:
    """Fail if any trial (subject, session, trial) has windows on both sides."""
    keys = [tuple(k) if np.ndim(k) else k for k in trial_keys]
    shared = {k for k, m in zip(keys, split.train) if m} & {
        k for k, m in zip(keys, split.test) if m}
    if shared:
        raise AssertionError(f"trials in both train and test: {sorted(shared)[:5]}")


def subject_dependent(trial_id: np.ndarray, train_trials: int) -> Split:
    """SEED's protocol within one session: trials 1..train_trials train, the rest test."""
    ordered = np.unique(trial_id)
    if train_trials >= len(ordered):
        raise ValueError(f"recognition.train_trials = {train_trials} leaves no test trial "
                         f"in a session of {len(ordered)} trials")
    train = np.isin(trial_id, ordered[:train_trials])
    split = Split(train=train, test=~train)
    assert_no_shared_trials(trial_id, split)
    return split
