"""Reports: one MNE HTML report per subject and one summary of the run."""


rule subject_report:
    input:
        stores=lambda w: [ingest_store(w.subject, k) for k in sessions_of(w.subject)],
        features=lambda w: [feature_store(w.subject, k) for k in sessions_of(w.subject)],
        models=lambda w: [d / "metrics.json" for d in subject_fold_dirs(w.subject)],
        samples=lambda w: synthetic_samples(w.subject),
    output:
        report(
            RESULTS / "reports" / "sub-{subject}.html",
            caption="../report/subject_report.rst",
            category="Reports",
            subcategory="Subjects",
            labels={"report": "subject", "subject": "{subject}"},
        ),
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
        gan=(
            [SYNTHETIC / "signal_gan" / GAN_GROUPS[0] / n for n in GAN_FILES[1:]]
            if SYNTHESIS
            else []
        ),
        samples=[SYNTHETIC / "signal_gan" / GAN_GROUPS[0] / "samples.zarr"] if SYNTHESIS else [],
        store=ingest_store(*next(iter(RECORDINGS))),
        # every file the dataset is read from (recordings, label files), for checksums
        sources=sorted({str(p) for r in RECORDINGS.values()
                        for p in (r.path, *r.extra_inputs, r.feature_file) if p}),
    output:
        report(
            RESULTS / "summary" / "report.html",
            caption="../report/summary_report.rst",
            category="Reports",
            subcategory="Summary",
            labels={"report": "summary"},
        ),
    log:
        RESULTS / "logs" / "report" / "summary.log",
    params:
        # the run's settings, shown for provenance: resources and cluster settings left out
        configuration=seedflow_config.settings_text(config, SCHEMA),
    conda:
        "../../envs/seedflow.yaml"
    script:
        "../scripts/summary_report.py"
