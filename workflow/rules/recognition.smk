"""Recognition: one job per model × protocol × fold, then the summary metrics."""

from seedflow.recognition.preparation import Preparation
from seedflow.recognition.stacking import StackingSpec
from seedflow.recognition.train import TrainSpec


rule train:
    input:
        unpack(fold_inputs),
    output:
        RESULTS / "models" / "{model}" / "{protocol}" / "{fold}" / "model.keras",
        [RESULTS / "models" / "{model}" / "{protocol}" / "{fold}" / name for name in FOLD_FILES],
    log:
        RESULTS / "logs" / "train" / "{model}_{protocol}_{fold}.log",
    wildcard_constraints:
        model="|".join(KERAS_MODELS),
    threads: 1
    resources:
        **GPU_RESOURCES,
    params:
        spec=lambda w: as_param(TrainSpec.from_config(config, w.model, w.protocol)),
        fold=lambda w: as_param(FOLDS[w.protocol][w.fold]),
        checkpoints=lambda w: str(RESULTS / "checkpoints" / w.model / w.protocol / w.fold),
        cache=KERAS_CACHE,
        preparation=lambda w: as_param(
            Preparation.from_config(config, fold_dir(w.model, w.protocol, w.fold))
        ),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/train.py"


use rule train as train_baseline with:
    output:
        RESULTS / "models" / "{model}" / "{protocol}" / "{fold}" / "model.joblib",
        [RESULTS / "models" / "{model}" / "{protocol}" / "{fold}" / name for name in FOLD_FILES],
    log:
        RESULTS / "logs" / "train" / "{model}_{protocol}_{fold}.log",
    wildcard_constraints:
        model="|".join(SKLEARN_MODELS),


rule stacking:
    input:
        stacking_inputs,
    output:
        RESULTS / "models" / "stacking" / "{protocol}" / "{fold}" / "model.joblib",
        [RESULTS / "models" / "stacking" / "{protocol}" / "{fold}" / name for name in FOLD_FILES],
    log:
        RESULTS / "logs" / "train" / "stacking_{protocol}_{fold}.log",
    params:
        spec=as_param(StackingSpec.from_config(config)),
        base_dirs=lambda w: {
            m: str(fold_dir(m, w.protocol, w.fold)) for m in config["recognition"]["stacking"]
        },
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/stacking.py"


rule metrics:
    input:
        folds=all_fold_outputs("metrics.json"),
        synthesis=lambda w: synthesis_quality_files(),
        augmentation_real=augmentation_fold_files("real"),
        augmented=augmented_fold_files(),
        curve=lambda w: curve_cells(),
    output:
        RESULTS / "summary" / "metrics.json",
    log:
        RESULTS / "logs" / "metrics.log",
    params:
        dataset=config["dataset"]["kind"],
        # recognition.preset and the values of the keys presets fill
        setting=presets.resolved(config),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/metrics.py"
