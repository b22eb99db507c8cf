"""Critical bands and channels of each model (see :mod:`seedflow.recognition.importance`):
a bar chart of the bands and a topomap of the channels per model × protocol, and a table of
the best-k channel montages."""

from __future__ import annotations

import html

import matplotlib.pyplot as plt
import mne
import numpy as np

from seedflow.channels import eeg_info, positioned
from seedflow.report.common import MIN_TOPOMAP_CHANNELS, no_topomap

BEST_K_NOTE = ("Test accuracy with only the k best channels, the others masked as missing "
               "(imputed with the training mean), next to all channels; mean ± std over folds. "
               "The channels are ranked without the test trials: by permutation importance on "
               "the fold's {ranked_on} samples. Chosen: the channels most often among the k "
               "best (folds).")


def importance_figure(summary: dict, title: str, chance: float | None = None
                      ) -> tuple[plt.Figure, str]:
    """Bands (accuracy with each band removed and with it alone) and, where at least
    :data:`MIN_TOPOMAP_CHANNELS` channels have a scalp position, the channels' permutation
    importance as a topomap; with a caption."""
    bands = list(summary["bands"])
    channels = summary["channels"]
    shown = positioned(list(channels))
    with_map = len(shown) >= MIN_TOPOMAP_CHANNELS
    fig, axes = plt.subplots(1, 2 if with_map else 1, figsize=(9 if with_map else 5.5, 3.2),
                             squeeze=False, gridspec_kw={"width_ratios": [1.4, 1]}
                             if with_map else None)
    ax = axes[0, 0]
    x = np.arange(len(bands))
    for offset, what, label in ((-0.2, "removed", f"band {summary['band_removal']}"),
                                (0.2, "only", "only this band")):
        ax.bar(x + offset, [summary["bands"][b][what]["mean"] for b in bands], 0.38,
               yerr=[summary["bands"][b][what]["std"] for b in bands], capsize=2,
               label=label, alpha=0.8)
    ax.axhline(summary["accuracy"]["mean"], color="k", lw=1, label="all bands")
    if chance is not None:
        ax.axhline(chance, color="0.5", ls="--", lw=0.8, label="chance")
    ax.set_xticks(x, bands)
    ax.set(ylabel="test accuracy", ylim=(0, 1))
    ax.set_title(f"{title}: bands", fontsize=9)
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    caption = (f"{summary['n_folds']} fold(s), test trials only; bars: mean ± std over folds. "
               f"Band removed: its values {summary['band_removal']}; only this band: the other "
               "bands masked as missing (imputed with the training mean).")
    if with_map:
        drops = np.array([channels[ch] for ch in shown])
        limit = max(float(np.abs(drops).max()), 1e-3)
        im, _ = mne.viz.plot_topomap(drops, eeg_info(shown, 100.0), axes=axes[0, 1],
                                     show=False, cmap="RdBu_r", vlim=(-limit, limit),
                                     names=None, sensors=True, contours=0)
        fig.colorbar(im, ax=axes[0, 1], fraction=0.046, pad=0.04,
                     label="accuracy drop when permuted")
        top = sorted(channels, key=lambda ch: -channels[ch])[:6]
        axes[0, 1].set_title("channels: permutation importance", fontsize=9)
        caption += (" Topomap: accuracy lost when a channel is permuted across test samples "
                    f"(mean over folds); highest: {', '.join(top)}.")
    else:
        caption += " " + no_topomap(shown)
    if summary.get("channels_not_in_input"):
        caption += (" Not in the model's input (off its grid): "
                    f"{', '.join(summary['channels_not_in_input'])}.")
    fig.tight_layout()
    return fig, caption


def add_sections(report, entries: list[tuple[str, str, dict, float | None]],
                 where: str) -> None:
    """One figure per (model, protocol, importance summary, chance level) entry and the
    best-k table, in ``report``; a note where no entry has importance (``where``: the
    results it would come from)."""
    from seedflow.report.common import add_figure, html_table

    entries = [e for e in entries if e[2]]
    if not entries:
        report.add_html(f"<p>No critical bands and channels in {html.escape(where)}: "
                        "<code>recognition.importance_repeats</code> is 0, or the models "
                        "were trained before it was measured.</p>",
                        title="Critical bands and channels", tags=("importance",))
        return
    for model, protocol, summary, chance in entries:
        fig, caption = importance_figure(summary, f"{model} · {protocol}", chance)
        add_figure(report, fig, f"Critical bands and channels · {model} · {protocol}",
                   ("importance",), caption)
    header, rows, note = best_k_rows([e[:3] for e in entries])
    report.add_html(html_table(header, rows, note=note), title="Best k channels",
                    tags=("importance",))


def best_k_rows(entries: list[tuple[str, str, dict]]) -> tuple[list[str], list[list], str]:
    """(header, rows, note) of the best-k table over (model, protocol, summary) entries."""
    header = ["model", "protocol", "channels", "test accuracy", "chosen (folds)"]
    rows, ranked_on = [], set()
    for model, protocol, summary in entries:
        ranked_on.update(summary["ranked_on"])
        for k, item in summary["best_k"].items():
            chosen = ", ".join(f"{ch} ({n})" for ch, n in list(item["chosen"].items())[:int(k)])
            rows.append([model, protocol, f"best {k}",
                         f"{item['mean']:.3f} ± {item['std']:.3f}", chosen])
        rows.append([model, protocol, f"all {len(summary['channels'])}",
                     f"{summary['accuracy']['mean']:.3f} ± {summary['accuracy']['std']:.3f}",
                     ""])
    note = BEST_K_NOTE.format(ranked_on=" or ".join(
        {"train": "training", "validation": "validation"}[r] for r in sorted(ranked_on)))
    return header, rows, note
