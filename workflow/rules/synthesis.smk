"""Synthesis: class-conditional WGAN-GPs on signal windows and on the DE grid, mixup, and
the augmentation experiment."""

from seedflow.recognition.preparation import Preparation
from seedflow.recognition.train import TrainSpec
from seedflow.synthesis.augmentation import AugmentationSpec
from seedflow.synthesis.feature_gan import FeatureGanSpec
from seedflow.synthesis.mixup import MixupSpec
from seedflow.synthesis.signal_gan import SignalGanSpec


rule signal_gan:
    input:
        lambda w: [ingest_store(s, k) for s, k in group_recordings(w.group)],
    output:
        *[SYNTHETIC / "signal_gan" / "{group}" / name for name in GAN_FILES],
        samples=directory(SYNTHETIC / "signal_gan" / "{group}" / "samples.zarr"),
        recording=directory(SYNTHETIC / "signal_gan" / "{group}" / "recording.zarr"),
        fif=SYNTHETIC / "signal_gan" / "{group}" / "recording_eeg.fif",
    log:
        RESULTS / "logs" / "signal_gan" / "{group}.log",
    threads: 1  # so that it runs beside the recognition folds in the default run on 2 cores
    priority: 1  # the longest job: started before the folds
    resources:
        **GPU_RESOURCES,
    params:
        spec=as_param(SignalGanSpec.from_config(config)),
        checkpoint=lambda w: str(SYNTHETIC / "checkpoints" / f"signal_gan_{w.group}.npz"),
        cache=KERAS_CACHE,
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/signal_gan.py"


rule feature_gan:
    input:
        lambda w: [feature_store(s, k) for s, k in group_recordings(w.group)],
    output:
        *[SYNTHETIC / "feature_gan" / "{group}" / name for name in GAN_FILES],
        directory(SYNTHETIC / "feature_gan" / "{group}" / "samples.zarr"),
    log:
        RESULTS / "logs" / "feature_gan" / "{group}.log",
    threads: 2
    params:
        spec=as_param(FeatureGanSpec.from_config(config)),
        checkpoint=lambda w: str(SYNTHETIC / "checkpoints" / f"feature_gan_{w.group}.npz"),
        cache=KERAS_CACHE,
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/feature_gan.py"


rule mixup:
    input:
        lambda w: [feature_store(s, k) for s, k in group_recordings(w.group)],
    output:
        SYNTHETIC / "mixup" / "{group}" / "quality.json",
        directory(SYNTHETIC / "mixup" / "{group}" / "samples.zarr"),
    log:
        RESULTS / "logs" / "mixup" / "{group}.log",
    params:
        spec=as_param(MixupSpec.from_config(config)),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/mixup.py"


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
        spec=lambda w: as_param(
            TrainSpec.from_config(config, w.model, w.protocol, importance=False)
        ),
        augmentation=lambda w: as_param(AugmentationSpec.from_config(config, w.arm)),
        fold=lambda w: as_param(FOLDS[w.protocol][w.fold]),
        checkpoints=lambda w: str(
            RESULTS / "checkpoints" / "augmentation" / w.model / w.protocol / w.arm / w.fold
        ),
        cache=KERAS_CACHE,
        preparation=lambda w: as_param(
            Preparation.from_config(config, augmented_dir(w.model, w.protocol, w.arm, w.fold))
        ),
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
