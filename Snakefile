"""seedflow: raw EEG -> Zarr -> features -> models and synthetic EEG -> MNE reports."""

from pathlib import Path

from snakemake.utils import min_version

min_version("9.0")


# The defaults ship beside this file, so the workflow runs from any working directory.
configfile: Path(workflow.basedir) / "config" / "config.yaml"


report: "workflow/report/workflow.rst"


# Every rule's image under --software-deployment-method apptainer (built from containers/).
container: config["container"]


include: "workflow/rules/common.smk"
include: "workflow/rules/synthesis_common.smk"
include: "workflow/rules/learning_curve_common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/recognition.smk"
include: "workflow/rules/synthesis.smk"
include: "workflow/rules/learning_curve.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        RESULTS / "summary" / "metrics.json",
        RESULTS / "summary" / "report.html",
        expand(RESULTS / "reports" / "sub-{subject}.html", subject=SUBJECTS),
