"""Evaluation protocols: which trials train and which test, never splitting a trial.

- ``subject_dependent``: within each session; with ``session_folds: 1`` the first
  ``train_trials`` trials train and the rest test (SEED 9/6, SEED-IV 16/8), otherwise the
  session's trials form ``session_folds`` contiguous blocks and each block tests once
  (SEED-V: 3 folds). Folds ``sub-<s>_ses-<k>`` or ``sub-<s>_ses-<k>_fold-<j>``.
- ``loso``: leave one subject out; fold ``sub-<s>`` tests every session of subject s and
  trains on all other subjects.
- ``kfold``: K folds over all trials of all subjects and sessions, grouped by trial
  (stratified by class, shuffled with the seed); folds ``fold-<j>``.
- ``subject_dependent_tvt``: within each session, ``test_trials`` trials of each class drawn
  at random test, the rest train (``validation_trials`` of them per class validate): LibEER's
  subject-dependent train/validation/test setting (SEED: 9/3/3 trials). Folds
  ``sub-<s>_ses-<k>``.
- ``cross_subject_tvt``: one fold, ``holdout``, over every session: fixed sets of test and
  validation subjects (counts drawn at random, or listed), the other subjects train:
  LibEER's cross-subject train/validation/test setting (SEED: 9/3/3 subjects).
Every split is made on trial identities (subject, session, trial) and guarded. Callers pass
the dataset's trials (:class:`seedflow.recognition.representations.Trials`: every trial of
the sessions read, also one that lost all its windows), so leaving damaged windows out
never moves a trial to the other side nor changes which trials validate.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from seedflow.errors import SeedflowError

PROTOCOLS = ("subject_dependent", "loso", "kfold", "subject_dependent_tvt", "cross_subject_tvt")


@dataclass(frozen=True)
class ProtocolSpec:
    """What a protocol's folds and splits depend on (config section ``recognition``; None:
    a setting the protocol does not use)."""

    protocol: str
    train_trials: int | None   # subject_dependent, one fold per session
    session_folds: int | None  # subject_dependent
    kfold: int | None          # kfold
    seed: int | None           # the draws of kfold, subject_dependent_tvt, cross_subject_tvt
    test_trials: int | None = None  # subject_dependent_tvt: per class and session
    # cross_subject_tvt: a count drawn at random, or the subjects
    test_subjects: int | tuple[str, ...] | None = None
    validation_subjects: int | tuple[str, ...] | None = None

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
        if protocol == "subject_dependent_tvt":
            return cls(protocol, None, None, None, rec["seed"], test_trials=rec["test_trials"])
        if protocol == "cross_subject_tvt":
            return cls(protocol, None, None, None, rec["seed"],
                       test_subjects=_subjects(rec["test_subjects"]),
                       validation_subjects=_subjects(rec["validation_subjects"]))
        raise SeedflowError(f"config key recognition.protocols: unknown protocol '{protocol}' "
                            f"(known: {', '.join(PROTOCOLS)})")


def _subjects(value: int | list) -> int | tuple[str, ...]:
    """A count, or the listed subjects as text (YAML may read ``[1, 2]`` as numbers)."""
    return value if isinstance(value, int) else tuple(str(s) for s in value)


@dataclass(frozen=True)
class Split:
    """Boolean masks over windows; built from trial identities only. ``validation``: the
    protocol's own validation rows (``cross_subject_tvt``), else None."""

    train: np.ndarray
    test: np.ndarray
    validation: np.ndarray | None = None


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


def held_out_trials(trial_id: np.ndarray, labels: np.ndarray, per_class: int, seed: int,
                    subject: str, session: str,
                    class_names: tuple[str, ...] | None = None) -> np.ndarray:
    """The trial ids ``subject_dependent_tvt`` tests in one session: ``per_class`` trials
    of each class, drawn with a generator of (seed, subject, session) alone, so a session's
    draw does not depend on which other sessions are read (``class_names``: for the
    error)."""
    where = zlib.crc32(f"{subject}\0{session}".encode())
    rng = np.random.default_rng([seed, where])
    ids, first = np.unique(trial_id, return_index=True)
    chosen = []
    for label in np.unique(labels[first]):
        candidates = ids[labels[first] == label]
        if len(candidates) <= per_class:
            raise SeedflowError(
                f"config key recognition.test_trials: {per_class} test trials per class "
                f"leave class {class_names[label] if class_names else int(label)!r} of "
                f"sub-{subject} ses-{session} with no training trial "
                f"(it has {len(candidates)} trials)")
        chosen.extend(rng.choice(candidates, per_class, replace=False).tolist())
    return np.sort(np.array(chosen, dtype=ids.dtype))


