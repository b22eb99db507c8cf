"""The simulated dataset in SEED-V's layout: ``EEG_raw/<subject>_<session>_<date>.fif``,
continuous recordings with rest periods between trials, the 62 EEG channels plus M1, M2
(EEG) and VEO, HEO (EOG), and ``trial_table.tsv``. SEED-V ships Neuroscan CNT, which MNE
reads but cannot write; FIF is MNE's own format, read lazily like CNT, so the same reader
ingests both."""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import mne
import numpy as np

from seedflow.atomic import replaced
from seedflow.channels import SEED_62, SEED_EOG, eeg_info
from seedflow.datasets import seed_v, trial_table
from seedflow.errors import SeedflowError
from seedflow.simulate.signal import (FRONTAL, LEFT_FRONTAL, LEFT_TEMPORAL, POSTERIOR,
                                      RECORDING_FIELDS, RIGHT_FRONTAL, RIGHT_TEMPORAL,
                                      SeedSimulator, SimulationSpec, recording_header,
                                      session_date, session_of_date)

log = logging.getLogger(__name__)

NATIVE_SFREQ = seed_v.SEED_V_SFREQ
REST_SECONDS = 3.0  # rest before each trial (and after the last one)
TRIAL_TABLE = "trial_table.tsv"
EFFECTS = {0: (("beta", LEFT_FRONTAL),), 1: (("beta", RIGHT_FRONTAL),),
           2: (("alpha", POSTERIOR),), 3: (("theta", FRONTAL),),
           4: (("gamma", RIGHT_TEMPORAL), ("gamma", LEFT_TEMPORAL))}


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    if spec.sessions > 3:
        raise SeedflowError(f"config key simulation.sessions: the seed-v layout has 3 "
                            f"sessions, not {spec.sessions}")
    return [(str(s), str(k), f"{seed_v.FOLDER}/{s}_{k}_{session_date(s, k)}.fif")
            for s in range(1, spec.subjects + 1) for k in range(1, spec.sessions + 1)]


def shared_files() -> tuple[str, ...]:
    return (TRIAL_TABLE,)


def paths(root: Path) -> dict:
    """The trial table the layout's reader takes (``dataset.trial_table`` of a real
    dataset)."""
    return {"trial_table": Path(root) / TRIAL_TABLE}


def file_spec(spec: SimulationSpec, relative: str) -> SimulationSpec:
    if relative == TRIAL_TABLE:
        return spec.only("sessions", "trials_per_session", "trial_seconds")
    return spec.only(*RECORDING_FIELDS)


def session_labels(spec: SimulationSpec, session: int) -> list[int]:
    order = seed_v.SEED_V_LABELS[str(session)]
    return [order[i % len(order)] for i in range(spec.trials_per_session)]


def table_rows(spec: SimulationSpec) -> list[trial_table.TrialRow]:
    period = REST_SECONDS + spec.trial_seconds
    return [trial_table.TrialRow(str(k), t, (t - 1) * period + REST_SECONDS, t * period,
                                 str(label))
            for k in range(1, spec.sessions + 1)
            for t, label in enumerate(session_labels(spec, k), start=1)]


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if relative == TRIAL_TABLE:
        with replaced(out) as tmp:
            trial_table.write(table_rows(spec), tmp)
        return
    subject, session, date = Path(relative).stem.split("_")
    if session_of_date(int(subject), date) != int(session):
        raise SeedflowError(f"{relative}: not a file of the simulated seed-v layout")
    _write_recording(spec, int(subject), int(session), out)


def _channels(sim, subject, session, index, label, seconds) -> np.ndarray:
    """(62 EEG + M1, M2, VEO, HEO) in volts for one rest period or trial."""
    eeg, blinks = sim.segment(subject, session, index, label, seconds)
    rng = np.random.default_rng([sim.spec.seed, subject, session, index, 99])
    n = eeg.shape[1]
    left = eeg[[SEED_62.index("TP7"), SEED_62.index("T7")]].mean(axis=0)
    right = eeg[[SEED_62.index("TP8"), SEED_62.index("T8")]].mean(axis=0)
    mastoids = 0.8 * np.vstack([left, right]) + 3.0 * rng.standard_normal((2, n))
    veo = 2.5 * blinks + 5.0 * rng.standard_normal(n)
    heo = 40.0 * np.sign(np.sin(2 * np.pi * rng.uniform(0.1, 0.3) * np.arange(n)
                                / sim.spec.sfreq)) + 5.0 * rng.standard_normal(n)
    return 1e-6 * np.vstack([eeg, mastoids, veo, heo])


def _write_recording(spec: SimulationSpec, subject: int, session: int, path: Path) -> None:
    """Rest, trial, rest, trial ... rest, written segment by segment and joined lazily by
    MNE, so memory holds one segment however long the recording is."""
    sim = SeedSimulator(spec, EFFECTS)
    names = [*SEED_62, "M1", "M2", "VEO", "HEO"]
    info = mne.create_info(names, spec.sfreq, ["eeg"] * 64 + ["eog"] * 2)
    info.set_montage(eeg_info(SEED_62, spec.sfreq).get_montage(), on_missing="ignore")
    segments = []
    for k, label in enumerate(session_labels(spec, session), start=1):
        segments += [(1000 + k, None, REST_SECONDS), (k, label, spec.trial_seconds)]
    segments.append((1000, None, REST_SECONDS))
    with replaced(path, ending=".fif") as tmp, \
            tempfile.TemporaryDirectory(dir=path.parent) as folder, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNE's file-naming convention warnings
        parts = []
        for i, (index, label, seconds) in enumerate(segments):
            part = Path(folder) / f"part{i}_raw.fif"
            data = _channels(sim, subject, session, index, label, seconds)
            mne.io.RawArray(data, info, verbose="error").save(part, verbose="error")
            parts.append(mne.io.read_raw_fif(part, verbose="error"))
            log.info("subject %d session %d: segment %d/%d simulated", subject, session, i + 1,
                     len(segments))
        raw = mne.concatenate_raws(parts, verbose="error")
        raw.set_annotations(None)
        raw.save(tmp, overwrite=True, verbose="error")


def header(spec: SimulationSpec, dataset: dict, recording):
    """Trials cut from the continuous recording by the simulated trial table."""
    classes = seed_v.SEED_V_CLASSES
    rows = [r for r in table_rows(spec) if r.session == recording.session]
    return recording_header(recording.path, SEED_62, spec.sfreq,
                            [(r.trial, seed_v.class_index(r.label, classes,
                                                          "the simulated table"),
                              round(r.end_s * spec.sfreq) - round(r.start_s * spec.sfreq))
                             for r in rows],
                            [classes[c] for c in sorted(classes)], SEED_EOG)
