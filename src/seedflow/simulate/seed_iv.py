"""The simulated dataset in SEED-IV's layout: ``eeg_raw_data/<session>/<subject>_<date>.mat``
with SEED-IV's published labels of each session (its first ``trials_per_session``)."""

from __future__ import annotations

from pathlib import Path

from seedflow.atomic import replaced
from seedflow.channels import SEED_62
from seedflow.datasets import seed_iv
from seedflow.errors import SeedflowError
from seedflow.simulate.seed import session_filename
from seedflow.simulate.signal import (FRONTAL, INITIALS, LEFT_TEMPORAL, POSTERIOR, RIGHT_FRONTAL,
                                      RIGHT_TEMPORAL, SeedSimulator, SimulationSpec, no_paths,
                                      no_shared_files, recording_file_spec, recording_header,
                                      savemat, session_of_date)

NATIVE_SFREQ = 200.0
EFFECTS = {0: (("theta", FRONTAL),), 1: (("alpha", POSTERIOR),),
           2: (("beta", RIGHT_FRONTAL),), 3: (("gamma", RIGHT_TEMPORAL), ("beta", LEFT_TEMPORAL))}


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    if spec.sessions > 3:
        raise SeedflowError(f"config key simulation.sessions: the seed-iv layout has 3 "
                            f"sessions, not {spec.sessions}")
    if spec.trials_per_session > 24:
        raise SeedflowError("config key simulation.trials_per_session: SEED-IV sessions have "
                            f"24 trials, not {spec.trials_per_session}")
    return [(str(s), str(k), f"{seed_iv.FOLDER}/{k}/{session_filename(s, k)}")
            for s in range(1, spec.subjects + 1) for k in range(1, spec.sessions + 1)]


shared_files, paths, file_spec = no_shared_files, no_paths, recording_file_spec


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    subject, date = Path(relative).stem.split("_")
    session = int(Path(relative).parent.name)
    if session_of_date(int(subject), date) != session:
        raise SeedflowError(f"{relative}: not a file of the simulated seed-iv layout")
    sim = SeedSimulator(spec, EFFECTS)
    labels = seed_iv.session_labels(str(session))[:spec.trials_per_session]
    initials = INITIALS[(int(subject) - 1) % len(INITIALS)]
    trials = {f"{initials}_eeg{k}": sim.trial(int(subject), session, k, label)
              for k, label in enumerate(labels, start=1)}
    out.parent.mkdir(parents=True, exist_ok=True)
    with replaced(out) as tmp:
        savemat(tmp, trials)


def header(spec: SimulationSpec, dataset: dict, recording):
    classes = seed_iv.SEED_IV_CLASSES
    order = sorted(classes)
    codes = seed_iv.session_labels(recording.session)[:spec.trials_per_session]
    n_samples = int(round(spec.trial_seconds * spec.sfreq))  # as SeedSimulator.segment
    return recording_header(recording.path, SEED_62, spec.sfreq,
                            [(k, order.index(c), n_samples)
                             for k, c in enumerate(codes, start=1)],
                            [classes[c] for c in order])
