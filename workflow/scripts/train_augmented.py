"""Snakemake adapter: one augmentation arm × fold (the model on real + synthetic windows)."""

from pathlib import Path

from seedflow import augmentation, backend, train
from seedflow.logs import run_step
from seedflow.representations import Session

fold = snakemake.params.fold
synthesis = snakemake.params.synthesis
sessions = [Session(s, k, Path(snakemake.input.features[i]))
            for i, (s, k) in enumerate(fold.sessions)]
checkpoints = Path(snakemake.params.checkpoints)
generator_checkpoint = checkpoints.with_name(checkpoints.name + ".feature_gan.npz")


def step():
    backend.log_devices()
    arm, model = snakemake.wildcards.arm, snakemake.wildcards.model
    train.train_fold(
        model, fold, sessions, Path(snakemake.output[0]).parent,
        # the synthesis settings join the checkpoint key: other synthetic data, new training
        {**snakemake.params.recognition, "augmentation": {"arm": arm, **synthesis}},
        checkpoint_dir=checkpoints, preprocessing=snakemake.params.preprocessing,
        augment=lambda samples: augmentation.synthesize(
            arm, model, samples, sessions[0].features, synthesis, generator_checkpoint))
    generator_checkpoint.unlink(missing_ok=True)


backend.limit_threads(snakemake.threads)
run_step(snakemake.log[0], step)
