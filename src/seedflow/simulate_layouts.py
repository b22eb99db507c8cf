"""The simulated dataset in each supported on-disk layout (``simulation.layout``).

- ``seed``: SEED's ``Preprocessed_EEG`` (see :mod:`seedflow.simulate`).
- ``seed-iv``: ``eeg_raw_data/<session>/<subject>_<date>.mat``, SEED-IV's published labels.
- ``seed-v``: ``EEG_raw/<subject>_<session>_<date>.fif``: continuous recordings with rest
  periods between trials, the 62 EEG channels plus M1, M2 (EEG) and VEO, HEO (EOG), and
  ``trial_table.tsv``. SEED-V ships Neuroscan CNT, which MNE reads but cannot write; FIF is
  MNE's own format, read lazily like CNT, so the same reader ingests both.
- ``dreamer``: ``DREAMER.mat`` with DREAMER's struct, 14 channels; one session per subject.

All share the signal model of :class:`seedflow.simulate.SeedSimulator`; each layout plants
its own classes' effects. Set ``simulation.sfreq`` to null for the layout's real rate.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path

import mne
import numpy as np

from seedflow import simulate
from seedflow.channels import DREAMER_14, SEED_62, eeg_info
from seedflow.errors import SeedflowError
from seedflow.io import dreamer, seed_iv, seed_v, trial_table

log = logging.getLogger(__name__)

LAYOUTS = ("seed", "seed-iv", "seed-v", "dreamer")
NATIVE_SFREQ = {"seed": 200.0, "seed-iv": 200.0, "seed-v": 1000.0, "dreamer": 128.0}
REST_SECONDS = 3.0  # rest before each seed-v trial (and after the last one)
TRIAL_TABLE = "trial_table.tsv"

_FRONTAL, _POSTERIOR = (0.0, 0.06, 0.06), (0.0, -0.08, 0.05)
_LEFT_TEMPORAL, _RIGHT_TEMPORAL = (-0.07, -0.01, 0.02), (0.07, -0.01, 0.02)
_RIGHT_FRONTAL, _LEFT_FRONTAL = (0.05, 0.06, 0.05), (-0.05, 0.06, 0.05)
EFFECTS = {  # layout -> class code -> (band, scalp centre) where the class adds power
    "seed-iv": {0: (("theta", _FRONTAL),), 1: (("alpha", _POSTERIOR),),
                2: (("beta", _RIGHT_FRONTAL),), 3: (("gamma", _RIGHT_TEMPORAL),
                                                   ("beta", _LEFT_TEMPORAL))},
    "seed-v": {0: (("beta", _LEFT_FRONTAL),), 1: (("beta", _RIGHT_FRONTAL),),
               2: (("alpha", _POSTERIOR),), 3: (("theta", _FRONTAL),),
               4: (("gamma", _RIGHT_TEMPORAL), ("gamma", _LEFT_TEMPORAL))},
    "dreamer": {0: (("alpha", _POSTERIOR),), 1: (("gamma", _RIGHT_TEMPORAL),
                                                 ("beta", _LEFT_TEMPORAL))},
}
DREAMER_VALENCE = (5, 1, 4, 2, 3)  # repeated: high, low, high, low, low, ...


def layout_of(section: dict) -> str:
    return section.get("layout") or "seed"


def spec_of(section: dict) -> simulate.SimulationSpec:
    """The simulation spec, with ``sfreq: null`` resolved to the layout's real rate."""
    section = dict(section)
    if section.get("sfreq") is None:
        section["sfreq"] = NATIVE_SFREQ[layout_of(section)]
    return simulate.SimulationSpec.from_config(section)


def recordings(section: dict) -> list[tuple[str, str, str]]:
    """(subject, session, path relative to the dataset root) of every simulated recording."""
    layout, spec = layout_of(section), spec_of(section)
    subjects = range(1, spec.subjects + 1)
    sessions = range(1, spec.sessions + 1)
    if layout in ("seed-iv", "seed-v") and spec.sessions > 3:
        raise SeedflowError(f"config key simulation.sessions: the {layout} layout has 3 "
                            f"sessions, not {spec.sessions}")
    if layout == "seed-iv" and spec.trials_per_session > 24:
        raise SeedflowError("config key simulation.trials_per_session: SEED-IV sessions have "
                            f"24 trials, not {spec.trials_per_session}")
    if layout == "seed":
        return [(str(s), str(k), f"Preprocessed_EEG/{simulate.session_filename(s, k)}")
                for s in subjects for k in sessions]
    if layout == "seed-iv":
        return [(str(s), str(k), f"{seed_iv.FOLDER}/{k}/{simulate.session_filename(s, k)}")
                for s in subjects for k in sessions]
    if layout == "seed-v":
        return [(str(s), str(k), f"{seed_v.FOLDER}/{s}_{k}_{simulate.session_date(s, k)}.fif")
                for s in subjects for k in sessions]
    if layout == "dreamer":
        return [(str(s), "1", dreamer.FILE) for s in subjects]
    raise SeedflowError(f"config key simulation.layout: unknown layout '{layout}' "
                        f"(known: {', '.join(LAYOUTS)})")


def shared_files(section: dict) -> tuple[str, ...]:
    """Files besides the recordings that a layout's reader needs (relative paths)."""
    return {"seed": ("Preprocessed_EEG/label.mat",), "seed-v": (TRIAL_TABLE,)}.get(
        layout_of(section), ())


