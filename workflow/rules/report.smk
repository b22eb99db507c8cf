"""Reports: one MNE HTML report per subject and one summary of the run."""


rule subject_report:
    input:
        stores=lambda w: [session_store(w.subject, k) for k in sessions_of(w.subject)],
        features=lambda w: [feature_store(w.subject, k) for k in sessions_of(w.subject)],
        models=lambda w: [d / "metrics.json" for d in subject_fold_dirs(w.subject)],
    output:
        RESULTS / "reports" / "sub-{subject}.html",
    log:
        RESULTS / "logs" / "report" / "sub-{subject}.log",
    params:
        fold_dirs=lambda w: [str(d) for d in subject_fold_dirs(w.subject)],
        excerpt_seconds=config["report"]["excerpt_seconds"],
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/subject_report.py"


rule summary_report:
    input:
        metrics=RESULTS / "summary" / "metrics.json",
        quality=SYNTHETIC / "gan" / GAN_GROUPS[0] / "quality.json",
        losses=SYNTHETIC / "gan" / GAN_GROUPS[0] / "losses.csv",
        samples=SYNTHETIC / "gan" / GAN_GROUPS[0] / "samples.zarr",
        store=session_store(*next(iter(RECORDINGS))),
    output:
        RESULTS / "summary" / "report.html",
    log:
        RESULTS / "logs" / "report" / "summary.log",
    params:
        config=config,
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/summary_report.py"
