"""The run's numbers: results table, accuracy per subject, data quality."""

from __future__ import annotations

import re
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

def results_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    """Models × protocols: accuracy and macro-F1 as mean ± std over folds, with chance."""
    augmented = any("augmentation" in r for r in records)
    header = ["model", "protocol", *(["augmentation"] if augmented else []), "dataset",
              "classes", "chance", "accuracy", "macro-F1", "folds"]
    rows = [[r["model"], r["protocol"], *([r.get("augmentation", "none")] if augmented else []),
             r["dataset"], r["n_classes"], f"{r['chance_level']:.3f}",
             f"{r['accuracy_mean']:.3f} ± {r['accuracy_std']:.3f}",
             f"{r['f1_macro_mean']:.3f} ± {r['f1_macro_std']:.3f}", r["n_folds"]]
            for r in records]
    return header, rows


def setting_rows(records: list[dict]) -> list[list[str]]:
    """The run's ``recognition.preset`` and the values of the keys presets fill, as the
    recognition records of metrics.json give them (none: no such record)."""
    setting = next((r["setting"] for r in records if "setting" in r), None)
    if setting is None:
        return []
    return [["recognition.preset", str(setting["preset"] or "none")],
            *([key, str(value)] for key, value in setting["settings"].items())]


def data_quality_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    """Per record whose folds met damaged data: windows left out and imputed (training and
    test, summed over folds), the channels imputed and the test trials left without a
    usable window."""
    header = ["model", "protocol", "folds affected", "left out: train / test windows",
              "imputed: train / test windows (cells)", "channels imputed",
              "test trials without a usable window"]
    rows = []
    for r in records:
        quality = r.get("data_quality")
        if not quality or not quality["folds_affected"]:
            continue
        left, imputed, cells = (quality[k] for k in ("left_out_windows", "imputed_windows",
                                                     "imputed_cells"))
        without = "; ".join(f"{fold}: {', '.join(trials)}" for fold, trials in
                            quality["test_trials_without_windows"].items()) or "none"
        rows.append([r["model"], r["protocol"], len(quality["folds_affected"]),
                     f"{left['train'] + left['validation']} / {left['test']}",
                     f"{imputed['train'] + imputed['validation']} / {imputed['test']} "
                     f"({cells['train'] + cells['validation']} / {cells['test']})",
                     ", ".join(quality["imputed_channels"]) or "none", without])
    return header, rows


def fold_subject(fold: str) -> str:
    """Subject of a fold name such as ``sub-3_ses-2`` (the whole name if it has none)."""
    match = re.match(r"sub-([^_]+)", fold)
    return match.group(1) if match else fold


def accuracy_per_subject(records: list[dict]) -> plt.Figure:
    """Per model × protocol: each fold's accuracy (dots) and the subject mean (bar)."""
    subjects = sorted({fold_subject(f) for r in records for f in r["folds"]},
                      key=lambda s: (len(s), s))
    width = 0.8 / max(1, len(records))
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(subjects) * max(1, len(records)) + 2),
                                    3.2))
    for i, r in enumerate(records):
        by_subject = defaultdict(list)
        for fold, accuracy in r["folds"].items():
            by_subject[fold_subject(fold)].append(accuracy)
        x = np.arange(len(subjects)) + (i - (len(records) - 1) / 2) * width
        means = [np.mean(by_subject[s]) if by_subject[s] else np.nan for s in subjects]
        label = f"{r['model']} · {r['protocol']}" + (
            f" · {r['augmentation']}" if r.get("augmentation") else "")
        bars = ax.bar(x, means, width * 0.9, alpha=0.6, label=label)
        for xi, s in zip(x, subjects):
            ax.plot([xi] * len(by_subject[s]), by_subject[s], "o", ms=3,
                    color=bars.patches[0].get_facecolor(), mec="k", mew=0.4)
    for chance in sorted({round(r["chance_level"], 4) for r in records}):
        ax.axhline(chance, color="0.4", ls="--", lw=0.8)
    ax.set_xticks(np.arange(len(subjects)), [f"sub-{s}" for s in subjects])
    ax.set(ylabel="test accuracy", ylim=(0, 1),
           title="bars: mean over a subject's folds; dots: folds; dashed: chance")
    ax.title.set_fontsize(8)
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    return fig
