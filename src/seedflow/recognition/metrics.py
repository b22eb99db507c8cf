"""Classification metrics per fold and their aggregation over folds."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score

from seedflow.recognition.importance import summary as importance_summary


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int,
                 chance_level: float | None = None) -> dict:
    """Accuracy, macro-F1, confusion matrix, per-class recall and the majority baseline.

    ``chance_level``: the fold's majority baseline when given (of its test trials' samples
    before any window was left out); then ``chance_level_evaluated`` is that of ``y_true``.
    """
    classes = list(range(n_classes))
    counts = np.bincount(y_true, minlength=n_classes)
    evaluated = float(counts.max() / counts.sum())
    baseline = ({"chance_level": evaluated} if chance_level is None else
                {"chance_level": chance_level, "chance_level_evaluated": evaluated})
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, labels=classes, average="macro",
                                   zero_division=0)),
        "recall_per_class": recall_score(y_true, y_pred, labels=classes, average=None,
                                         zero_division=0).tolist(),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
        **baseline,
        "n_test_windows": int(len(y_true)),
    }


def summary_record(model: str, protocol: str, dataset: str, n_classes: int,
                   folds: dict[str, dict]) -> dict:
    """The stable fields of a metrics.json record from per-fold metrics (fold name -> dict
    with accuracy, f1_macro and chance_level): mean and std over folds."""
    acc = np.array([f["accuracy"] for f in folds.values()])
    f1 = np.array([f["f1_macro"] for f in folds.values()])
    return {
        "model": model,
        "protocol": protocol,
        "dataset": dataset,
        "n_classes": n_classes,
        "chance_level": float(np.mean([f["chance_level"] for f in folds.values()])),
        "accuracy_mean": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "f1_macro_mean": float(f1.mean()),
        "f1_macro_std": float(f1.std()),
        "n_folds": len(folds),
        "folds": {name: f["accuracy"] for name, f in folds.items()},
    }


def aggregate(folds: list[dict], dataset: str) -> list[dict]:
    """One summary record per (model, protocol): mean and std over folds."""
    groups: dict[tuple, list[dict]] = {}
    for fold in folds:
        groups.setdefault((fold["model"], fold["protocol"]), []).append(fold)
    records = []
    for (model, protocol), items in sorted(groups.items()):
        records.append({
            **summary_record(model, protocol, dataset, items[0]["n_classes"],
                             {f["fold"]: f for f in items}),
            "trial_accuracy_mean": _mean([f.get("trial_accuracy") for f in items]),
            "trial_accuracy_std": _std([f.get("trial_accuracy") for f in items]),
            "f1_macro_folds": {f["fold"]: f["f1_macro"] for f in items},
            "data_quality": data_quality_summary(items),
            **({"importance": summary} if (summary := importance_summary(items)) else {}),
        })
    return records


def data_quality_summary(folds: list[dict]) -> dict:
    """What damaged data cost over a record's folds: windows left out, windows kept with
    imputed values and their (window, channel) cells, per side summed over folds; the folds
    affected; each fold's test trials left without a usable window; the channels imputed."""
    sides = ("train", "validation", "test")
    counts = ("left_out_windows", "imputed_windows", "imputed_cells")
    out = {name: dict.fromkeys(sides, 0) for name in counts}
    affected, without, channels = [], {}, set()
    for fold in folds:
        quality = fold.get("data_quality")
        if quality is None:
            continue
        for name in counts:
            for side in sides:
                out[name][side] += quality[name][side]
        if quality["trials"] or quality["test_trials_without_windows"]:
            affected.append(fold["fold"])
        if quality["test_trials_without_windows"]:
            without[fold["fold"]] = [f"sub-{t['subject']} ses-{t['session']} trial "
                                     f"{t['trial']} ({t['why']})"
                                     for t in quality["test_trials_without_windows"]]
        channels.update(quality["imputed_channels"])
    return {**out, "folds_affected": affected, "test_trials_without_windows": without,
            "imputed_channels": sorted(channels)}


def augmentation_records(real: list[dict], augmented: list[dict], dataset: str) -> list[dict]:
    """One record per model × protocol × augmentation arm: the fields of :func:`aggregate`
    over the arm's folds, plus ``kind`` (``augmentation``), ``augmentation`` (the arm),
    the real arm's accuracy on the same folds (``real_accuracy_mean``/``_std``) and the gain
    per fold (arm minus real: ``gain_folds``) with its mean and std over folds."""
    real_by = {(f["model"], f["protocol"], f["fold"]): f["accuracy"] for f in real}
    arms: dict[str, list[dict]] = {}
    for fold in augmented:
        arms.setdefault(fold["augmentation"], []).append(fold)
    records = []
    for arm, items in sorted(arms.items()):
        for record in aggregate(items, dataset):
            mine = [f for f in items
                    if (f["model"], f["protocol"]) == (record["model"], record["protocol"])]
            missing = [f["fold"] for f in mine
                       if (f["model"], f["protocol"], f["fold"]) not in real_by]
            if missing:
                raise ValueError(f"augmentation {arm}: no real-data result for folds {missing}")
            base = np.array([real_by[f["model"], f["protocol"], f["fold"]] for f in mine])
            gain = np.array([f["accuracy"] for f in mine]) - base
            records.append({
                **record, "kind": "augmentation", "augmentation": arm,
                "real_accuracy_mean": float(base.mean()),
                "real_accuracy_std": float(base.std()),
                "gain_mean": float(gain.mean()), "gain_std": float(gain.std()),
                "gain_folds": {f["fold"]: float(g) for f, g in zip(mine, gain)},
                "synthetic_ratio": mine[0].get("synthetic_ratio"),
                "n_synthetic_windows_mean": _mean([f.get("n_synthetic_windows")
                                                   for f in mine]),
            })
    return records


def _mean(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else None


def _std(values) -> float | None:
    values = [v for v in values if v is not None]
    return float(np.std(values)) if values else None


def markdown_table(records: list[dict], baseline: str = "svm") -> str:
    """Accuracy (mean ± std over folds) per model and protocol, with the baseline's
    accuracy under the same protocol beside it."""
    records = [r for r in records if r.get("kind") != "augmentation_curve"]  # not one model
    protocols = sorted({r["protocol"] for r in records})
    records = [{**r, "model": f"{r['model']} + {r['augmentation']}"} if r.get("augmentation")
               else r for r in records]  # an augmented model is a row of its own
    by = {(r["model"], r["protocol"]): r for r in records}
    models = list(dict.fromkeys(r["model"] for r in records))
    header = ["model"] + [f"{p} accuracy" for p in protocols] + [
        f"{p}: − {baseline}" for p in protocols]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in models:
        cells = [model]
        for p in protocols:
            r = by.get((model, p))
            cells.append(f"{r['accuracy_mean']:.2f} ± {r['accuracy_std']:.2f} "
                         f"({r['n_folds']} folds)" if r else "–")
        for p in protocols:
            r, b = by.get((model, p)), by.get((baseline, p))
            cells.append(f"{r['accuracy_mean'] - b['accuracy_mean']:+.2f}" if r and b else "–")
        lines.append("| " + " | ".join(cells) + " |")
    chance = {p: np.mean([r["chance_level"] for r in records if r["protocol"] == p])
              for p in protocols}
    lines.append("| chance | " + " | ".join(f"{chance[p]:.2f}" for p in protocols)
                 + " |" + " |" * len(protocols))
    return "\n".join(lines)
