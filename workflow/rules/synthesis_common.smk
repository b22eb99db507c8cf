"""Synthesis: which GANs the run trains and the files their rules share."""

from seedflow.synthesis import augmentation as seedflow_augmentation

SYNTHETIC = RESULTS / "synthetic"
SYNTHESIS = config["synthesis"]["enabled"]  # false: no GAN, no synthesis sections
FEATURE_LEVEL = SYNTHESIS and config["synthesis"]["feature_gan"]["enabled"]
# One GAN over all subjects, or one per subject (synthesis.per_subject).
GAN_GROUPS = (
    [f"sub-{s}" for s in SUBJECTS] if config["synthesis"]["per_subject"] else ["pooled"]
)
GAN_FILES = ("generator.keras", "losses.csv", "quality.json")


wildcard_constraints:
    group=r"pooled|sub-[^/]+",


def synthetic_samples(subject):
    """The GAN samples a subject's report shows ([] when synthesis is off)."""
    return [SYNTHETIC / "signal_gan" / gan_group(subject) / "samples.zarr"] if SYNTHESIS else []


def gan_group(subject):
    """The GAN group whose samples stand for ``subject``."""
    return f"sub-{subject}" if config["synthesis"]["per_subject"] else "pooled"


def group_recordings(group):
    """(subject, session) pairs a GAN group trains on."""
    return [(s, k) for s, k in RECORDINGS if group in ("pooled", f"sub-{s}")]


def synthesis_quality_files():
    """Every quality.json the summary metrics merge."""
    if not SYNTHESIS:
        return []
    kinds = ["signal_gan", *(["feature_gan", "mixup"] if FEATURE_LEVEL else [])]
    return [SYNTHETIC / kind / g / "quality.json" for kind in kinds for g in GAN_GROUPS]


# The augmentation experiment (synthesis.augmentation): its model on every fold of every
# recognition protocol, one job per arm × fold; the real arm is the model's ordinary fold.
AUGMENTATION = config["synthesis"]["augmentation"]
AUGMENTING = SYNTHESIS and AUGMENTATION["enabled"]
AUGMENTED = RESULTS / "augmentation" / "{model}" / "{protocol}" / "{arm}" / "{fold}"
if AUGMENTING:
    try:
        seedflow_augmentation.check(config)
    except SeedflowError as err:
        raise WorkflowError(str(err)) from None


def augmented_dir(model, protocol, arm, fold):
    return Path(str(AUGMENTED).format(model=model, protocol=protocol, arm=arm, fold=fold))


def augmentation_fold_files(arm_or_real):
    """metrics.json of every fold of one arm ("real": the model's ordinary folds)."""
    if not AUGMENTING:
        return []
    model = AUGMENTATION["model"]
    return [
        (fold_dir(model, p, f) if arm_or_real == "real" else augmented_dir(model, p, arm_or_real, f))
        / "metrics.json"
        for p in config["recognition"]["protocols"]
        for f in folds(p)
    ]


def augmented_fold_files():
    return [f for arm in AUGMENTATION["arms"] for f in augmentation_fold_files(arm)]
