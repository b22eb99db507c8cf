"""The augmentation learning curve (synthesis.augmentation.curve): its folds, cells and the
files its rule reads."""

from seedflow.synthesis import learning_curve as seedflow_curve
from seedflow.synthesis.curve_statistics import PROTOCOL as CURVE_PROTOCOL

CURVE_CONFIG = config["synthesis"]["augmentation"]["curve"]
CURVING = SYNTHESIS and CURVE_CONFIG["enabled"]
CURVE_MODEL = config["synthesis"]["augmentation"]["model"]
CURVE_CELL = RESULTS / "learning-curve" / "{model}" / "{fold}" / "trials-{size}" / "seed-{seed}"
if CURVING:
    try:
        seedflow_curve.check(config)
        if workflow.is_main_process:  # the headers, read by common.smk's planning
            seedflow_curve.check_sizes(config, HEADERS)
        CURVE_FOLDS = {
            f.name: f
            for f in protocols.folds(
                list(RECORDINGS),
                protocols.ProtocolSpec.from_config(config, CURVE_PROTOCOL),
            )
        }
    except SeedflowError as err:
        raise WorkflowError(str(err)) from None


def curve_cells():
    """Every cell folder of the learning curve ([] when it is off)."""
    if not CURVING:
        return []
    return [
        Path(str(CURVE_CELL).format(model=CURVE_MODEL, fold=f, size=n, seed=s))
        for f in CURVE_FOLDS
        for n in seedflow_curve.sizes(config)
        for s in CURVE_CONFIG["seeds"]
    ]


def curve_inputs(wildcards):
    """Feature and ingest stores of the fold's session (the signal arms read signals)."""
    fold = CURVE_FOLDS[wildcards.fold]
    return {
        "features": [feature_store(s, k) for s, k in fold.sessions],
        "ingest": [ingest_store(s, k) for s, k in fold.sessions],
    }
