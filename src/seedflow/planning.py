"""What the config and the recordings' headers already tell, checked before any job runs.

:func:`headers` gives, for every recording, what its headers say -- sampling rate, channel
names, trials with their labels and lengths -- without reading samples. Files on disk are
opened by their kind's reader (:meth:`seedflow.datasets.base.Kind.headers` reads headers
only: variable shapes of MATLAB files, MNE's lazy readers for CNT, FIF, EDF ...), so the
readers' own checks (labels against trials, trial tables against the recording, channels,
rate) run here too; DREAMER.mat, one struct holding every subject, is read in one pass that
skips the samples (:func:`seedflow.datasets.dreamer.headers`). The simulated dataset's files
do not exist yet: its headers come from the simulation config, as the layout's simulator
will write them.

:func:`check` then stops with one :class:`SeedflowError` naming the config key, the value and
the limit it breaks: band and filter edges against the Nyquist frequency of the rate they
run at, window lengths against the shortest trial, protocol settings against the trials of
each session, stacking without validation trials, the GAN's rate and windows.

Headers are scanned afresh by each process that plans a run, without a cache: Snakemake's
job processes, which parse the workflow again (cluster jobs), skip the scan (see
``workflow/rules/common.smk``), so it runs once per ``snakemake`` call, and a cache would
have to be written into the results folder even by a dry run and be kept in step with the
files. Measured on a loaded 2-core machine: 45 SEED files in 0.04 s; a DREAMER.mat of
DREAMER's structure holding 0.55 GB of decompressed arrays in 5 s, as long as zlib takes to
inflate them (the real file, about 2 GB decompressed, is in proportion).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from seedflow import datasets
from seedflow import models as seedflow_models
from seedflow.channels import grid_cells, grid_for, mirrored_pairs, normalise, standard_name
from seedflow.datasets import mne_raw
from seedflow.datasets.base import ReaderSpec, Recording, SessionHeader
from seedflow.errors import SeedflowError
from seedflow.recognition import protocols as splits
from seedflow.simulate.signal import SimulationSpec

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (subject, session)


# ---- headers ----------------------------------------------------------------------------

def headers(config: dict, recordings: list[Recording]) -> dict[Key, SessionHeader]:
    """(subject, session) -> what the recording's headers say (no samples are read)."""
    kind = datasets.kind_of(config)
    if datasets.simulated(config):
        simulator, spec = kind.simulation(), SimulationSpec.from_config(config)
        return {(r.subject, r.session): simulator.header(spec, config["dataset"], r)
                for r in recordings}
    return kind.headers(ReaderSpec.from_config(config), recordings)


# ---- the run's channels ------------------------------------------------------------------

@dataclass(frozen=True)
class Montage:
    """The channels every store of the run holds, in their stored order and names, and per
    recording those of its channels left out for not being in every recording."""

    channels: tuple[str, ...]
    dropped: dict[Key, tuple[str, ...]]


def montage(config: dict, found: dict[Key, SessionHeader]) -> Montage:
    """The run's channels: for the ``mne`` kind ``dataset.channels`` (every recording must
    have them), else the EEG channels with a 10-05 name that every recording has, in the
    default stored order (SEED's 62 first; :func:`seedflow.io.mne_raw.named_eeg`), each
    recording's others logged; the other kinds' readers store a fixed set. Fewer than
    ``dataset.min_channels`` stops the run, with the counts per recording."""
    ds, kind = config["dataset"], datasets.kind_of(config)
    if kind.chooses_channels:
        chosen, available = _mne_montage(ds["channels"], found)
    else:
        first = next(iter(found.values()))
        chosen = Montage(tuple(ch for ch in first.ch_names
                               if all(ch in h.ch_names for h in found.values())), {})
        available = {key: h.ch_names for key, h in found.items()}
    minimum = ds["min_channels"]
    if len(chosen.channels) < minimum:
        listed = ds["channels"] is not None
        what = ("listed in dataset.channels" if listed else "that every recording has"
                if len(found) > 1 else "in the recording")
        offered = ("EEG channels with a 10-05 name" if kind.chooses_channels and not listed
                   else "channels")
        per_recording = "; ".join(f"{_where(key, found[key])}: {len(names)} "
                                  f"({', '.join(names) or 'none'})"
                                  for key, names in available.items())
        raise _error("dataset.min_channels", f"{minimum}, but the run has "
                     f"{len(chosen.channels)} channels {what} "
                     f"({', '.join(chosen.channels) or 'none'}); {offered} per recording: "
                     f"{per_recording}. Lower dataset.min_channels to run on them, or leave "
                     "recordings out (dataset.exclude)")
    return chosen


