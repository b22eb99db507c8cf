"""One fold of a trained model: its training curves and test confusion matrix."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from seedflow.history import read_history


def fold_figure(fold_dir: Path) -> tuple[plt.Figure, dict]:
    """Loss and accuracy per epoch (training and, when recorded, validation) + confusion."""
    history = read_history(fold_dir / "history.csv")
    metrics = json.loads((fold_dir / "metrics.json").read_text())
    fig, (loss_ax, acc_ax, cm_ax) = plt.subplots(1, 3, figsize=(11, 3.2),
                                                 gridspec_kw={"width_ratios": [1, 1, 0.9]})
    n_epochs = len(next(iter(history.values()), []))
    epochs = history.get("epoch", np.arange(n_epochs)) + 1
    for ax, metric in ((loss_ax, "loss"), (acc_ax, "accuracy")):
        for prefix, style in (("", "-"), ("val_", "--")):
            values = history.get(prefix + metric)
            if values is not None and np.isfinite(values).any():
                ax.plot(epochs, values, style, label=(prefix or "train_") + metric)
        ax.set(xlabel="epoch", title=metric)
        ax.legend(fontsize=7)
    acc_ax.axhline(metrics.get("chance_level", np.nan), color="0.6", ls=":", lw=1)
    cm = np.array(metrics["confusion_matrix"])
    names = metrics["class_names"]
    cm_ax.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        cm_ax.text(j, i, v, ha="center", va="center", fontsize=8,
                   color="white" if v > cm.max() / 2 else "black")
    cm_ax.set(xticks=range(len(names)), yticks=range(len(names)), xlabel="predicted",
              ylabel="true", title=f"test: accuracy {metrics['accuracy']:.2f}, "
                                   f"macro-F1 {metrics['f1_macro']:.2f}")
    cm_ax.set_xticklabels(names, fontsize=7)
    cm_ax.set_yticklabels(names, fontsize=7)
    cm_ax.title.set_fontsize(8)
    fig.tight_layout()
    return fig, metrics


def quality_caption(quality: dict | None) -> str:
    """One sentence on what damaged data cost the fold (its ``data_quality``)."""
    if not quality:
        return ""
    left, imputed = quality["left_out_windows"], quality["imputed_windows"]
    if not any(left.values()) and not any(imputed.values()):
        return "No window left out or imputed."
    parts = [f"{side}: " + ", ".join(
        ([f"{left[side]} windows left out (no finite value)"] if left[side] else [])
        + ([f"{imputed[side]} windows kept with {quality['imputed_cells'][side]} imputed "
            "(window, channel) cells"] if imputed[side] else []))
        for side in left if left[side] or imputed[side]]
    text = "Damaged data — " + "; ".join(parts) + "."
    if quality["imputed_channels"]:
        text += f" Imputed channels: {', '.join(quality['imputed_channels'])}."
    without = [f"sub-{t['subject']} ses-{t['session']} trial {t['trial']} ({t['why']})"
               for t in quality["test_trials_without_windows"]]
    if without:
        text += f" Test trials without a usable window: {', '.join(without)}."
    return text
