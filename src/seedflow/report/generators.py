"""The synthesis section at a glance: per generator one table of class × measure (the
synthetic value next to the real-vs-held-out value and their ratio, marked by colour and by
a symbol where the synthetic value is far from real), its loss curves as a figure, and the
augmentation results as one compact table. Every raw number stays in quality.json and
metrics.json.

The tables are built from whatever measures the records hold
(``quality.<group>.<class>.{synthetic_vs_heldout, real_vs_heldout}.<measure>``): a new
measure of :mod:`seedflow.synthesis.quality` appears without a change here. A per-channel
list is shown as its mean, a measure that is a mapping as one column per entry, a
two-number list named ``*ci`` as an interval.
"""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import numpy as np

CLOSE, OFF, FAR = "close", "off", "far"
# Symbol (readable in print and without colour) and Bootstrap cell class of each verdict.
MARK = {CLOSE: ("✓", "table-success"), OFF: ("≈", "table-warning"), FAR: ("✗", "table-danger")}
# Verdict thresholds (judgement calls, stated under each table): a distance within twice
# the real windows' own distance is close, beyond five times far; a two-sample test AUC
# within 0.05 of the real windows' is close, from 0.8 on far; an accuracy of the classifier
# trained on synthetic data at 80 % of the one trained on real data is close, under 50 % far.
DISTANCE_RATIO = (2.0, 5.0)
AUC_MARGIN, AUC_FAR = 0.05, 0.8
ACCURACY_RATIO = (0.8, 0.5)
NOTE = (f"Each cell: synthetic vs held-out · real training vs held-out (what real EEG "
        f"itself scores) · ratio. ✓ close (distance ratio ≤ {DISTANCE_RATIO[0]:g}; AUC ≤ real "
        f"+ {AUC_MARGIN:g}), ≈ off (ratio ≤ {DISTANCE_RATIO[1]:g}; AUC < {AUC_FAR:g}), ✗ far. "
        "Per-channel measures: mean over channels. Every number, per channel too, is in "
        "quality.json and metrics.json.")


def verdict(measure: str, synthetic: float, real: float) -> str:
    """How far ``synthetic`` is from ``real`` for ``measure`` (an AUC when its name says
    so, else a distance whose floor is ``real``)."""
    if not (np.isfinite(synthetic) and np.isfinite(real)):
        return OFF
    if "auc" in measure:
        return (CLOSE if synthetic <= real + AUC_MARGIN else OFF if synthetic < AUC_FAR
                else FAR)
    if real <= 0:
        return CLOSE if synthetic <= 0 else FAR
    ratio = synthetic / real
    return CLOSE if ratio <= DISTANCE_RATIO[0] else OFF if ratio <= DISTANCE_RATIO[1] else FAR


def _measures(values: dict, prefix: str = "") -> dict[str, float | str]:
    """A comparison's measures as name → number (or text for an interval)."""
    out: dict[str, float | str] = {}
    for name, value in values.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            out.update(_measures(value, f"{key} › "))
        elif isinstance(value, list):
            numbers = np.asarray(value, dtype=float)
            if len(numbers) == 2 and name.lower().endswith("ci"):
                out[key] = f"[{numbers[0]:.3g}, {numbers[1]:.3g}]"
            elif name.endswith("_per_channel") and name.removesuffix("_per_channel") in values:
                continue  # its mean is the measure of that name
            else:
                out[f"{key} (mean of {len(numbers)})"] = float(np.nanmean(numbers))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[key] = float(value)
    return out


def _cell(text: str, klass: str = "") -> str:
    attribute = f' class="{klass}"' if klass else ""
    return f"<td{attribute}>{html.escape(text)}</td>"


def quality_rows(quality: dict) -> tuple[list[str], list[tuple[str, list[tuple[str, str]]]]]:
    """(measures, rows) of one generator's ``quality`` (group → class → comparisons):
    one row per group and class, one (text, verdict) cell per measure."""
    groups = list(quality)
    parsed = {(g, c): {side: _measures(v.get(side, {})) for side in
                       ("synthetic_vs_heldout", "real_vs_heldout")}
              for g in groups for c, v in quality[g].items()}
    measures = list(dict.fromkeys(m for p in parsed.values()
                                  for side in p.values() for m in side))
    rows = []
    for (group, name), p in parsed.items():
        cells = []
        for m in measures:
            syn, real = p["synthetic_vs_heldout"].get(m), p["real_vs_heldout"].get(m)
            if isinstance(syn, str) or isinstance(real, str) or syn is None or real is None:
                cells.append((f"{syn if syn is not None else '–'} · "
                              f"{real if real is not None else '–'}", ""))
                continue
            state = verdict(m, syn, real)
            ratio = f"×{syn / real:.3g}" if real else "–"
            cells.append((f"{syn:.3g} · {real:.3g} · {ratio} {MARK[state][0]}", state))
        rows.append((name if len(groups) == 1 else f"{group} · {name}", cells))
    return measures, rows


