"""Statistics of the augmentation learning curve (:mod:`seedflow.synthesis.learning_curve`)
over its cells' ``curve.json``: the records of the summary metrics. Kept apart from the
curve itself, which needs Keras, so the metrics job does not import it."""

from __future__ import annotations

import numpy as np

from seedflow.errors import SeedflowError

PROTOCOL = "subject_dependent"
ALL = "all"


def _size_order(size: str):
    return (1, 0) if size == ALL else (0, int(size))


def paired_test(arm: np.ndarray, real: np.ndarray) -> dict:
    """Wilcoxon signed-rank test of ``arm`` against ``real`` (paired, two-sided), with the
    smallest p-value ``len(arm)`` pairs can give (the test's power limit)."""
    from scipy.stats import wilcoxon

    n = len(arm)
    out = {"test": "wilcoxon", "n_pairs": n, "statistic": None, "p_value": None,
           "smallest_possible_p_value": float(min(1.0, 2 / 2 ** n)) if n else None}
    if n < 2 or np.allclose(arm, real):
        out["note"] = ("fewer than 2 pairs" if n < 2 else "no difference in any pair")
        return out
    result = wilcoxon(arm, real)
    out.update(statistic=float(result.statistic), p_value=float(result.pvalue))
    if n < 6:
        out["note"] = (f"{n} folds: even a gain in every fold gives p >= "
                       f"{out['smallest_possible_p_value']:.3g}; the test has little power")
    return out


def curve_records(cells: list[dict], dataset: str) -> list[dict]:
    """One record per model × training-set size × arm: accuracy mean ± std over folds ×
    seeds (``folds``: each fold's mean over seeds), and for the arms other than ``real``
    the gain (arm minus real, same fold and seed) mean ± std over folds × seeds, per fold
    (mean over seeds) and a paired Wilcoxon test of the fold means across folds."""
    groups: dict = {}
    for cell in cells:
        groups.setdefault((cell["model"], cell["trials_per_class"]), []).append(cell)
    records = []
    for (model, size), items in sorted(groups.items(), key=lambda g: (g[0][0],
                                                                       _size_order(g[0][1]))):
        fold_names = sorted({c["fold"] for c in items})
        seeds = sorted({c["seed"] for c in items})
        arms = list(dict.fromkeys(a for c in items for a in c["arms"]))
        by = {(c["fold"], c["seed"]): c["arms"] for c in items}
        missing = [(f, s) for f in fold_names for s in seeds if (f, s) not in by]
        if missing:
            raise ValueError(f"learning curve {model} size {size}: cells missing: {missing}")

        def values(arm, field):
            return np.array([[by[f, s][arm][field] for s in seeds] for f in fold_names])

        real = values("real", "accuracy")
        for arm in arms:
            accuracy, f1 = values(arm, "accuracy"), values(arm, "f1_macro")
            record = {
                "kind": "augmentation_curve", "model": model, "protocol": PROTOCOL,
                "dataset": dataset, "n_classes": items[0]["n_classes"],
                "augmentation": arm, "trials_per_class": size,
                "n_train_trials_mean": float(np.mean([len(c["train_trials"])
                                                      for c in items])),
                "chance_level": float(values(arm, "chance_level").mean()),
                "accuracy_mean": float(accuracy.mean()),
                "accuracy_std": float(accuracy.std()),
                "f1_macro_mean": float(f1.mean()), "f1_macro_std": float(f1.std()),
                "n_folds": len(fold_names), "seeds": seeds,
                "folds": dict(zip(fold_names, accuracy.mean(axis=1).tolist())),
                "accuracy_runs": {f: dict(zip(map(str, seeds), row))
                                  for f, row in zip(fold_names, accuracy.tolist())},
            }
            if arm != "real":
                gain = accuracy - real
                record.update(
                    gain_mean=float(gain.mean()), gain_std=float(gain.std()),
                    gain_folds=dict(zip(fold_names, gain.mean(axis=1).tolist())),
                    paired_test=paired_test(accuracy.mean(axis=1), real.mean(axis=1)),
                    synthetic_ratio=by[fold_names[0], seeds[0]][arm]["synthetic_ratio"],
                    n_synthetic_windows_mean=float(values(arm, "n_synthetic_windows")
                                                   .mean()))
            records.append(record)
    return records


def gain_rows(records: list[dict]) -> tuple[list[str], list[list]]:
    """Per size and arm: real accuracy, arm accuracy, gain ± std, Wilcoxon p across folds."""
    header = ["trials per class", "arm", "accuracy (real)", "accuracy (arm)",
              "gain ± std (folds × seeds)", "Wilcoxon p (folds)", "folds × seeds"]
    real = {r["trials_per_class"]: r for r in records if r["augmentation"] == "real"}
    rows = []
    for r in records:
        if r["augmentation"] == "real":
            continue
        test = r["paired_test"]
        p = "–" if test["p_value"] is None else f"{test['p_value']:.3g}"
        if test.get("note"):
            p += f" ({test['note']})"
        rows.append([r["trials_per_class"], r["augmentation"],
                     f"{real[r['trials_per_class']]['accuracy_mean']:.3f}",
                     f"{r['accuracy_mean']:.3f}", f"{r['gain_mean']:+.3f} ± {r['gain_std']:.3f}",
                     p, f"{r['n_folds']} × {len(r['seeds'])}"])
    return header, rows


def markdown_table(records: list[dict]) -> str:
    """The learning curve's gains (:func:`gain_rows`) of a summary metrics.json's records,
    as Markdown (its other records are left out)."""
    header, rows = gain_rows([r for r in records if r.get("kind") == "augmentation_curve"])
    if not rows:
        raise SeedflowError("no augmentation_curve records with an arm other than real: "
                            "was the run made with synthesis.augmentation.curve.enabled?")
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(map(str, row)) + " |" for row in rows])
