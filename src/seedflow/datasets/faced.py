"""Dataset kind ``faced``: FACED's processed release, ``Processed_data/subNNN.pkl``.

Each ``subNNN.pkl`` (``sub000`` .. ``sub122``, one subject, one session) is a pickle of one
array (28 clips, 32 channels, 7500 samples): 30 s of each clip at 250 Hz, in microvolts,
row ``i`` being clip ``i + 1``. 30 rows are EEG (:data:`EEG_30`) and two the mastoids A1, A2,
which are not read. Where the mastoid rows are is disputed between loaders, so it is
config key ``dataset.channel_order`` (:data:`ROWS`): ``mastoids_after_t8`` (A1, A2 after T8,
as EmT's FACED loader, yi-ding-cs/EmT ``classification/datasets/FACED.py``, and two other
FACED loaders read it) or ``mastoids_last`` (the 30 EEG rows first, then A2, A1, as
TorchEEG's ``FACED_CHANNEL_LIST`` and ``num_channel=30`` read it). A comment in one more
public loader says subjects 0-60 and 61-122 differ in channel placement (TorchEEG's reader of
FACED's precursor, BCI2022, reorders its first batch of subjects to the second's order): if
so, one setting cannot fit both cohorts, and a run should hold one of them (``dataset.exclude``
the other) until this is checked on the files. The labels follow the clip order: nine emotion
categories (``dataset.target: emotion``; clips 1-3 anger, 4-6 disgust, 7-9 fear, 10-12
sadness, 13-16 neutral, 17-19 amusement, 20-22 inspiration, 23-25 joy, 26-28 tenderness)
or three valence classes (``valence``: clips 1-12 negative, 13-16 neutral, 17-28 positive).
The pickle is loaded whole (:mod:`seedflow.datasets.pickled`; about 50 MB a subject).

Checked against TorchEEG (torcheeg/torcheeg ``datasets/module/emotion_recognition/faced.py``
@ 078b87e3, ``datasets/constants/emotion_recognition/faced.py`` @ 56da7c0d) and LibEER
(ButterSen/LibEER ``LibEER/data_utils/load_data.py`` @ a3984666, which reads FACED's
feature release: its clip -> emotion list): the file names, the array's shape, the rate, the
clip -> emotion and clip -> valence tables and the channel lists above.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from seedflow.datasets import pickled
from seedflow.datasets.base import (Excluded, Kind, ReaderSpec, Recording, SessionSource,
                                   Trial, recordings_by_identity)
from seedflow.errors import DatasetError, SeedflowError

FOLDER = "Processed_data"
FACED_SFREQ = 250.0
N_SUBJECTS, N_CLIPS, N_ROWS, N_SAMPLES = 123, 28, 32, 7500
EEG_30 = ("FP1 FP2 FZ F3 F4 F7 F8 FC1 FC2 FC5 FC6 CZ C3 C4 T7 T8 "
          "CP1 CP2 CP5 CP6 PZ P3 P4 P7 P8 PO3 PO4 OZ O1 O2").split()
ROWS = {"mastoids_after_t8": (*EEG_30[:16], "A1", "A2", *EEG_30[16:]),
        "mastoids_last": (*EEG_30, "A2", "A1")}
EMOTIONS = ("anger", "disgust", "fear", "sadness", "neutral", "amusement", "inspiration",
            "joy", "tenderness")
CLIP_EMOTION = (0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4,
                5, 5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8)  # clip 1 .. 28
VALENCES = ("negative", "neutral", "positive")
TARGETS = ("emotion", "valence")
_FILE = re.compile(r"sub(\d{3})\.pkl")


def identity(path: Path) -> tuple[str, str] | None:
    """(subject, "1") of ``subNNN.pkl``, else None."""
    match = _FILE.fullmatch(Path(path).name)
    return (str(int(match[1])), "1") if match else None


def discover(root: Path, excluded: Excluded | None = None) -> list[tuple[str, str, Path]]:
    """(subject, "1", file) for every ``subNNN.pkl`` under ``root`` (any depth), by subject.
    Any other ``.pkl`` file stops the listing (such as the feature release's
    ``subNNN.pkl.pkl``), unless ``excluded``."""
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(root, f"folder not found (expected FACED's {FOLDER} with "
                                 "sub000.pkl .. sub122.pkl)")
    found = recordings_by_identity(root, (".pkl",), identity, excluded,
                                   "subNNN.pkl (FACED's sub000.pkl .. sub122.pkl)")
    if not found:
        raise DatasetError(root, f"no FACED recording (subNNN.pkl, as in FACED's {FOLDER})")
    return [(s, k, found[(s, k)]) for s, k in sorted(found, key=lambda f: int(f[0]))]


def checked_settings(settings: dict) -> dict:
    """The reader's settings, checked where the schema cannot (it serves every kind)."""
    if settings["target"] not in TARGETS:
        raise SeedflowError(f"config key dataset.target: FACED's clips are labelled by "
                            f"{' or '.join(TARGETS)}, not '{settings['target']}'")
    return settings


def class_names(target: str) -> list[str]:
    return list(EMOTIONS if target == "emotion" else VALENCES)


def clip_label(clip: int, target: str) -> int:
    """Class index of clip ``clip`` (1..28): its emotion, or its valence (0 negative,
    1 neutral, 2 positive)."""
    emotion = CLIP_EMOTION[clip - 1]
    if target == "emotion":
        return emotion
    return int(np.sign(emotion - EMOTIONS.index("neutral"))) + 1


def open_session(path: Path, *, target: str, channel_order: str,
                 sfreq: float = FACED_SFREQ, n_samples: int | None = N_SAMPLES
                 ) -> SessionSource:
    """One FACED subject file as a :class:`SessionSource`; ``n_samples`` (None: any) is
    the clip length the file must hold."""
    path = Path(path)
    data = pickled.load(path)
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "fiu":
        raise DatasetError(path, f"the pickle holds {pickled.described(data)}, not FACED's "
                                 "array of numbers (clips, channels, samples)")
    expected = (N_CLIPS, N_ROWS, n_samples or "n_samples")
    if data.ndim != 3 or data.shape[:2] != expected[:2] or n_samples not in (None,
                                                                              data.shape[2]):
        raise DatasetError(path, f"the array has shape {data.shape}, expected "
                                 f"({', '.join(map(str, expected))}) (clips, channels, "
                                 "samples)")
    rows = ROWS[channel_order]
    picks = [rows.index(ch) for ch in EEG_30]
    trials = [Trial(clip, clip_label(clip, target), data.shape[2])
              for clip in range(1, N_CLIPS + 1)]
    return SessionSource(path=path, ch_names=list(EEG_30), sfreq=sfreq, trials=trials,
                         class_names=class_names(target), to_volts=1e-6,
                         read_trial=lambda i: data[i, picks])


class Faced(Kind):
    name = "faced"
    suffixes = (".pkl",)
    reader_keys = ("target", "channel_order")
    simulator = "seedflow.simulate.faced"

    def discover(self, root, dataset, excluded):
        return [Recording(s, k, p) for s, k, p in discover(root, excluded)]

    def open(self, reader: ReaderSpec, recording, run_channels=None):
        return open_session(recording.path, **checked_settings(reader.settings),
                            sfreq=reader.sfreq(FACED_SFREQ),
                            n_samples=None if reader.simulated else N_SAMPLES)

    def identify(self, path):
        return identity(path)


KIND = Faced()
