"""The run's numbers: results table, accuracy per subject, GAN quality, augmentation gain."""

from __future__ import annotations

import re
from collections import defaultdict

import matplotlib.pyplot as plt
import numpy as np

COMPARISONS = ("synthetic_vs_heldout", "real_vs_heldout")


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


def augmentation_rows(records: list[dict]) -> list[list]:
    """Accuracy gain of each augmented record over the same model × protocol without it:
    the mean ± std over folds of the per-fold gain where the record has it (``gain_mean``,
    ``gain_std``), else the difference of the means ± both stds combined in quadrature."""
    baseline = {(r["model"], r["protocol"]): r for r in records
                if r.get("augmentation", "none") in ("none", None)}
    rows = []
    for r in records:
        base = baseline.get((r["model"], r["protocol"]))
        if r.get("augmentation", "none") in ("none", None) or base is None:
            continue
        if "gain_mean" in r:
            gain, spread = r["gain_mean"], r["gain_std"]
        else:
            gain = r["accuracy_mean"] - base["accuracy_mean"]
            spread = np.hypot(r["accuracy_std"], base["accuracy_std"])
        rows.append([r["model"], r["protocol"], r["augmentation"],
                     f"{base['accuracy_mean']:.3f}", f"{r['accuracy_mean']:.3f}",
                     f"{gain:+.3f} ± {spread:.3f}", r["n_folds"]])
    return rows


def augmentation_fold_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    """Per fold: the real arm's accuracy and each arm's accuracy (gain over real)."""
    augmented = [r for r in records if "gain_folds" in r]
    arms = sorted({r["augmentation"] for r in augmented})
    header = ["model", "protocol", "fold", "real", *arms]
    rows = []
    for model, protocol in dict.fromkeys((r["model"], r["protocol"]) for r in augmented):
        by_arm = {r["augmentation"]: r for r in augmented
                  if (r["model"], r["protocol"]) == (model, protocol)}
        first = next(iter(by_arm.values()))
        for fold, gain in first["gain_folds"].items():
            real = first["folds"][fold] - gain
            cells = [f"{by_arm[a]['folds'][fold]:.3f} ({by_arm[a]['gain_folds'][fold]:+.3f})"
                     if a in by_arm else "–" for a in arms]
            rows.append([model, protocol, fold, f"{real:.3f}", *cells])
    return header, rows


def _format(value) -> str:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    values = np.asarray(value, dtype=float).ravel()
    return (", ".join(f"{v:.3g}" for v in values) if len(values) <= 6
            else f"{len(values)} values, mean {np.nanmean(values):.4g}")


def _leaves(node, path=()):
    """(path, value) for every scalar or numeric list in a nested JSON object."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    elif isinstance(node, list) and node and any(isinstance(v, (dict, list)) for v in node):
        for i, value in enumerate(node):
            yield from _leaves(value, (*path, str(i)))
    else:
        yield path, node


def quality_tables(quality: dict) -> tuple[list[list], list[list]]:
    """quality.json as two tables, whatever it holds.

    Distances measured both for synthetic and for real training windows against held-out
    ones are paired in one row (entry, synthetic, real); every other value gets its own row.
    """
    paired: dict[tuple, dict] = {}
    other = []
    for path, value in _leaves(quality):
        hit = next((c for c in COMPARISONS if c in path), None)
        if hit is None:
            other.append([" › ".join(path), _format(value)])
            continue
        key = tuple(p for p in path if p != hit)
        paired.setdefault(key, {})[hit] = value
    pairs = [[" › ".join(key), *(_format(v[c]) if c in v else "—" for c in COMPARISONS)]
             for key, v in paired.items()]
    return pairs, other


def losses_figure(history: dict[str, np.ndarray]) -> plt.Figure:
    """Every recorded GAN loss per epoch (the feature GAN) or per chunk of steps, at its last
    step (the signal GAN)."""
    fig, ax = plt.subplots(figsize=(7, 3))
    unit = "step" if "step" in history else "epoch"
    x = history.get(unit, np.arange(len(next(iter(history.values()), []))))
    x = x if unit == "step" else x + 1
    for key, values in history.items():
        if key != unit and not key.startswith("val_") and np.isfinite(values).any():
            ax.plot(x, values, "o-" if len(values) < 30 else "-", ms=3, label=key)
    ax.axhline(0, color="0.7", lw=0.5)
    ax.set(xlabel=unit, title=f"GAN training (means per {'chunk of steps' if unit == 'step' else 'epoch'})")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return fig