def generator_table(record: dict) -> str:
    """One generator's record of the summary metrics.json as HTML: its train-synthetic-
    test-real accuracy and one class × measure table."""
    measures, rows = quality_rows(record.get("quality", {}))
    head = "<th>class</th>" + "".join(f"<th>{html.escape(m.replace('_', ' '))}</th>"
                                      for m in measures)
    body = "".join("<tr>" + f"<th>{html.escape(name)}</th>" + "".join(
        _cell(text, MARK[state][1] if state else "") for text, state in cells) + "</tr>"
        for name, cells in rows)
    tstr, trtr = record["accuracy_mean"], record.get("train_real_test_real_accuracy_mean")
    classifier = html.escape(str(record.get("classifier", "a classifier")))
    line = (f"Trained on synthetic, tested on held-out real windows ({classifier}): "
            f"accuracy {tstr:.3f}")
    if trtr:
        ratio = tstr / trtr
        state = (CLOSE if ratio >= ACCURACY_RATIO[0] else OFF if ratio >= ACCURACY_RATIO[1]
                 else FAR)
        line = (f'<span class="{MARK[state][1]} px-1">{line} {MARK[state][0]}</span> vs '
                f"{trtr:.3f} trained on real training windows")
    line += f" (chance {record['chance_level']:.3f}; {record.get('level', '?')} level)."
    return (f"<p>{line}</p>"
            f'<table class="table table-sm table-bordered small"><thead><tr>{head}</tr>'
            f"</thead><tbody>{body}</tbody></table>"
            f'<p class="text-muted small">{html.escape(NOTE)} The accuracy is marked ✓ at '
            f"≥ {ACCURACY_RATIO[0]:g} of the real-trained one, ≈ at ≥ {ACCURACY_RATIO[1]:g}, "
            "✗ below.</p>")


def losses_figure(losses: dict[str, list[dict]], title: str) -> plt.Figure:
    """One panel per recorded loss (their scales differ by orders of magnitude), one line
    per GAN group (pooled, or each subject), over epochs (the feature GAN) or over steps
    (the signal GAN: means per chunk of steps, at the chunk's last step)."""
    unit = "step" if any("step" in row for rows in losses.values() for row in rows) else "epoch"
    keys = list(dict.fromkeys(k for rows in losses.values() for row in rows for k in row
                              if k not in ("epoch", "step")))
    fig, axes = plt.subplots(1, len(keys), figsize=(min(10, 2.5 * len(keys) + 0.5), 2.6),
                             squeeze=False)
    for ax, key in zip(axes[0], keys):
        for group, rows in losses.items():
            x = (np.array([r["step"] for r in rows]) if unit == "step"
                 else np.array([r.get("epoch", i) for i, r in enumerate(rows)]) + 1)
            values = np.array([r.get(key, np.nan) for r in rows], dtype=float)
            ax.plot(x, values, "o-" if len(rows) < 30 else "-", ms=2, lw=1, label=group)
        ax.axhline(0, color="0.8", lw=0.5)
        ax.set_title(key.replace("_", " "), fontsize=9)
        ax.set_xlabel(unit, fontsize=8)
        ax.tick_params(labelsize=7)
    if len(losses) > 1:
        axes[0, -1].legend(fontsize=6)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    return fig


def augmentation_table(records: list[dict]) -> str:
    """Per augmented record: the same model's accuracy on real data alone, with the arm,
    the gain ± std over folds (✓ larger than its spread, ✗ a loss larger than it, ≈
    neither) and the folds it helped; empty without augmented records."""
    real = {(r["model"], r["protocol"]): r for r in records
            if r.get("augmentation", "none") in ("none", None) and r.get("kind") is None}
    rows = []
    for r in records:
        if r.get("augmentation", "none") in ("none", None):
            continue
        base = real.get((r["model"], r["protocol"]))
        if "gain_mean" in r:
            gain, spread = r["gain_mean"], r["gain_std"]
            better = f"{sum(g > 0 for g in r['gain_folds'].values())} of {r['n_folds']}"
            without = r["real_accuracy_mean"]
        elif base is not None:  # records without per-fold gains: stds in quadrature
            gain = r["accuracy_mean"] - base["accuracy_mean"]
            spread, better = float(np.hypot(r["accuracy_std"], base["accuracy_std"])), "–"
            without = base["accuracy_mean"]
        else:
            continue
        state = CLOSE if gain > spread else FAR if gain < -spread else OFF
        rows.append("<tr>" + "".join(_cell(str(v)) for v in (
            r["model"], r["protocol"], r["augmentation"], f"{without:.3f}",
            f"{r['accuracy_mean']:.3f}")) + _cell(f"{gain:+.3f} ± {spread:.3f} "
                                                  f"{MARK[state][0]}", MARK[state][1])
                    + _cell(better) + "</tr>")
    if not rows:
        return ""
    head = "".join(f"<th>{h}</th>" for h in (
        "model", "protocol", "arm", "accuracy real", "accuracy real + synthetic",
        "gain ± std over folds", "folds better"))
    return (f'<table class="table table-sm table-striped"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><p class="text-muted small">gain: the '
            "arm's accuracy minus the same model's on real data alone, fold by fold (synthetic "
            "data made only from that fold's training trials). ✓ a gain larger than its "
            "spread over folds, ✗ a loss larger than it, ≈ neither. Each fold's accuracies "
            "are in metrics.json (gain_folds).</p>")