def subject_sets(subjects: list[str], spec: ProtocolSpec) -> dict[str, list[str]]:
    """``cross_subject_tvt``'s subjects: ``train``, ``validation`` and ``test`` lists. Counts
    are drawn at random with the seed from the sorted subjects (test first), listed subjects
    are taken as given."""
    ordered = sorted(set(subjects), key=lambda s: (len(s), s))
    rng = np.random.default_rng(spec.seed)
    sets: dict[str, list[str]] = {}
    for side, value in (("test", spec.test_subjects),
                        ("validation", spec.validation_subjects)):
        key = f"recognition.{side}_subjects"
        taken = {s for chosen in sets.values() for s in chosen}
        if isinstance(value, int):
            left = [s for s in ordered if s not in taken]
            if value >= len(left):
                raise SeedflowError(
                    f"config key {key}: {value} {side} subjects, but only {len(left)} of the "
                    f"dataset's {len(ordered)} subjects are left for them and training")
            chosen = rng.choice(np.array(left, dtype=object), value, replace=False).tolist()
        else:
            unknown = [s for s in value if s not in ordered]
            again = [s for s in value if s in taken]
            if unknown or again or len(set(value)) < len(value):
                raise SeedflowError(
                    f"config key {key}: {list(value)}: "
                    + (f"not subjects of the dataset: {unknown} (its subjects: {ordered})"
                       if unknown else f"listed twice or also a test subject: "
                       f"{again or sorted(value)}"))
            chosen = list(value)
        sets[side] = sorted(chosen, key=lambda s: (len(s), s))
    if not sets["test"]:
        raise SeedflowError("config key recognition.test_subjects: no test subject")
    taken = {s for chosen in sets.values() for s in chosen}
    sets["train"] = [s for s in ordered if s not in taken]
    if not sets["train"]:
        raise SeedflowError(
            f"config key recognition.test_subjects: test subjects {sets['test']} and "
            f"validation subjects {sets['validation']} leave no training subject")
    return sets


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
    if protocol == "subject_dependent_tvt":
        return [Fold(protocol, f"sub-{s}_ses-{k}", ((s, k),)) for s, k in sessions]
    if protocol == "cross_subject_tvt":
        subject_sets([s for s, _ in sessions], spec)  # one clear error before any job
        return [Fold(protocol, "holdout", tuple(sessions))]
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
    elif fold.protocol == "subject_dependent_tvt":
        (subject, session), = fold.sessions
        held = held_out_trials(keys["trial"], labels, spec.test_trials, spec.seed,
                               subject, session)
        test = np.isin(keys["trial"], held)
        result = Split(train=~test, test=test)
    elif fold.protocol == "cross_subject_tvt":
        sets = subject_sets([str(s) for s in np.unique(keys["subject"])], spec)
        test = np.isin(keys["subject"], sets["test"])
        validation = np.isin(keys["subject"], sets["validation"])
        result = Split(train=~test & ~validation, test=test, validation=validation)
        assert_no_shared_trials(keys, Split(train=result.train, test=validation))
        assert_no_shared_trials(keys, Split(train=validation, test=test))
    else:
        raise SeedflowError(f"unknown protocol '{fold.protocol}'")
    assert_no_shared_trials(keys, result)
    return result


def validates(spec: ProtocolSpec, validation_trials: int) -> bool:
    """Whether the protocol's folds have validation samples: its own validation subjects
    (``cross_subject_tvt``), else ``validation_trials`` per class and session."""
    if spec.protocol == "cross_subject_tvt":
        return spec.validation_subjects not in (0, ())
    return validation_trials > 0


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