def write(section: dict, relative: str, root: Path) -> None:
    """Write the simulated file ``relative`` (one of :func:`recordings` or
    :func:`shared_files`) under ``root``."""
    layout, spec = layout_of(section), spec_of(section)
    out = Path(root) / relative
    out.parent.mkdir(parents=True, exist_ok=True)
    if relative in shared_files(section):
        (_write_trial_table if layout == "seed-v" else simulate.write_seed_labels)(spec, out)
        return
    match = [(int(s), int(k)) for s, k, rel in recordings(section) if rel == relative]
    if not match:
        raise SeedflowError(f"{relative}: not a file of the simulated {layout} layout")
    if layout == "seed":
        simulate.write_seed_session(spec, *match[0], out)
    elif layout == "seed-iv":
        _write_seed_iv_session(spec, *match[0], out)
    elif layout == "seed-v":
        _write_seed_v_recording(spec, *match[0], out)
    else:
        _write_dreamer(spec, out)


def _atomic(path: Path):
    """Temporary name for ``path``; rename it with ``.replace(path)`` once complete."""
    return path.with_name(path.name + ".part" + path.suffix)


def _write_seed_iv_session(spec, subject: int, session: int, path: Path) -> None:
    sim = simulate.SeedSimulator(spec, EFFECTS["seed-iv"])
    labels = seed_iv.session_labels(str(session))[:spec.trials_per_session]
    initials = simulate._INITIALS[(subject - 1) % len(simulate._INITIALS)]
    trials = {f"{initials}_eeg{k}": sim.trial(subject, session, k, label)
              for k, label in enumerate(labels, start=1)}
    tmp = _atomic(path)
    simulate.savemat(tmp, trials)
    tmp.replace(path)


def seed_v_labels(spec, session: int) -> list[int]:
    order = seed_v.SEED_V_LABELS[str(session)]
    return [order[i % len(order)] for i in range(spec.trials_per_session)]


def seed_v_rows(spec) -> list[trial_table.TrialRow]:
    period = REST_SECONDS + spec.trial_seconds
    return [trial_table.TrialRow(str(k), t, (t - 1) * period + REST_SECONDS, t * period,
                                 str(label))
            for k in range(1, spec.sessions + 1)
            for t, label in enumerate(seed_v_labels(spec, k), start=1)]


def _write_trial_table(spec, path: Path) -> None:
    tmp = _atomic(path)
    trial_table.write(seed_v_rows(spec), tmp)
    tmp.replace(path)


def _seed_v_channels(sim, subject, session, index, label, seconds) -> np.ndarray:
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


def _write_seed_v_recording(spec, subject: int, session: int, path: Path) -> None:
    """Rest, trial, rest, trial ... rest, written segment by segment and joined lazily by
    MNE, so memory holds one segment however long the recording is."""
    sim = simulate.SeedSimulator(spec, EFFECTS["seed-v"])
    names = [*SEED_62, "M1", "M2", "VEO", "HEO"]
    info = mne.create_info(names, spec.sfreq, ["eeg"] * 64 + ["eog"] * 2)
    info.set_montage(eeg_info(SEED_62, spec.sfreq).get_montage(), on_missing="ignore")
    segments = []
    for k, label in enumerate(seed_v_labels(spec, session), start=1):
        segments += [(1000 + k, None, REST_SECONDS), (k, label, spec.trial_seconds)]
    segments.append((1000, None, REST_SECONDS))
    tmp = _atomic(path)
    with tempfile.TemporaryDirectory(dir=path.parent) as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MNE's file-naming convention warnings
        parts = []
        for i, (index, label, seconds) in enumerate(segments):
            part = Path(folder) / f"part{i}_raw.fif"
            data = _seed_v_channels(sim, subject, session, index, label, seconds)
            mne.io.RawArray(data, info, verbose="error").save(part, verbose="error")
            parts.append(mne.io.read_raw_fif(part, verbose="error"))
            log.info("subject %d session %d: segment %d/%d simulated", subject, session, i + 1,
                     len(segments))
        raw = mne.concatenate_raws(parts, verbose="error")
        raw.set_annotations(None)
        raw.save(tmp, overwrite=True, verbose="error")
    tmp.replace(path)


def dreamer_subject(spec, subject: int) -> tuple[float, dict[str, list[int]]]:
    """A simulated DREAMER subject's age and scores (1..5 per trial) of each target: valence
    carries the planted effect (above 3 = high), arousal and dominance are random."""
    rng = np.random.default_rng([spec.seed, subject, 7])
    age = float(rng.integers(22, 34))
    n = spec.trials_per_session
    return age, {"valence": [DREAMER_VALENCE[i % len(DREAMER_VALENCE)] for i in range(n)],
                 "arousal": rng.integers(1, 6, n).tolist(),
                 "dominance": rng.integers(1, 6, n).tolist()}


def _write_dreamer(spec, path: Path) -> None:
    """DREAMER.mat: struct DREAMER with Data{subject}.EEG.stimuli{trial} and the scores."""
    sim = simulate.SeedSimulator(spec, EFFECTS["dreamer"])
    picks = [SEED_62.index(ch) for ch in DREAMER_14]
    data = np.empty((1, spec.subjects), dtype=object)
    for s in range(1, spec.subjects + 1):
        age, scores = dreamer_subject(spec, s)
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
    tmp = _atomic(path)
    simulate.savemat(tmp, {"DREAMER": {"Data": data, "EEG_SamplingRate": float(spec.sfreq),
                                       "EEG_Electrodes": electrodes,
                                       "noOfSubjects": float(spec.subjects),
                                       "noOfVideoSequences": float(spec.trials_per_session)}},
                     do_compression=True)
    tmp.replace(path)
