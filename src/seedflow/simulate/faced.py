"""The simulated dataset in FACED's layout: ``Processed_data/subNNN.pkl``, a pickle of one
array (28 clips, 32 channels, samples) in microvolts, the rows in the order of
``dataset.channel_order: mastoids_after_t8`` (30 EEG channels with A1, A2 after T8), the
clips in FACED's order of emotions. Each emotion has its own effect; the negative ones
share posterior alpha and the positive ones temporal gamma, so valence is planted too."""

from __future__ import annotations

import logging
import pickle
from pathlib import Path

import numpy as np

from seedflow.atomic import replaced
from seedflow.channels import SEED_62
from seedflow.datasets import faced
from seedflow.errors import SeedflowError
from seedflow.simulate.signal import (FRONTAL, LEFT_FRONTAL, LEFT_TEMPORAL, POSTERIOR,
                                      RIGHT_FRONTAL, RIGHT_TEMPORAL, SeedSimulator, SimulationSpec,
                                      no_paths, no_shared_files, recording_file_spec,
                                      recording_header)

log = logging.getLogger(__name__)

NATIVE_SFREQ = faced.FACED_SFREQ
CHANNEL_ORDER = "mastoids_after_t8"
_OWN = (("beta", LEFT_FRONTAL), ("beta", RIGHT_FRONTAL), ("theta", FRONTAL),
        ("delta", FRONTAL))
EFFECTS = {**{e: (("alpha", POSTERIOR), _OWN[e]) for e in range(4)},  # negative
           4: (("beta", LEFT_TEMPORAL),),  # neutral
           **{e: (("gamma", RIGHT_TEMPORAL), _OWN[e - 5]) for e in range(5, 9)}}  # positive


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    if spec.trials_per_session != faced.N_CLIPS:
        raise SeedflowError(f"config key simulation.trials_per_session: the faced layout "
                            f"has {faced.N_CLIPS} clips (their order sets their labels), not "
                            f"{spec.trials_per_session}")
    if spec.subjects > faced.N_SUBJECTS - 1:
        raise SeedflowError(f"config key simulation.subjects: the faced layout has "
                            f"{faced.N_SUBJECTS} subjects (sub001 .. sub122 simulated), not "
                            f"{spec.subjects}")
    return [(str(s), "1", f"{faced.FOLDER}/sub{s:03d}.pkl") for s in range(1, spec.subjects + 1)]


shared_files, paths, file_spec = no_shared_files, no_paths, recording_file_spec


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    subject = faced.identity(Path(relative))
    if subject is None or Path(relative).parent.as_posix() != faced.FOLDER:
        raise SeedflowError(f"{relative}: not a file of the simulated faced layout")
    s = int(subject[0])
    sim = SeedSimulator(spec, EFFECTS)
    rows = faced.ROWS[CHANNEL_ORDER]
    clips = []
    for clip in range(1, faced.N_CLIPS + 1):
        eeg = sim.trial(s, 1, clip, faced.clip_label(clip, "emotion"))
        rng = np.random.default_rng([spec.seed, s, clip, 99])
        left = eeg[[SEED_62.index("TP7"), SEED_62.index("T7")]].mean(axis=0)
        right = eeg[[SEED_62.index("TP8"), SEED_62.index("T8")]].mean(axis=0)
        mastoids = {"A1": left, "A2": right}
        clips.append(np.vstack([
            0.8 * mastoids[ch] + 3.0 * rng.standard_normal(eeg.shape[1]) if ch in mastoids
            else eeg[SEED_62.index(ch)] for ch in rows]))
    log.info("subject %d simulated", s)
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out) as tmp, open(tmp, "wb") as f:
        pickle.dump(np.stack(clips), f, protocol=2)


def header(spec: SimulationSpec, dataset: dict, recording):
    target = faced.checked_settings({key: dataset[key]
                                     for key in faced.KIND.reader_keys})["target"]
    n_samples = int(round(spec.trial_seconds * spec.sfreq))  # as SeedSimulator.segment
    return recording_header(recording.path, faced.EEG_30, spec.sfreq,
                            [(clip, faced.clip_label(clip, target), n_samples)
                             for clip in range(1, faced.N_CLIPS + 1)],
                            faced.class_names(target))
