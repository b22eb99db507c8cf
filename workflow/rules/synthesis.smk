"""Synthesis: class-conditional WGAN-GPs on signal windows and on the DE grid, mixup."""

rule gan:
    input:
        lambda w: [session_store(s, k) for s, k in group_recordings(w.group)],
    output:
        *[SYNTHETIC / "gan" / "{group}" / name for name in GAN_FILES],
        samples=directory(SYNTHETIC / "gan" / "{group}" / "samples.zarr"),
        recording=directory(SYNTHETIC / "gan" / "{group}" / "recording.zarr"),
        fif=SYNTHETIC / "gan" / "{group}" / "recording_eeg.fif",
    log:
        RESULTS / "logs" / "gan" / "{group}.log",
    threads: 2
    resources:
        **GPU_RESOURCES,
    params:
        synthesis=config["synthesis"],
        bands=config["features"]["bands"],
        train_trials=config["recognition"]["train_trials"],
        checkpoint=lambda w: SYNTHETIC / "checkpoints" / f"gan_{w.group}.npz",
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/gan.py"


rule feature_gan:
    input:
        lambda w: [feature_store(s, k) for s, k in group_recordings(w.group)],
    output:
        *[SYNTHETIC / "feature_gan" / "{group}" / name for name in GAN_FILES],
        directory(SYNTHETIC / "feature_gan" / "{group}" / "samples.zarr"),
        mixup_quality=SYNTHETIC / "mixup" / "{group}" / "quality.json",
        mixup_samples=directory(SYNTHETIC / "mixup" / "{group}" / "samples.zarr"),
    log:
        RESULTS / "logs" / "feature_gan" / "{group}.log",
    threads: 2
    params:
        synthesis=config["synthesis"],
        train_trials=config["recognition"]["train_trials"],
        checkpoint=lambda w: SYNTHETIC / "checkpoints" / f"feature_gan_{w.group}.npz",
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/feature_gan.py"


rule train_augmented:
    input:
        unpack(fold_inputs),
    output:
        AUGMENTED / "model.keras",
        [AUGMENTED / name for name in FOLD_FILES],
    log:
        RESULTS / "logs" / "augmentation" / "{model}_{protocol}_{arm}_{fold}.log",
    wildcard_constraints:
        model="|".join(KERAS_MODELS),
        arm="|".join(seedflow_augmentation.ARMS),
    threads: 1
    resources:
        **GPU_RESOURCES,
    params:
        recognition=config["recognition"],
        synthesis=config["synthesis"],
        fold=lambda w: FOLDS[w.protocol][w.fold],
        checkpoints=lambda w: str(
            RESULTS / "checkpoints" / "augmentation" / w.model / w.protocol / w.arm / w.fold
        ),
        preprocessing={"ingest": config["ingest"], "features": config["features"]},
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/train_augmented.py"


use rule train_augmented as train_augmented_baseline with:
    output:
        AUGMENTED / "model.joblib",
        [AUGMENTED / name for name in FOLD_FILES],
    wildcard_constraints:
        model="|".join(SKLEARN_MODELS),
        arm="|".join(seedflow_augmentation.ARMS),
