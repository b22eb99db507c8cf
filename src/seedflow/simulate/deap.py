"""The simulated dataset in DEAP's layout: ``data_preprocessed_python/sNN.dat``, a pickle of
``data`` (trials, 40 channels, 3-s baseline + trial samples; DEAP's 32 EEG channels, then 8
peripheral signals) in microvolts and ``labels`` (trials, 4 ratings on 1..9); valence carries
the planted effect."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np

from seedflow.atomic import replaced
from seedflow.channels import SEED_62
from seedflow.datasets import deap
from seedflow.errors import SeedflowError
from seedflow.simulate.dreamer import EFFECTS
from seedflow.simulate.signal import (SeedSimulator, SimulationSpec, no_paths, no_shared_files,
                                      recording_file_spec, recording_header)

log = logging.getLogger(__name__)

NATIVE_SFREQ = deap.DEAP_SFREQ
VALENCE = (7.5, 2.1, 6.3, 3.2, 4.4)  # repeated: high, low, high, low, low, ...


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    if spec.subjects > deap.N_SUBJECTS:
        raise SeedflowError(f"config key simulation.subjects: the deap layout has "
                            f"{deap.N_SUBJECTS} subjects, not {spec.subjects}")
    return [(str(s), "1", f"{deap.FOLDER}/s{s:02d}.dat") for s in range(1, spec.subjects + 1)]


shared_files, paths, file_spec = no_shared_files, no_paths, recording_file_spec


def subject_ratings(spec: SimulationSpec, subject: int) -> np.ndarray:
    """(trials, 4) ratings on 1..9: valence carries the planted effect (above 5 = high),
    the others are random, with one arousal rating of exactly 5."""
    rng = np.random.default_rng([spec.seed, subject, 11])
    n = spec.trials_per_session
    ratings = np.round(rng.uniform(1, 9, (n, len(deap.RATINGS))), 2)
    ratings[:, 0] = [VALENCE[i % len(VALENCE)] for i in range(n)]
    ratings[0, 1] = 5.0
    return ratings


def _peripheral(rng, blinks: np.ndarray, sfreq: float) -> np.ndarray:
    """DEAP's rows 33-40 (hEOG, vEOG, zEMG, tEMG, GSR, respiration, plethysmograph,
    temperature), roughly: what the reader must leave out."""
    n = len(blinks)
    t = np.arange(n) / sfreq
    return np.vstack([20 * rng.standard_normal(n), 2.5 * blinks + 5 * rng.standard_normal(n),
                      *(10 * rng.standard_normal((2, n))), 1e3 + np.cumsum(rng.standard_normal(n)),
                      500 * np.sin(2 * np.pi * 0.25 * t), 1e3 * np.sin(2 * np.pi * 1.2 * t),
                      np.full(n, 33.0)])


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    subject = deap.identity(Path(relative))
    if subject is None or Path(relative).parent.as_posix() != deap.FOLDER:
        raise SeedflowError(f"{relative}: not a file of the simulated deap layout")
    s = int(subject[0])
    sim = SeedSimulator(spec, EFFECTS)
    picks = [SEED_62.index(ch) for ch in deap.DEAP_32]
    ratings = subject_ratings(spec, s)
    trials = []
    for k, valence in enumerate(ratings[:, 0], start=1):
        label = deap.class_index(valence, 5.0, "high")
        base, base_blinks = sim.segment(s, 1, 1000 + k, None, deap.BASELINE_SECONDS)
        eeg, blinks = sim.segment(s, 1, k, label)
        rng = np.random.default_rng([spec.seed, s, k, 99])
        trials.append(np.vstack([np.hstack([base, eeg])[picks],
                                 _peripheral(rng, np.hstack([base_blinks, blinks]),
                                             spec.sfreq)]))
    log.info("subject %d simulated", s)
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out) as tmp, open(tmp, "wb") as f:
        # protocol 2: the highest Python 2 reads, as DEAP's files were written by Python 2
        pickle.dump({"data": np.stack(trials), "labels": ratings}, f, protocol=2)


def header(spec: SimulationSpec, dataset: dict, recording):
    settings = deap.checked_settings({key: dataset[key] for key in deap.KIND.reader_keys})
    column = deap.RATINGS.index(settings["target"])
    ratings = subject_ratings(spec, int(recording.subject))[:, column]
    n_samples = int(round(spec.trial_seconds * spec.sfreq))  # as SeedSimulator.segment
    return recording_header(recording.path, deap.DEAP_32, spec.sfreq,
                            [(k, deap.class_index(r, settings["threshold"],
                                                  settings["at_threshold"]), n_samples)
                             for k, r in enumerate(ratings, start=1)],
                            deap.CLASS_NAMES)
