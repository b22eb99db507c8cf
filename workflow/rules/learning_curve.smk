"""The augmentation learning curve (synthesis.augmentation.curve): one job per fold ×
training-set size × seed, running every arm; its records join the summary metrics."""

from seedflow.recognition.train import TrainSpec
from seedflow.synthesis import learning_curve as seedflow_curve

CURVE_CONFIG = config["synthesis"]["augmentation"]["curve"]
CURVING = SYNTHESIS and CURVE_CONFIG["enabled"]
CURVE_MODEL = config["synthesis"]["augmentation"]["model"]
CURVE_CELL = RESULTS / "learning-curve" / "{model}" / "{fold}" / "trials-{size}" / "seed-{seed}"
if CURVING:
    try:
        seedflow_curve.check(config)
        CURVE_FOLDS = {
            f.name: f
            for f in protocols.folds(
                list(RECORDINGS),
                protocols.ProtocolSpec.from_config(config, seedflow_curve.PROTOCOL),
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


rule augmentation_curve:
    input:
        unpack(curve_inputs),
    output:
        directory(CURVE_CELL),
    log:
        RESULTS / "logs" / "learning-curve" / "{model}_{fold}_trials-{size}_seed-{seed}.log",
    wildcard_constraints:
        size=r"[0-9]+|all",
        seed=r"[0-9]+",
    threads: 1
    resources:
        **GPU_RESOURCES,
    params:
        spec=lambda w: as_param(TrainSpec.from_config(config, w.model, seedflow_curve.PROTOCOL)),
        curve=as_param(seedflow_curve.CurveSpec.from_config(config)) if CURVING else {},
        fold=lambda w: as_param(CURVE_FOLDS[w.fold]),
        checkpoints=lambda w: str(
            RESULTS / "checkpoints" / "learning-curve" / w.model / w.fold
            / f"trials-{w.size}" / f"seed-{w.seed}"
        ),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/augmentation_curve.py"
