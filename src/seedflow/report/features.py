"""Views of the band features: DE on the scalp per band and class, DE along the trials."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import mne
import numpy as np

from seedflow.channels import eeg_info, positioned
from seedflow.report.common import MIN_TOPOMAP_CHANNELS, no_topomap
from seedflow.stores.features import FeatureStore

TOPOMAP_RES = 40  # pixels across a head: enough for maps ~150 px wide, and quick
CLASS_COLOURS = ("tab:red", "tab:gray", "tab:green", "tab:blue", "tab:orange", "tab:purple")


def de_topomaps(stores: list[FeatureStore]) -> tuple[plt.Figure | None, str]:
    """Top row: mean DE per band over all windows; then each class minus that mean (means
    of the finite values), and a caption naming the channels left out for having no finite
    DE or no scalp position; no figure when fewer than :data:`MIN_TOPOMAP_CHANNELS` are
    left.

    Class effects are small next to DE's spatial pattern, so differences show them best.
    """
    attrs = stores[0].attrs
    bands, classes = list(attrs["bands"]), list(attrs["class_names"])
    de = np.concatenate([s.de for s in stores])
    de = np.where(np.isfinite(de), de, np.nan)
    labels = np.concatenate([s.label for s in stores])
    ch_names = list(attrs["ch_names"])
    with_position = set(positioned(ch_names))
    finite = np.isfinite(de).any(axis=0).all(axis=1)  # some finite DE in every band
    no_de = [ch for ch, ok in zip(ch_names, finite) if not ok]
    no_position = [ch for ch in ch_names if ch not in with_position]
    caption = " ".join(
        [f"Left out (no finite DE in some band): {', '.join(no_de)}."] * bool(no_de)
        + [f"Left out (no scalp position): {', '.join(no_position)}."] * bool(no_position))
    shown_mask = finite & np.array([ch in with_position for ch in ch_names])
    shown = [ch for ch, ok in zip(ch_names, shown_mask) if ok]
    if len(shown) < MIN_TOPOMAP_CHANNELS:
        return None, f"{no_topomap(shown)} {caption}".strip()
    info = eeg_info(shown, attrs["sfreq"])
    de = de[:, shown_mask]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # windows without a finite value
        return _de_topomaps(de, labels, info, bands, classes), caption


def _de_topomaps(de, labels, info, bands, classes) -> plt.Figure:
    overall = np.nanmean(de, axis=0)
    fig, axes = plt.subplots(1 + len(classes), len(bands), squeeze=False, layout="constrained",
                             figsize=(1.9 * len(bands) + 0.6, 1.8 * (1 + len(classes)) + 0.6))
    for b, band in enumerate(bands):
        im, _ = mne.viz.plot_topomap(overall[:, b], info, axes=axes[0, b], show=False,
                                     cmap="viridis", contours=0, res=TOPOMAP_RES,
                                     vlim=(np.nanmin(overall[:, b]), np.nanmax(overall[:, b])))
        axes[0, b].set_title(f"{band}\nall windows", fontsize=8)
        fig.colorbar(im, ax=axes[0, b], shrink=0.8).ax.tick_params(labelsize=6)
        diffs = [np.nanmean(de[labels == k], axis=0)[:, b] - overall[:, b]
                 if (labels == k).any() else np.full(len(overall), np.nan)
                 for k in range(len(classes))]
        limit = np.nanmax(np.abs(diffs)) or 1.0
        for k, name in enumerate(classes):
            im, _ = mne.viz.plot_topomap(diffs[k], info, axes=axes[1 + k, b], show=False,
                                         cmap="RdBu_r", vlim=(-limit, limit), contours=0,
                                         res=TOPOMAP_RES)
            axes[1 + k, b].set_title(f"{name} − all", fontsize=8)
            if k == len(classes) - 1:
                fig.colorbar(im, ax=axes[1:, b], shrink=0.8, location="bottom", aspect=12
                             ).ax.tick_params(labelsize=6)
    fig.suptitle("differential entropy (nats) per band; class rows: class mean − overall mean",
                 fontsize=9)
    return fig


def trial_courses(store: FeatureStore) -> plt.Figure:
    """Channel-mean DE per band (of the finite values) along every window, trials shaded by
    class; a window without any finite value leaves a gap."""
    bands, classes = list(store.attrs["bands"]), list(store.attrs["class_names"])
    fig, ax = plt.subplots(figsize=(10, 3))
    x = np.arange(len(store.de))
    edges = np.concatenate([[0], np.flatnonzero(np.diff(store.trial_index)) + 1, [len(x)]])
    for start, stop in zip(edges[:-1], edges[1:]):
        label = int(store.label[start])
        ax.axvspan(start - 0.5, stop - 0.5, color=CLASS_COLOURS[label % len(CLASS_COLOURS)],
                   alpha=0.12, lw=0)
        ax.text((start + stop) / 2, 1.0, str(int(store.trial_id[start])), fontsize=6,
                ha="center", va="bottom", transform=ax.get_xaxis_transform())
    de = np.where(np.isfinite(store.de), store.de, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # windows without a finite value
        for b, band in enumerate(bands):
            ax.plot(x, np.nanmean(de[:, :, b], axis=1), lw=0.8, label=band)
    handles = [plt.Rectangle((0, 0), 1, 1, color=CLASS_COLOURS[k % len(CLASS_COLOURS)],
                             alpha=0.3) for k in range(len(classes))]
    first = ax.legend(fontsize=7, ncol=len(bands), loc="lower left")
    ax.add_artist(first)
    ax.legend(handles, classes, fontsize=7, loc="lower right", title="class", title_fontsize=7)
    ax.set(xlim=(-0.5, len(x) - 0.5), xlabel="window (numbers on top: trial id)",
           ylabel="channel-mean DE (nats)")
    fig.tight_layout()
    return fig
