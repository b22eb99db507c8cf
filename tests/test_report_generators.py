"""The summary's synthesis tables (seedflow.report.generators), on hand-built records."""

import re

import numpy as np

from seedflow.report import generators

RECORD = {"model": "cnn4d", "protocol": "subject_dependent", "dataset": "simulated",
          "n_classes": 3, "chance_level": 1 / 3, "accuracy_mean": 0.6, "accuracy_std": 0.1,
          "f1_macro_mean": 0.55, "f1_macro_std": 0.1, "n_folds": 4,
          "folds": {"sub-1_ses-1": 0.5, "sub-1_ses-2": 0.7, "sub-2_ses-1": 0.6,
                    "sub-2_ses-2": 0.6}}


def quality(extra_synthetic=None, extra_real=None):
    def comparison(band, auc, per_channel, extra):
        return {"band_log_power": band, "band_log_power_per_channel": per_channel,
                "c2st_auc": auc, **(extra or {})}
    return {"pooled": {
        "negative": {"synthetic_vs_heldout": comparison(0.6, 1.0, [0.6] * 62, extra_synthetic),
                     "real_vs_heldout": comparison(0.02, 0.6, [0.02] * 62, extra_real)},
        "neutral": {"synthetic_vs_heldout": comparison(0.03, 0.62, [0.03] * 62,
                                                       extra_synthetic),
                    "real_vs_heldout": comparison(0.02, 0.6, [0.02] * 62, extra_real)}}}


def synthesis_record(q):
    return {"model": "signal_gan", "protocol": "train_synthetic_test_real", "kind": "synthesis",
            "level": "signal", "classifier": "logistic regression", "accuracy_mean": 0.33,
            "train_real_test_real_accuracy_mean": 0.79, "chance_level": 1 / 3,
            "quality": q, "losses": {}}


def rows_of(html_text):
    body = html_text.split("<tbody>")[1]
    return re.findall(r"<tr>(.*?)</tr>", body)


def test_one_row_per_class_with_synthetic_real_ratio_and_a_mark():
    text = generators.generator_table(synthesis_record(quality()))
    rows = rows_of(text)
    assert len(rows) == 2 and "negative" in rows[0] and "neutral" in rows[1]
    # far: band power 30 times the real windows' distance, AUC 1.0
    assert '<td class="table-danger">0.6 · 0.02 · ×30 ✗</td>' in rows[0]
    assert '<td class="table-danger">1 · 0.6 · ×1.67 ✗</td>' in rows[0]
    # close: 1.5 times, and an AUC within 0.05 of the real windows'
    assert '<td class="table-success">0.03 · 0.02 · ×1.5 ✓</td>' in rows[1]
    assert '<td class="table-success">0.62 · 0.6 · ×1.03 ✓</td>' in rows[1]
    # the per-channel list is its mean, which is band_log_power: not a column of its own
    header = text.split("<thead>")[1].split("</thead>")[0]
    assert re.findall(r"<th>(.*?)</th>", header) == ["class", "band log power", "c2st auc"]
    # TSTR at chance against 0.79 trained on real: far
    assert "table-danger" in text.split("<table")[0] and "0.330" in text and "0.790" in text


def test_new_measures_appear_without_code_changes():
    extra = {"sliced_wasserstein": 0.9, "conv_c2st": {"auc": 0.95, "ci": [0.9, 0.99]},
             "frechet_per_channel": list(np.full(62, 2.0))}
    real = {"sliced_wasserstein": 0.3, "conv_c2st": {"auc": 0.55, "ci": [0.5, 0.6]},
            "frechet_per_channel": list(np.full(62, 1.0))}
    text = generators.generator_table(synthesis_record(quality(extra, real)))
    header = text.split("<thead>")[1].split("</thead>")[0]
    for name in ("sliced wasserstein", "conv c2st › auc", "conv c2st › ci",
                 "frechet per channel (mean of 62)"):
        assert name in header
    row = rows_of(text)[0]
    assert '<td class="table-warning">0.9 · 0.3 · ×3 ≈</td>' in row
    assert "<td>[0.9, 0.99] · [0.5, 0.6]</td>" in row
    assert '<td class="table-success">2 · 1 · ×2 ✓</td>' in row


def test_augmentation_gain_is_measured_against_the_same_model_and_protocol():
    augmented = {**RECORD, "augmentation": "gan", "accuracy_mean": 0.65, "accuracy_std": 0.2}
    other_model = {**RECORD, "model": "dnn", "augmentation": "gan"}  # no baseline: left out
    text = generators.augmentation_table([RECORD, augmented, other_model])
    (row,) = rows_of(text)
    assert "<td>cnn4d</td>" in row and "<td>0.600</td><td>0.650</td>" in row
    assert '<td class="table-warning">+0.050 ± 0.224 ≈</td>' in row
    assert generators.augmentation_table([RECORD]) == ""
    # With per-fold gains (the augmentation experiment's records): their mean ± std.
    folds = {"sub-1_ses-1": 0.6, "sub-1_ses-2": 0.7, "sub-2_ses-1": 0.6, "sub-2_ses-2": 0.7}
    gains = {f: a - RECORD["folds"][f] for f, a in folds.items()}
    measured = {**augmented, "kind": "augmentation", "augmentation": "mixup", "folds": folds,
                "gain_folds": gains, "gain_mean": 0.1, "gain_std": 0.05,
                "real_accuracy_mean": 0.6}
    (row,) = rows_of(generators.augmentation_table([RECORD, measured]))
    assert '<td class="table-success">+0.100 ± 0.050 ✓</td>' in row
    assert "<td>2 of 4</td>" in row  # gains +0.1, 0, 0, +0.1


def test_losses_are_a_figure_with_a_panel_per_loss_and_a_line_per_group():
    losses = {"pooled": [{"epoch": e, "critic_loss": -e, "generator_loss": e,
                          "gradient_penalty": 0.1} for e in range(5)],
              "sub-1": [{"epoch": e, "critic_loss": -2 * e, "generator_loss": e,
                         "gradient_penalty": 0.2} for e in range(5)]}
    fig = generators.losses_figure(losses, "signal_gan")
    assert [ax.get_title() for ax in fig.axes] == ["critic loss", "generator loss",
                                                   "gradient penalty"]
    assert all(len(ax.get_lines()) == 3 for ax in fig.axes)  # two groups + the zero line
