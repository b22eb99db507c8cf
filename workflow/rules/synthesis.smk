"""Synthesis: a class-conditional WGAN-GP on real windows of the training trials."""


rule gan:
    input:
        [session_store(s, k) for s, k in RECORDINGS],
    output:
        generator=RESULTS / "synthetic" / "gan" / "generator.keras",
        losses=RESULTS / "synthetic" / "gan" / "losses.csv",
        quality=RESULTS / "synthetic" / "gan" / "quality.json",
        samples=directory(RESULTS / "synthetic" / "gan" / "samples.zarr"),
    log:
        RESULTS / "logs" / "gan.log",
    threads: 2
    resources:
        **GPU_RESOURCES,
    params:
        synthesis=config["synthesis"],
        bands=config["features"]["bands"],
        train_trials=config["recognition"]["train_trials"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/gan.py"