def _mne_montage(listed: list[str] | None, found: dict[Key, SessionHeader]
                 ) -> tuple[Montage, dict[Key, tuple[str, ...]]]:
    """The montage of ``mne`` recordings, and each recording's channels it was chosen from
    (stored names)."""
    if listed is not None:
        lacking = []
        for key, h in found.items():
            names = [ch for ch, _ in h.channel_types]
            have = {normalise(ch) for ch in names}
            missing = [ch for ch in listed if normalise(ch) not in have]
            if missing:
                lacking.append(f"{_where(key, h)} lacks {', '.join(missing)} (the file has: "
                               f"{', '.join(names)})")
        if lacking:
            raise _error("dataset.channels", f"{len(lacking)} of {len(found)} recordings lack "
                         f"channels it lists: {'; '.join(lacking)}")
        chosen = Montage(tuple(standard_name(ch) or ch for ch in listed), {})
        available = {key: chosen.channels for key in found}
    else:
        named = {key: mne_raw.named_eeg(h.channel_types) for key, h in found.items()}
        without = [f"{_where(key, found[key])} (the file has: "
                   f"{', '.join(ch for ch, _ in found[key].channel_types)})"
                   for key, names in named.items() if not names]
        if without:
            raise _error("dataset.channels", f"no EEG channel with a 10-05 name in "
                         f"{'; '.join(without)}: list the channels to ingest")
        shared = set.intersection(*({normalise(ch) for ch in names}
                                    for names in named.values()))
        first = next(iter(named.values()))
        chosen = Montage(tuple(standard_name(ch) for ch in first if normalise(ch) in shared),
                         {key: tuple(standard_name(ch) for ch in names
                                     if normalise(ch) not in shared)
                          for key, names in named.items()})
        available = {key: tuple(standard_name(ch) for ch in names)
                     for key, names in named.items()}
        for key, dropped in chosen.dropped.items():
            if dropped:
                log.warning("%s: %d of its %d EEG channels with a 10-05 name are not in every "
                            "recording of the run and are left out: %s", _where(key, found[key]),
                            len(dropped), len(named[key]), ", ".join(dropped))
        if any(chosen.dropped.values()):
            log.warning("the run uses the %d channels every recording has: %s",
                        len(chosen.channels), ", ".join(chosen.channels))
    for h in found.values():  # the reader's own checks (one electrode named twice)
        mne_raw.select_channels(h.channel_types, h.path, listed, list(chosen.channels))
    return chosen, available


# ---- checks -----------------------------------------------------------------------------

def check(config: dict, found: dict[Key, SessionHeader],
          chosen: Montage | None = None) -> None:
    """Stop with one :class:`SeedflowError` naming the config key if the config cannot run
    on these recordings (``chosen``: their :func:`montage`, made here if not given)."""
    chosen = chosen or montage(config, found)
    _check_channels(config, chosen)
    if not datasets.official_features(config):
        _check_features(config, found, chosen)
    _check_recognition(config, found)
    _check_synthesis(config, found)


def _error(key: str, message: str) -> SeedflowError:
    return SeedflowError(f"config key {key}: {message}")


def _hz(values) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "] Hz"


def _reaches(band, nyquist: float) -> str:
    return "reaches above Nyquist" if band[1] > nyquist else "reaches Nyquist"


def _where(key: Key, header: SessionHeader) -> str:
    return f"sub-{key[0]} ses-{key[1]} ({header.path.name})"


def _ratio(source: float, target: float) -> Fraction | None:
    """target / source as resample_poly's up / down (the resamplers' own rule), or None."""
    ratio = Fraction(target / source).limit_denominator(1000)
    return ratio if abs(float(ratio) * source - target) <= 1e-6 * target else None


