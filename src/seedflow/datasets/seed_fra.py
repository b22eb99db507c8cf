"""Dataset kind ``seed-fra``: SEED-FRA, continuous Neuroscan recordings
``<subject>_<session>[_<yyyymmdd>].cnt`` under the dataset root with SEED's three classes,
cut into trials by the user's trial table (``dataset.trial_table``); read as SEED-V's
(:class:`seedflow.datasets.seed_v.ContinuousKind`)."""

from seedflow.datasets.seed import SEED_CLASSES
from seedflow.datasets.seed_v import ContinuousKind

KIND = ContinuousKind("seed-fra", SEED_CLASSES)
