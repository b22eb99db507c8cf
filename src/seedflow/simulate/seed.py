"""The simulated dataset in SEED's layout: ``Preprocessed_EEG/<subject>_<yyyymmdd>.mat`` (float64
µV at the simulation's rate, one variable ``<initials>_eeg<k>`` per trial), ``label.mat``
with SEED's -1/0/1 labels and, for ``dataset.features: official``, SEED's
``ExtractedFeatures`` computed as SEED computed them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import scipy.io

from seedflow.atomic import replaced
from seedflow.channels import SEED_62
from seedflow.datasets import seed
from seedflow.datasets.base import SessionHeader
from seedflow.simulate.signal import (FRONTAL, INITIALS, LEFT_TEMPORAL, POSTERIOR,
                                      RECORDING_FIELDS, RIGHT_TEMPORAL, SeedSimulator,
                                      SimulationSpec, recording_header, savemat, session_date,
                                      session_of_date)

log = logging.getLogger(__name__)

NATIVE_SFREQ = 200.0
SEED_LABELS = (1, 0, -1, -1, 0, 1, -1, 0, 1, 1, 0, -1, 0, 1, -1)
LABEL_FILE = f"{seed.FOLDER}/{seed.LABEL_FILE}"
# Class code -> (band, scalp centre) where it adds power: positive, lateral temporal
# beta/gamma; neutral, frontal theta; negative, parieto-occipital alpha and frontal delta.
EFFECTS = {
    1: (("gamma", RIGHT_TEMPORAL), ("beta", LEFT_TEMPORAL)),
    0: (("theta", FRONTAL),),
    -1: (("alpha", POSTERIOR), ("delta", (0.0, 0.03, 0.09))),
}


def session_filename(subject: int, session: int) -> str:
    return f"{subject}_{session_date(subject, session)}.mat"


def trial_labels(n_trials: int) -> list[int]:
    """SEED's label order, repeated when a session has more than 15 trials."""
    return [SEED_LABELS[i % len(SEED_LABELS)] for i in range(n_trials)]


def recordings(spec: SimulationSpec) -> list[tuple[str, str, str]]:
    """(subject, session, path relative to the dataset root) of every simulated recording."""
    return [(str(s), str(k), f"{seed.FOLDER}/{session_filename(s, k)}")
            for s in range(1, spec.subjects + 1) for k in range(1, spec.sessions + 1)]


def shared_files() -> tuple[str, ...]:
    """Files besides the recordings that the layout's reader needs (relative paths)."""
    return (LABEL_FILE,)


def paths(root: Path) -> dict:
    """Dataset settings naming files the simulation writes (none: label.mat is found beside
    the recordings)."""
    return {}


def file_spec(spec: SimulationSpec, relative: str) -> SimulationSpec:
    """What the simulated file ``relative`` depends on."""
    if relative == LABEL_FILE:
        return spec.only("trials_per_session")
    return spec.only(*RECORDING_FIELDS)


def write(spec: SimulationSpec, relative: str, out: Path) -> None:
    """Write the simulated file ``relative`` (one of :func:`recordings` or
    :func:`shared_files`) to ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if relative == LABEL_FILE:
        labels = np.array([trial_labels(spec.trials_per_session)], dtype=np.int16)
        with replaced(out) as tmp:
            savemat(tmp, {"label": labels})
        return
    subject, date = Path(relative).stem.split("_")
    write_session(spec, int(subject), session_of_date(int(subject), date), out)


def write_session(spec: SimulationSpec, subject: int, session: int, path: Path) -> None:
    """One session as SEED's ``<subject>_<yyyymmdd>.mat`` (one variable per trial)."""
    simulator = SeedSimulator(spec, EFFECTS)
    initials = INITIALS[(subject - 1) % len(INITIALS)]
    trials = {}
    labels = trial_labels(spec.trials_per_session)
    for k, label in enumerate(labels, start=1):
        trials[f"{initials}_eeg{k}"] = simulator.trial(subject, session, k, label)
        log.info("subject %d session %d: trial %d/%d simulated", subject, session, k,
                 len(labels))
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced(path) as tmp:
        savemat(tmp, trials)


def header(spec: SimulationSpec, dataset: dict, recording) -> SessionHeader:
    """The header of a simulated recording, as the layout's reader will read it."""
    codes = sorted(seed.SEED_CLASSES)
    n_samples = int(round(spec.trial_seconds * spec.sfreq))  # as SeedSimulator.segment
    return recording_header(recording.path, SEED_62, spec.sfreq,
                            [(k, codes.index(c), n_samples) for k, c in
                             enumerate(trial_labels(spec.trials_per_session), start=1)],
                            [seed.SEED_CLASSES[c] for c in codes])


def write_features(recording: Path, path: Path, sfreq: float) -> None:
    """SEED's ``ExtractedFeatures/<subject>_<date>.mat`` of a simulated ``Preprocessed_EEG``
    file, as SEED computed it: per trial, 1 s windows, the official DE ``log2(100 E)``
    (the features stage's ``stft`` method) and PSD ``E``, smoothed by a moving average and
    by SEED's LDS, stored as ``{de,psd}_{movingAve,LDS}<k>`` (62, T, 5)."""
    import dask.array as da

    from seedflow.features import extraction, official, smoothing

    spec = official.SEED_SPEC
    variables = {}
    for name in sorted(n for n, _, _ in scipy.io.whosmat(recording)
                       if seed.TRIAL_VARIABLE.match(n)):
        x = scipy.io.loadmat(recording, variable_names=[name])[name]  # microvolts
        values = extraction.trial_features(da.from_array(x), sfreq, spec).compute(
            scheduler="synchronous").astype(np.float64)
        de = values[..., :len(spec.bands)]
        trial = seed.trial_number(name)
        computed = {"de": de, "psd": 2.0 ** de / 100}  # E from DE = log2(100 E)
        for kind, value in computed.items():
            rows = np.zeros(len(value), dtype=int)
            for label, method in (("movingAve", "moving_average"), ("LDS", "lds")):
                variables[f"{kind}_{label}{trial}"] = smoothing.smooth_trials(
                    value, rows, method, official.SEED_SMOOTHING_WINDOWS).transpose(1, 0, 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    with replaced(path) as tmp:
        savemat(tmp, variables)