def _resampled_length(n: int, ratio: Fraction | None) -> int:
    """Samples of a trial of ``n`` samples after resample_poly by ``ratio``."""
    return n if ratio is None else -(-n * ratio.numerator // ratio.denominator)


def _shortest(found: dict[Key, SessionHeader], sfreq: float):
    """(key, header, trial) of the shortest trial among recordings at ``sfreq``."""
    return min(((key, h, t) for key, h in found.items() if h.sfreq == sfreq
                for t in h.trials), key=lambda x: x[2].n_samples)


def _check_band_edges(key: str, band, what: str = "") -> None:
    lo, hi = band
    if not lo < hi:
        raise _error(key, f"{_hz(band)}: the low edge must be below the high edge{what}")
    if lo <= 0:
        raise _error(key, f"{_hz(band)}: the low edge must be above 0 Hz{what}")


def _check_features(config: dict, found: dict[Key, SessionHeader], chosen: Montage) -> None:
    section = config["features"]
    prep = section["preprocessing"]
    bands = section["bands"]
    for name, band in bands.items():
        _check_band_edges(f"features.bands.{name}", band)
    if prep["bandpass"] is not None:
        _check_band_edges("features.preprocessing.bandpass", prep["bandpass"])
    if section["overlap_seconds"] >= section["window_seconds"]:
        raise _error("features.overlap_seconds", f"{section['overlap_seconds']:g} s is not "
                     f"shorter than features.window_seconds ({section['window_seconds']:g} s)")
    for sfreq in sorted({h.sfreq for h in found.values()}):
        nyquist = sfreq / 2
        at = f"({nyquist:g} Hz at {sfreq:g} Hz sampling)"
        if prep["notch"] is not None and prep["notch"] >= nyquist:
            raise _error("features.preprocessing.notch", f"{prep['notch']:g} Hz is not below "
                         f"Nyquist {at}")
        if prep["bandpass"] is not None and prep["bandpass"][1] >= nyquist:
            raise _error("features.preprocessing.bandpass", f"{_hz(prep['bandpass'])} "
                         f"{_reaches(prep['bandpass'], nyquist)} {at}; it runs before any "
                         "resampling")
        ratio, rate = None, sfreq
        if prep["resample"] is not None and prep["resample"] != sfreq:
            rate = float(prep["resample"])
            ratio = _ratio(sfreq, rate)
            if ratio is None:
                raise _error("features.preprocessing.resample", f"{rate:g} Hz is not a simple "
                             f"ratio (denominator up to 1000) of the {sfreq:g} Hz recordings")
        for name, band in bands.items():
            if band[1] < rate / 2:
                continue
            if ratio is not None:
                raise _error("features.preprocessing.resample", f"{rate:g} Hz puts Nyquist at "
                             f"{rate / 2:g} Hz, not above band {name} {_hz(band)} "
                             f"(features.bands.{name})")
            raise _error(f"features.bands.{name}", f"{_hz(band)} {_reaches(band, nyquist)} "
                         f"{at}")
        _check_windows(config, found, sfreq, rate, ratio)
    reference = prep["reference"]
    if isinstance(reference, list):
        missing = [ch for ch in reference if ch not in chosen.channels]
        if missing:
            raise _error("features.preprocessing.reference", f"channels {missing} are not "
                         f"among the run's channels: {', '.join(chosen.channels)}")


def _check_windows(config: dict, found: dict[Key, SessionHeader], sfreq: float,
                   rate: float, ratio: Fraction | None) -> None:
    """Feature windows at ``rate`` (recordings at ``sfreq``): at least one in every trial."""
    section = config["features"]
    win = int(round(section["window_seconds"] * rate))
    hop = win - int(round(section["overlap_seconds"] * rate))
    if win < 1:
        raise _error("features.window_seconds", f"{section['window_seconds']:g} s is less "
                     f"than one sample at {rate:g} Hz")
    if hop < 1:
        raise _error("features.overlap_seconds", f"{section['overlap_seconds']:g} s leaves "
                     f"windows of {section['window_seconds']:g} s less than one sample apart "
                     f"at {rate:g} Hz")
    stft_n = section["stft_n"]
    if section["de_method"] == "stft" and stft_n is not None and stft_n < win:
        raise _error("features.stft_n", f"{stft_n} is shorter than a window ({win} samples "
                     f"at {rate:g} Hz)")
    key, h, trial = _shortest(found, sfreq)
    length = _resampled_length(trial.n_samples, ratio)
    if length < win:
        raise _error("features.window_seconds", f"{section['window_seconds']:g} s windows do "
                     f"not fit in trial {trial.trial_id} of {_where(key, h)}, "
                     f"{length / rate:g} s long: every trial must hold a window")
    models = set(config["recognition"]["models"])
    if "stacking" in models:
        models |= set(config["recognition"]["stacking"])
    if "aann4d" in models:
        slices = config["recognition"]["segment_windows"]
        windows = (length - win) // hop + 1
        if windows < slices:
            raise _error("recognition.segment_windows", f"{slices} windows per aann4d segment, "
                         f"but trial {trial.trial_id} of {_where(key, h)} holds {windows} "
                         f"(features.window_seconds {section['window_seconds']:g} s): its "
                         "windows would make no segment")
    if "eegnet" in models and win < seedflow_models.EEGNET_POOLING:
        raise _error("features.window_seconds", f"eegnet pools {seedflow_models.EEGNET_POOLING} "
                     f"samples into one step, but a {section['window_seconds']:g} s window "
                     f"holds {win} at {rate:g} Hz")


# Representations that place channels on the 9 x 9 electrode grid (seedflow.representations).
_GRID_KINDS = ("grid", "psd_grid", "grid4d", "grid_sequence")
_FLAT_MODELS = "use a model on flat features (dnn, lstm, svm, logreg)"


def _check_channels(config: dict, chosen: Montage) -> None:
    """Every model, and the feature-level GAN, can use the run's channels."""
    channels = list(chosen.channels)
    rec, section = config["recognition"], config["synthesis"]
    synthesis = section["enabled"]
    augmentation = synthesis and section["augmentation"]["enabled"]
    models = [("recognition.models", m) for m in rec["models"] if m != "stacking"]
    if "stacking" in rec["models"]:
        models += [("recognition.stacking", m) for m in rec["stacking"]]
    if augmentation and section["augmentation"]["model"] in seedflow_models.NAMES:
        models.append(("synthesis.augmentation.model", section["augmentation"]["model"]))
    grid = grid_for(channels)
    cells = grid_cells(grid)
    on_grid = [ch for ch in channels if normalise(ch) in cells]
    off_grid = [ch for ch in channels if normalise(ch) not in cells]
    listed = f"the run's channels: {', '.join(channels)}"
    for key, name in models:
        representation = seedflow_models.spec(name).representation
        if representation in _GRID_KINDS and not on_grid:
            raise _error(key, f"{name} places channels on the 9 x 9 electrode grid, but none "
                         f"of the run's channels is on it ({listed}; the grid holds "
                         f"{', '.join(cells)}): {_FLAT_MODELS}, or ingest 10-05 channels "
                         "(dataset.channels)")
        if seedflow_models.spec(name).hemispheres and not mirrored_pairs(channels, grid):
            raise _error(key, f"{name}'s hemisphere kernels need a left and a right electrode "
                         f"mirrored on the 9 x 9 electrode grid (such as C3 and C4), but the "
                         f"run's channels have none ({listed}): {_FLAT_MODELS}")
    gan_keys = [key for key, on in (
        ("synthesis.feature_gan.enabled", synthesis and section["feature_gan"]["enabled"]),
        ("synthesis.augmentation.arms",
         augmentation and "feature_wgan_gp" in section["augmentation"]["arms"])) if on]
    if gan_keys and off_grid:
        raise _error(gan_keys[0], f"the feature-level GAN places every channel on the 9 x 9 "
                     f"electrode grid, but {', '.join(off_grid)} are not on it ({listed}): "
                     "leave them out with dataset.channels, or turn the feature GAN off "
                     "(synthesis.feature_gan.enabled; the augmentation arm feature_wgan_gp)")


def _get(config: dict, key: str):
    section, name = key.split(".")
    return config[section][name]


def _trial_ids(header: SessionHeader) -> list[int]:
    return sorted(t.trial_id for t in header.trials)


def _check_recognition(config: dict, found: dict[Key, SessionHeader]) -> None:
    rec = config["recognition"]
    protocols = rec["protocols"]
    per_class = rec["validation_trials"]
    if "stacking" in rec["models"]:
        for protocol in protocols:
            if splits.validates(splits.ProtocolSpec.from_config(config, protocol), per_class):
                continue
            key = ("recognition.validation_subjects" if protocol == "cross_subject_tvt"
                   else "recognition.validation_trials")
            raise _error(key, f"{_get(config, key)}, but stacking (in recognition.models) "
                         f"fits its meta-model on the base models' predictions for "
                         f"validation samples, which {protocol} then has none of: set 1 or "
                         "more")
        bases = rec["stacking"]
        if "aann4d" in bases and len(set(bases)) > 1:
            raise _error("recognition.stacking", f"{bases}: aann4d predicts segments of "
                         "several windows, the others single windows, so their predictions "
                         "cannot be stacked row by row")
    training: list[tuple[str, Key, list[int]]] = []  # (fold, session, its training trials)
    if "subject_dependent" in protocols:
        n_folds = rec["session_folds"]
        for key, h in found.items():
            ids = _trial_ids(h)
            if n_folds == 1:
                if rec["train_trials"] >= len(ids):
                    raise _error("recognition.train_trials", f"{rec['train_trials']} leaves no "
                                 f"test trial in {_where(key, h)}, which has {len(ids)} trials")
                training.append((f"subject_dependent sub-{key[0]}_ses-{key[1]}", key,
                                 ids[:rec["train_trials"]]))
                continue
            if n_folds > len(ids):
                raise _error("recognition.session_folds", f"{n_folds} folds of trial blocks, "
                             f"but {_where(key, h)} has {len(ids)} trials")
            for j, block in enumerate(np.array_split(ids, n_folds), start=1):
                training.append((f"subject_dependent sub-{key[0]}_ses-{key[1]}_fold-{j}", key,
                                 [i for i in ids if i not in set(block.tolist())]))
    if "subject_dependent_tvt" in protocols:
        for key, h in found.items():
            trials = sorted(h.trials, key=lambda t: t.trial_id)
            held = splits.held_out_trials(
                np.array([t.trial_id for t in trials]), np.array([t.label for t in trials]),
                rec["test_trials"], rec["seed"], *key, class_names=h.class_names).tolist()
            training.append((f"subject_dependent_tvt sub-{key[0]}_ses-{key[1]}", key,
                             [t.trial_id for t in trials if t.trial_id not in held]))
    if "kfold" in protocols:
        total = sum(len(h.trials) for h in found.values())
        if rec["kfold"] > total:
            raise _error("recognition.kfold", f"{rec['kfold']} folds, but the dataset has "
                         f"{total} trials")
    if "loso" in protocols or "kfold" in protocols:
        # Every session trains in some LOSO fold with all its trials; a K-fold fold trains on
        # part of them, so this is all that can be told before the folds are drawn.
        training += [(p, key, _trial_ids(h)) for p in ("loso", "kfold") if p in protocols
                     for key, h in found.items()]
    if per_class:
        _check_validation(per_class, found, training)


def _check_validation(per_class: int, found: dict[Key, SessionHeader],
                      training: list[tuple[str, Key, list[int]]]) -> None:
    """Every class of a fold's training trials in a session keeps a training trial after
    ``per_class`` of its trials are held out (seedflow.protocols.validation_trials)."""
    for fold, key, ids in training:
        h = found[key]
        labels = {t.trial_id: t.label for t in h.trials}
        counts = np.bincount([labels[i] for i in ids], minlength=len(h.class_names))
        for label, count in enumerate(counts):
            if 0 < count <= per_class:
                raise _error("recognition.validation_trials", f"{per_class} validation trials "
                             f"per class leave class {h.class_names[label]!r} of "
                             f"{_where(key, h)} with no training trial in {fold} (it has "
                             f"{count} training trials of that class)")


def _check_synthesis(config: dict, found: dict[Key, SessionHeader]) -> None:
    section = config["synthesis"]
    if not section["enabled"]:
        return
    target = section["sfreq"]
    for sfreq in sorted({h.sfreq for h in found.values()}):
        ratio, rate = None, sfreq
        if target is not None and target != sfreq:
            if target > sfreq:
                raise _error("synthesis.sfreq", f"{target:g} Hz is above the recordings' "
                             f"{sfreq:g} Hz (only lower rates, by anti-aliased resampling)")
            rate, ratio = float(target), _ratio(sfreq, target)
            if ratio is None:
                raise _error("synthesis.sfreq", f"{target:g} Hz is not a simple ratio "
                             f"(denominator up to 1000) of the {sfreq:g} Hz recordings")
            for name, band in config["features"]["bands"].items():
                if band[1] > rate / 2:
                    raise _error("synthesis.sfreq", f"{target:g} Hz puts Nyquist at "
                                 f"{rate / 2:g} Hz, below band {name} {_hz(band)} "
                                 f"(features.bands.{name}), which the GAN's quality measures "
                                 "compare")
        win = int(round(section["window_seconds"] * rate))
        key, h, trial = _shortest(found, sfreq)
        length = _resampled_length(trial.n_samples, ratio)
        if win < 1 or length < win:
            raise _error("synthesis.window_seconds", f"{section['window_seconds']:g} s windows "
                         f"do not fit in trial {trial.trial_id} of {_where(key, h)}, "
                         f"{length / rate:g} s long at {rate:g} Hz: every trial must hold "
                         "a window")
    train_trials = config["recognition"]["train_trials"]
    groups = ({f"sub-{s}": [k for k in found if k[0] == s] for s, _ in found}
              if section["per_subject"] else {"pooled": list(found)})
    for group, keys in groups.items():
        if not any(len(found[k].trials) > train_trials for k in keys):
            raise _error("recognition.train_trials", f"{train_trials}: the GAN trains on the "
                         f"first {train_trials} trials of each session and is measured on the "
                         f"others, but no session of GAN group {group} has more than "
                         f"{train_trials} trials")
