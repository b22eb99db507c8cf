"""The augmentation learning curve in the summary report: accuracy against training trials
per arm, and the gain over real data per training-set size."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

KIND = "augmentation_curve"


def curve_figure(records: list[dict]) -> plt.Figure:
    """Accuracy (mean ± std over folds × seeds) against training trials per class, one line
    per arm (``all``: the fold's full training set, at its mean trials per class)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    arms = list(dict.fromkeys(r["augmentation"] for r in records))
    sizes = list(dict.fromkeys(r["trials_per_class"] for r in records))
    positions = {size: i for i, size in enumerate(sizes)}
    for k, arm in enumerate(arms):
        mine = [r for r in records if r["augmentation"] == arm]
        x = np.array([positions[r["trials_per_class"]] for r in mine]) + (k - len(arms) / 2) * 0.03
        ax.errorbar(x, [r["accuracy_mean"] for r in mine], [r["accuracy_std"] for r in mine],
                    marker="o", ms=4, capsize=2, lw=1.2 if arm != "real" else 2.2,
                    color="k" if arm == "real" else None, label=arm)
    chance = np.mean([r["chance_level"] for r in records])
    ax.axhline(chance, color="0.5", ls="--", lw=0.8, label="chance")
    ax.set_xticks(range(len(sizes)), [str(s) for s in sizes])
    ax.set(xlabel="training trials per class and session", ylabel="test accuracy",
           title="mean ± std over folds × seeds; same test trials for every size")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return fig
