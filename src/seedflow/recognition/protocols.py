"""Evaluation protocols: which trials train and which test, never splitting a trial.

- ``subject_dependent``: within each session; with ``session_folds: 1`` the first
  ``train_trials`` trials train and the rest test (SEED 9/6, SEED-IV 16/8), otherwise the
  session's trials form ``session_folds`` contiguous blocks and each block tests once
  (SEED-V: 3 folds). Folds ``sub-<s>_ses-<k>`` or ``sub-<s>_ses-<k>_fold-<j>``.
- ``loso``: leave one subject out; fold ``sub-<s>`` tests every session of subject s and
  trains on all other subjects.
- ``kfold``: K folds over all trials of all subjects and sessions, grouped by trial
  (stratified by class, shuffled with the seed); folds ``fold-<j>``.
Every split is made on trial identities (subject, session, trial) and guarded. Callers pass
the dataset's trials (:class:`seedflow.recognition.representations.Trials`: every trial of
the sessions read, also one that lost all its windows), so leaving damaged windows out
never moves a trial to the other side nor changes which trials validate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seedflow.errors import SeedflowError

PROTOCOLS = ("subject_dependent", "loso", "kfold")


@dataclass(frozen=True)
class ProtocolSpec:
    """What a protocol's folds and splits depend on (config section ``recognition``; None:
    a setting the protocol does not use)."""

    protocol: str
    train_trials: int | None   # subject_dependent, one fold per session
    session_folds: int | None  # subject_dependent
    kfold: int | None          # kfold
    seed: int | None           # kfold's shuffling

    @classmethod
    def from_config(cls, config: dict, protocol: str) -> "ProtocolSpec":
        rec = config["recognition"]
        if protocol == "subject_dependent":
            one = rec["session_folds"] == 1
            return cls(protocol, rec["train_trials"] if one else None, rec["session_folds"],
                       None, None)
        if protocol == "loso":
            return cls(protocol, None, None, None, None)
        if protocol == "kfold":
            return cls(protocol, None, None, rec["kfold"], rec["seed"])
        raise SeedflowError(f"config key recognition.protocols: unknown protocol '{protocol}' "
                            f"(known: {', '.join(PROTOCOLS)})")


@dataclass(frozen=True)
class Split:
    """Boolean masks over windows; built from trial identities only."""

    train: np.ndarray
    test: np.ndarray


@dataclass(frozen=True)
class Fold:
    """One fold of a protocol: its name, the sessions it reads, what it tests."""

    protocol: str
    name: str
    sessions: tuple[tuple[str, str], ...]   # (subject, session) pairs to read
    index: int = 0                          # fold number within a session or a K-fold


def _keys(trial_keys: np.ndarray) -> list:
    return trial_keys.tolist() if trial_keys.dtype.names else list(trial_keys)


def assert_no_shared_trials(trial_keys: np.ndarray, split: Split) -> None:
    """Fail if any trial (subject, session, trial) has windows on both sides."""
    keys = _keys(trial_keys)
    shared = {k for k, m in zip(keys, split.train) if m} & {
        k for k, m in zip(keys, split.test) if m}
    if shared:
        raise AssertionError(f"trials in both train and test: {sorted(shared)[:5]}")


def subject_dependent(trial_id: np.ndarray, train_trials: int) -> Split:
    """SEED's protocol within one session: trials 1..train_trials train, the rest test."""
    ordered = np.unique(trial_id)
    if train_trials >= len(ordered):
        raise SeedflowError(f"config key recognition.train_trials: {train_trials} leaves no "
                            f"test trial in a session of {len(ordered)} trials")
    train = np.isin(trial_id, ordered[:train_trials])
    split = Split(train=train, test=~train)
    assert_no_shared_trials(trial_id, split)
    return split


def session_block(trial_id: np.ndarray, n_folds: int, index: int) -> Split:
    """Within one session: contiguous block ``index`` of ``n_folds`` trial blocks tests."""
    ordered = np.unique(trial_id)
    if n_folds > len(ordered):
        raise SeedflowError(f"config key recognition.session_folds: {n_folds} folds for "
                            f"{len(ordered)} trials")
    test = np.isin(trial_id, np.array_split(ordered, n_folds)[index])
    split = Split(train=~test, test=test)
    assert_no_shared_trials(trial_id, split)
    return split


