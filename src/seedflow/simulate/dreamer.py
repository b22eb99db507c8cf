"""The simulated dataset in DREAMER's layout: ``DREAMER.mat`` with DREAMER's struct, 14
channels, one session per subject; valence carries the planted effect."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from seedflow.atomic import replaced
from seedflow.channels import DREAMER_14, SEED_62
from seedflow.datasets import dreamer
from seedflow.errors import SeedflowError
from seedflow.simulate.signal import (LEFT_TEMPORAL, POSTERIOR, RECORDING_FIELDS, RIGHT_TEMPORAL,
                                      SeedSimulator, SimulationSpec, no_paths, no_shared_files,
                                      recording_header, savemat)

log = logging.getLogger(__name__)

NATIVE_SFREQ = dreamer.DREAMER_SFREQ
EFFECTS = {0: (("alpha", POSTERIOR),), 1: (("gamma", RIGHT_TEMPORAL), ("beta", LEFT_TEMPORAL))}
VALENCE = (5, 1, 4, 2, 3)  # repeated: high, low, high, low, low, ...


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    return [(str(s), "1", dreamer.FILE) for s in range(1, spec.subjects + 1)]


shared_files, paths = no_shared_files, no_paths


def file_spec(spec: SimulationSpec, relative: str) -> SimulationSpec:
    """DREAMER.mat holds every subject."""
    return spec.only("subjects", *RECORDING_FIELDS)


def subject_scores(spec: SimulationSpec, subject: int) -> tuple[float, dict[str, list[int]]]:
    """A simulated subject's age and scores (1..5 per trial) of each target: valence
    carries the planted effect (above 3 = high), arousal and dominance are random."""
    rng = np.random.default_rng([spec.seed, subject, 7])
    age = float(rng.integers(22, 34))
    n = spec.trials_per_session
    return age, {"valence": [VALENCE[i % len(VALENCE)] for i in range(n)],
                 "arousal": rng.integers(1, 6, n).tolist(),
                 "dominance": rng.integers(1, 6, n).tolist()}


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    """DREAMER.mat: struct DREAMER with Data{subject}.EEG.stimuli{trial} and the scores."""
    if relative != dreamer.FILE:
        raise SeedflowError(f"{relative}: not a file of the simulated dreamer layout")
    sim = SeedSimulator(spec, EFFECTS)
    picks = [SEED_62.index(ch) for ch in DREAMER_14]
    data = np.empty((1, spec.subjects), dtype=object)
    for s in range(1, spec.subjects + 1):
        age, scores = subject_scores(spec, s)
        stimuli = np.empty((spec.trials_per_session, 1), dtype=object)
        baseline = np.empty((spec.trials_per_session, 1), dtype=object)
        for k, score in enumerate(scores["valence"], start=1):
            # Emotiv's unreferenced signal sits on a DC offset of about 4200 uV
            stimuli[k - 1, 0] = sim.trial(s, 1, k, int(score > 3))[picks].T + 4200.0
            baseline[k - 1, 0] = sim.segment(s, 1, 1000 + k, None, 4.0)[0][picks].T + 4200.0
        data[0, s - 1] = {
            "Age": age, "Gender": "male" if s % 2 else "female",
            "EEG": {"stimuli": stimuli, "baseline": baseline},
            **{f"Score{target.capitalize()}": np.array(values, float)[:, None]
               for target, values in scores.items()},
        }
        log.info("subject %d simulated", s)
    electrodes = np.empty((1, len(DREAMER_14)), dtype=object)
    electrodes[0, :] = DREAMER_14
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out) as tmp:
        savemat(tmp, {"DREAMER": {"Data": data, "EEG_SamplingRate": float(spec.sfreq),
                                  "EEG_Electrodes": electrodes,
                                  "noOfSubjects": float(spec.subjects),
                                  "noOfVideoSequences": float(spec.trials_per_session)}},
                do_compression=True)


def header(spec: SimulationSpec, dataset: dict, recording):
    levels = dataset["levels"]
    scores = subject_scores(spec, int(recording.subject))[1][dataset["target"]]
    n_samples = int(round(spec.trial_seconds * spec.sfreq))  # as SeedSimulator.segment
    return recording_header(recording.path, DREAMER_14, spec.sfreq,
                            [(k, dreamer.class_index(s, levels), n_samples)
                             for k, s in enumerate(scores, start=1)],
                            dreamer.class_names(levels))
