"""The augmentation learning curve (synthesis.augmentation.curve): one job per fold ×
training-set size × seed, running every arm; its records join the summary metrics."""

from seedflow.recognition.train import TrainSpec


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
        spec=lambda w: as_param(
            TrainSpec.from_config(config, w.model, CURVE_PROTOCOL, importance=False)
        ),
        curve=as_param(seedflow_curve.CurveSpec.from_config(config)) if CURVING else {},
        fold=lambda w: as_param(CURVE_FOLDS[w.fold]),
        checkpoints=lambda w: str(
            RESULTS / "checkpoints" / "learning-curve" / w.model / w.fold
            / f"trials-{w.size}" / f"seed-{w.seed}"
        ),
        cache=KERAS_CACHE,
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/augmentation_curve.py"
