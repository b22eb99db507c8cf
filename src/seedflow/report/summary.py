"""The summary report of a run: results, GAN quality and augmentation, provenance."""

from __future__ import annotations

import html
import json
from pathlib import Path

from seedflow.report import curve, generators, importance, provenance, results, synthetic
from seedflow.report.common import add_figure, html_table, new_report, save
from seedflow.synthesis import curve_statistics


def summary_report(*, metrics_path: Path, gan_dir: Path | None, first_store: Path,
                   configuration: str, sources: list[Path], out: Path) -> None:
    """Write ``out``: models × protocols, accuracy per subject, GAN (none when ``gan_dir``
    is None: synthesis off), config, provenance."""
    records = json.loads(metrics_path.read_text())
    curve_records = [r for r in records if r.get("kind") == curve.KIND]
    records = [r for r in records if r.get("kind") != curve.KIND]
    report = new_report("seedflow · summary")
    header, rows = results.results_rows(records)
    report.add_html(html_table(header, rows, note="mean ± std over folds; chance: the "
                               "majority-class share of the test windows."),
                    title="Recognition results", tags=("results",))
    setting = results.setting_rows(records)
    if setting:
        report.add_html(html_table(["key", "value"], setting, note="The literature setting "
                                   "named by recognition.preset (none: the config's own), "
                                   "with the protocol, split and feature keys as resolved: "
                                   "keys stated in the run's config files win over the "
                                   "preset."), title="Setting", tags=("results",))
    add_figure(report, results.accuracy_per_subject(records), "Accuracy per subject",
               ("results",))
    importance.add_sections(report, [(r["model"], r["protocol"], r.get("importance"),
                                      r["chance_level"]) for r in records
                                     if r.get("kind") is None], "metrics.json")
    header, rows = results.data_quality_rows(records)
    report.add_html(html_table(header, rows, note="Damaged data (non-finite samples): "
                               "windows without any finite value are left out, other "
                               "non-finite values imputed with the training mean; sums over "
                               "folds. Splits and chance levels are those of the full trial "
                               "list.") if rows else
                    "<p>No window was left out or imputed in any fold: the data had no "
                    "non-finite values.</p>", title="Data quality", tags=("results",))

    if gan_dir is None:
        report.add_html("<p>Synthesis is off in this run (<code>synthesis.enabled: false"
                        "</code>): no GAN was trained.</p>", title="GAN quality",
                        tags=("synthesis",))
    else:
        _synthesis_sections(report, records, gan_dir, first_store)
    if curve_records:
        _curve_section(report, curve_records)

    report.add_code(configuration, title="Configuration", language="yaml",
                    tags=("provenance",))
    report.add_html(html_table(["package", "version"], provenance.versions()),
                    title="Software versions", tags=("provenance",))
    report.add_html(html_table(["input file", "size (MB)", "SHA-256"],
                               provenance.checksums(sources), small=True),
                    title="Input files", tags=("provenance",))
    save(report, out)


def _curve_section(report, records: list) -> None:
    """The augmentation learning curve: the plot and the gain per size and arm."""
    add_figure(report, curve.curve_figure(records), "Augmentation learning curve",
               ("synthesis",), "Accuracy of the augmentation model on each fold's test "
               "trials, trained on n trials per class and session of the fold's training "
               "trials (all: every one) with each arm's synthetic windows, made only from "
               "those trials.")
    header, rows = curve_statistics.gain_rows(records)
    report.add_html(html_table(header, rows, note="gain: arm minus real on the same fold, "
                               "seed and training subset; Wilcoxon signed-rank test of the "
                               "per-fold mean accuracies (over seeds), paired by fold; with "
                               "few folds its power is low (smallest possible p in the "
                               "note)."), title="Augmentation learning curve: gain",
                    tags=("synthesis",))


def _synthesis_sections(report, records: list, gan_dir: Path, first_store: Path) -> None:
    """Per generator its quality table and loss curves, the augmentation gain, and real vs
    synthetic PSD."""
    generated = [r for r in records if r.get("kind") == "synthesis"]
    for record in generated:
        report.add_html(generators.generator_table(record),
                        title=f"Synthetic data · {record['model']}", tags=("synthesis",))
        losses = {group: rows for group, rows in record.get("losses", {}).items() if rows}
        if losses:
            add_figure(report, generators.losses_figure(
                losses, f"{record['model']}: training losses"),
                f"Training · {record['model']}", ("synthesis",),
                "Means of each loss per epoch (feature GAN) or per chunk of steps (signal "
                "GAN), one line per GAN group; as in losses.csv and metrics.json.")
    if not generated:
        report.add_html("<p>metrics.json holds no synthesis record.</p>",
                        title="Synthetic data", tags=("synthesis",))
    report.add_html(
        generators.augmentation_table(records)
        or "<p>This run has no augmented recognition records in metrics.json, so there is "
           "no augmentation gain to report (set <code>synthesis.augmentation.enabled: "
           "true</code>).</p>", title="Augmentation gain", tags=("synthesis",))
    real, fake = synthetic.aligned([first_store], gan_dir / "samples.zarr")
    if not len(real.data):
        report.add_html(f"<p>No real window of {html.escape(str(first_store))} to compare "
                        f"with: {html.escape(real.note)}</p>", title="Real vs synthetic PSD",
                        tags=("synthesis",))
        return
    add_figure(report, synthetic.psd_figure(real, fake), "Real vs synthetic PSD",
               ("synthesis",), f"Real: one window per trial of {first_store}; "
               f"synthetic: {len(fake.data)} generated windows. Per subject in the subject "
               f"reports. {real.note}")
