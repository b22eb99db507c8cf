"""The summary report of a run: results, GAN quality and augmentation, provenance."""

from __future__ import annotations

import html
import json
from pathlib import Path

from seedflow.history import read_history
from seedflow.report import curve, provenance, results, synthetic
from seedflow.report.common import add_figure, html_table, new_report, save


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
    header, rows = curve.gain_rows(records)
    report.add_html(html_table(header, rows, note="gain: arm minus real on the same fold, "
                               "seed and training subset; Wilcoxon signed-rank test of the "
                               "per-fold mean accuracies (over seeds), paired by fold; with "
                               "few folds its power is low (smallest possible p in the "
                               "note)."), title="Augmentation learning curve: gain",
                    tags=("synthesis",))


def _synthesis_sections(report, records: list, gan_dir: Path, first_store: Path) -> None:
    """GAN quality, augmentation gain, GAN losses and real vs synthetic PSD."""
    quality = json.loads((gan_dir / "quality.json").read_text())
    pairs, other = results.quality_tables(quality)
    body = html_table(["class › measure", "synthetic vs held-out", "real training vs held-out"],
                      pairs, note="Distances to windows of held-out real trials: the real "
                      "training windows' distance is what 'as close as real EEG' looks like.")
    if other:
        body += html_table(["measure", "value"], other)
    report.add_html(body, title="GAN quality", tags=("synthesis",))
    aug = results.augmentation_rows(records)
    fold_header, fold_rows = results.augmentation_fold_rows(records)
    report.add_html(
        html_table(["model", "protocol", "augmentation", "accuracy without", "accuracy with",
                    "gain ± spread", "folds"], aug,
                   note="gain: the augmented model's accuracy minus the same model's on real "
                   "data alone, fold by fold (synthetic data made only from that fold's "
                   "training trials); spread: its standard deviation over folds (records "
                   "without per-fold gains: the two standard deviations in quadrature).")
        + (html_table(fold_header, fold_rows, note="accuracy per fold, gain over real in "
                      "brackets.", small=True) if fold_rows else "") if aug
        else "<p>This run has no augmented recognition records in metrics.json, so there is "
             "no augmentation gain to report (set <code>synthesis.augmentation.enabled: "
             "true</code>).</p>",
        title="Augmentation gain", tags=("synthesis",))
    add_figure(report, results.losses_figure(read_history(gan_dir / "losses.csv")),
               "GAN training", ("synthesis",))
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
