"""Recognition: one job per model × protocol × fold, then the summary metrics."""


rule train:
    input:
        fold_features,
    output:
        [RESULTS / "models" / "{model}" / "{protocol}" / "{fold}" / name for name in MODEL_FILES],
    log:
        RESULTS / "logs" / "train" / "{model}_{protocol}_{fold}.log",
    threads: 1
    params:
        recognition=config["recognition"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/train.py"


rule metrics:
    input:
        folds=all_fold_outputs("metrics.json"),
        synthesis=lambda w: synthesis_quality_files(),
    output:
        RESULTS / "summary" / "metrics.json",
    log:
        RESULTS / "logs" / "metrics.log",
    params:
        dataset=config["dataset"]["kind"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/metrics.py"
