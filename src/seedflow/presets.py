"""Literature settings by name (``recognition.preset``): each fills the protocol, split and
feature keys of a setting papers report under, over the shipped defaults
(``config/config.yaml``) but under every key the user's own config files
(``--configfile``, ``--config``) state, which win.

Snakemake merges ``config/config.yaml`` and the user's files before the workflow sees the
config, so the merged config alone cannot tell a default from a key the user restated;
Snakemake keeps the user's part apart (``workflow.config_settings.overwrite_config``),
which :func:`apply` is given as ``stated``.
"""

from __future__ import annotations

import copy
import logging
import re
from dataclasses import dataclass

from seedflow.errors import SeedflowError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Preset:
    """A named setting: its dotted config keys and values, what it is and who uses it."""

    name: str
    description: str
    settings: dict


# SEED's official features: DE of 1 s windows from the short-time FFT (log2(100 E), Hann),
# smoothed along each trial by the linear dynamic system (de_LDS). LibEER's SEED runs read
# the official de_LDS too (`-dataset seed_de_lds`).
_SEED_FEATURES = {
    "features.window_seconds": 1.0,
    "features.overlap_seconds": 0.0,
    "features.de_method": "stft",
    "features.smoothing": "lds",
}

PRESETS = {preset.name: preset for preset in (
    Preset("seed-classic",
           "SEED's subject-dependent setting: per session, trials 1-9 train and 10-15 "
           "test; DE of 1 s windows smoothed by LDS",
           {"recognition.protocols": ["subject_dependent"],
            "recognition.train_trials": 9, "recognition.session_folds": 1,
            "recognition.validation_trials": 0, **_SEED_FEATURES}),
    Preset("libeer-subject-dependent",
           "LibEER's seed_sub_dependent_train_val_test_setting: per session, of each "
           "class's trials 1 tests and 1 validates (best epoch), drawn at random, the rest "
           "train (SEED: 9/3/3 of 15 trials, SEED-IV: 16/4/4 of 24); DE-LDS",
           {"recognition.protocols": ["subject_dependent_tvt"],
            "recognition.test_trials": 1, "recognition.validation_trials": 1,
            **_SEED_FEATURES}),
    Preset("libeer-cross-subject",
           "LibEER's seed_sub_independent_train_val_test_setting: fixed random sets of 3 "
           "test and 3 validation subjects (best epoch), the other subjects train (SEED's "
           "15: 9/3/3); DE-LDS",
           {"recognition.protocols": ["cross_subject_tvt"],
            "recognition.test_subjects": 3, "recognition.validation_subjects": 3,
            "recognition.validation_trials": 0, **_SEED_FEATURES}),
    Preset("seed-loso",
           "Leave one subject out, every trial of the other subjects trains; DE of 1 s "
           "windows smoothed by LDS",
           {"recognition.protocols": ["loso"], "recognition.validation_trials": 0,
            **_SEED_FEATURES}),
)}

# Every key some preset fills: metrics.json and the summary report give their values.
KEYS = tuple(sorted({key for preset in PRESETS.values() for key in preset.settings}))


def _get(config: dict, key: str):
    value = config
    for part in key.split("."):
        value = value[part]
    return value


def _stated(stated: dict, key: str) -> bool:
    """Whether the user's config names ``key`` (or a whole section holding it)."""
    value = stated
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            return False
        value = value[part]
    return True


def apply(config: dict, stated: dict) -> dict:
    """Fill ``config`` (validated; changed in place) with its ``recognition.preset``'s
    settings for every key ``stated`` (the user's own config files merged) does not name.
    Returns ``{key: (preset value, value used)}`` of the preset's keys: equal where the
    preset's value is used, the user's where they differ."""
    name = config["recognition"]["preset"]
    if name is None:
        return {}
    if name not in PRESETS:
        raise SeedflowError(f"config key recognition.preset: unknown preset {name!r} "
                            f"(known: {', '.join(PRESETS)})")
    used = {}
    for key, value in PRESETS[name].settings.items():
        *sections, last = key.split(".")
        if not _stated(stated, key):
            _get(config, ".".join(sections))[last] = copy.deepcopy(value)
        used[key] = (value, _get(config, key))
    kept = [f"{key} = {mine!r} (preset: {value!r})"
            for key, (value, mine) in used.items() if mine != value]
    if kept:
        log.warning("recognition.preset %s: your config states %s", name, "; ".join(kept))
    return used


def explain(message: str, config: dict) -> str:
    """``message`` (a seedflow error) with the preset named when the key it names is one
    the run's preset filled: the preset does not fit the data."""
    section = config.get("recognition")
    name = section.get("preset") if isinstance(section, dict) else None
    found = re.search(r"config key ([\w.]+)|key '([\w.]+)'", message)
    if name not in PRESETS or not found:
        return message
    key = found.group(1) or found.group(2)
    settings = PRESETS[name].settings
    if key not in settings or _get(config, key) != settings[key]:
        return message
    return (f"config key recognition.preset: {name} ({PRESETS[name].description}) sets "
            f"{key} = {PRESETS[name].settings[key]!r}, which does not fit this dataset: "
            f"{message}. Choose another preset, or state {key} in your config file")


def resolved(config: dict) -> dict:
    """The run's setting for metrics.json and the report: the preset's name (None
    without one) and the values of every key a preset fills."""
    return {"preset": config["recognition"]["preset"],
            "settings": {key: _get(config, key) for key in KEYS}}
