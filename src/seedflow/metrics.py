"""Classification metrics per fold and their aggregation over folds."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, recall_score


def fold_metrics(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict:
    """Accuracy, macro-F1, confusion matrix, per-class recall and the majority baseline."""
    classes = list(range(n_classes))
    counts = np.bincount(y_true, minlength=n_classes)
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "f1_macro": float(f1_score(y_true, y_pred, labels=classes, average="macro",
                                   zero_division=0)),
        "recall_per_class": recall_score(y_true, y_pred, labels=classes, average=None,
                                         zero_division=0).tolist(),
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
        "chance_level": float(counts.max() / counts.sum()),
        "n_test_windows": int(len(y_true)),
    }


def aggregate(folds: list[dict], dataset: str) -> list[dict]:
    """One summary record per (model, protocol): mean and std over folds."""
    groups: dict[tuple, list[dict]] = {}
    for fold in folds:
        groups.setdefault((fold["model"], fold["protocol"]), []).append(fold)
    records = []
    for (model, protocol), items in sorted(groups.items()):
        acc = np.array([f["accuracy"] for f in items])
        f1 = np.array([f["f1_macro"] for f in items])
        records.append({
            "model": model,
            "protocol": protocol,
            "dataset": dataset,
            "n_classes": items[0]["n_classes"],
            "chance_level": float(np.mean([f["chance_level"] for f in items])),
            "accuracy_mean": float(acc.mean()),
            "accuracy_std": float(acc.std()),
            "f1_macro_mean": float(f1.mean()),
            "f1_macro_std": float(f1.std()),
            "n_folds": len(items),
            "folds": {f["fold"]: f["accuracy"] for f in items},
        })
    return records