def folds(sessions: list[tuple[str, str]], spec: ProtocolSpec) -> list[Fold]:
    """Every fold of ``spec.protocol`` over the dataset's (subject, session) pairs."""
    protocol = spec.protocol
    if protocol == "subject_dependent":
        n = spec.session_folds
        if n == 1:
            return [Fold(protocol, f"sub-{s}_ses-{k}", ((s, k),)) for s, k in sessions]
        return [Fold(protocol, f"sub-{s}_ses-{k}_fold-{j + 1}", ((s, k),), j)
                for s, k in sessions for j in range(n)]
    if protocol == "loso":
        subjects = sorted({s for s, _ in sessions}, key=lambda s: (len(s), s))
        if len(subjects) < 2:
            raise SeedflowError("protocol loso needs at least 2 subjects")
        return [Fold(protocol, f"sub-{s}", tuple(sessions)) for s in subjects]
    if protocol == "kfold":
        return [Fold(protocol, f"fold-{j + 1}", tuple(sessions), j) for j in range(spec.kfold)]
    raise SeedflowError(f"config key recognition.protocols: unknown protocol '{protocol}' "
                        f"(known: {', '.join(PROTOCOLS)})")


def split(fold: Fold, keys: np.ndarray, labels: np.ndarray, spec: ProtocolSpec,
          n_windows: np.ndarray | None = None) -> Split:
    """Train/test masks of a fold over rows with (subject, session, trial) ``keys``: the
    dataset's trials, one row each (or windows).

    ``n_windows`` (per row): the windows each trial has before any is left out, which weigh
    its class in ``kfold``'s stratification as if every window were a row.
    """
    if fold.protocol == "subject_dependent":
        n = spec.session_folds
        result = (subject_dependent(keys["trial"], spec.train_trials) if n == 1
                  else session_block(keys["trial"], n, fold.index))
    elif fold.protocol == "loso":
        test = keys["subject"] == fold.name.removeprefix("sub-")
        result = Split(train=~test, test=test)
    elif fold.protocol == "kfold":
        from sklearn.model_selection import StratifiedGroupKFold  # slow import: on use

        rows = (np.arange(len(keys)) if n_windows is None
                else np.repeat(np.arange(len(keys)), np.maximum(n_windows, 1)))
        groups = np.unique(keys[rows], return_inverse=True)[1]
        n = spec.kfold
        if n > groups.max() + 1:
            raise SeedflowError(f"config key recognition.kfold: {n} folds for "
                                f"{groups.max() + 1} trials")
        splitter = StratifiedGroupKFold(n, shuffle=True, random_state=spec.seed)
        _, test_index = list(splitter.split(labels[rows], labels[rows], groups))[fold.index]
        test = np.zeros(len(keys), dtype=bool)
        test[rows[test_index]] = True
        result = Split(train=~test, test=test)
    else:
        raise SeedflowError(f"unknown protocol '{fold.protocol}'")
    assert_no_shared_trials(keys, result)
    return result


def validation_trials(keys: np.ndarray, labels: np.ndarray, train: np.ndarray,
                      per_class: int, seed: int) -> np.ndarray:
    """Mask of training samples held out for early stopping: in every training session,
    ``per_class`` whole trials of each class, drawn with ``seed`` (0 = none)."""
    held = np.zeros(len(keys), dtype=bool)
    if per_class == 0:
        return held
    rng = np.random.default_rng(seed)
    sessions = sorted({(s, k) for s, k, _ in keys[train].tolist()})
    for subject, session in sessions:
        in_session = train & (keys["subject"] == subject) & (keys["session"] == session)
        for label in np.unique(labels[in_session]):
            candidates = np.unique(keys["trial"][in_session & (labels == label)])
            if len(candidates) <= per_class:
                raise SeedflowError(
                    f"config key recognition.validation_trials: {per_class} validation "
                    f"trials per class leave class {label} of sub-{subject} ses-{session} "
                    f"with no training trial")
            chosen = rng.choice(candidates, per_class, replace=False)
            held |= in_session & np.isin(keys["trial"], chosen)
    assert_no_shared_trials(keys, Split(train=train & ~held, test=held))
    return held
