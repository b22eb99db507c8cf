"""Real vs synthetic EEG: traces, PSD overlay and band-power topomaps, per class."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.pyplot as plt
import mne
import numpy as np
import scipy.signal
import zarr

from seedflow.channels import eeg_info, normalise, positioned
from seedflow.errors import SeedflowError
from seedflow.report.common import MIN_TOPOMAP_CHANNELS, no_topomap
from seedflow.stores.ingest import IngestStore

SHOWN_CHANNELS = ("FZ", "CZ", "PZ", "OZ", "T7", "T8")
TOPOMAP_RES = 40  # pixels across a head: enough for maps ~150 px wide, and quick
MAX_WINDOWS = 200  # per class and kind: enough for a stable mean PSD, bounded memory


@dataclass
class Windows:
    """Windows (n, channels, time) in volts with class labels, on a common channel list."""

    data: np.ndarray
    labels: np.ndarray
    ch_names: list[str]
    class_names: list[str]
    sfreq: float
    note: str = ""  # what could not be read, and why


def read_synthetic(path: Path) -> Windows:
    group = zarr.open_group(path, mode="r")
    attrs = dict(group.attrs)
    labels = group["label"][:]
    keep = np.concatenate([np.flatnonzero(labels == k)[:MAX_WINDOWS] for k in np.unique(labels)])
    return Windows(group["windows"].get_orthogonal_selection((keep, slice(None), slice(None))),
                   labels[keep], list(attrs["ch_names"]), list(attrs["class_names"]),
                   float(attrs["sfreq"]))


def read_real(stores: list[Path], n_samples: int, ch_names: list[str]) -> Windows:
    """One window of ``n_samples`` from the middle of every trial (only those samples read);
    a window with a non-finite sample is left out and named in ``note``."""
    data, labels, meta, damaged, long_enough = [], [], None, [], False
    for path in stores:
        store = IngestStore.open(path)
        meta = meta or store
        index = [store.ch_names.index(ch) for ch in ch_names]
        for trial_id, start, stop, label in zip(store.trial_ids, store.trial_start,
                                                store.trial_stop, store.labels):
            if stop - start >= n_samples:
                long_enough = True
                begin = start + (stop - start - n_samples) // 2
                window = store.eeg[:, begin:begin + n_samples][index]
                if np.isfinite(window).all():
                    data.append(window)
                    labels.append(label)
                else:
                    damaged.append(f"ses-{store.attrs.get('session', '?')} trial {trial_id}")
    if not long_enough:
        raise SeedflowError(f"{stores[0]}: no trial is as long as a synthetic window "
                            f"({n_samples} samples)")
    note = (f"Left out: the middle window of {', '.join(damaged)} (non-finite samples)."
            if damaged else "")
    return Windows(np.stack(data) if data else np.zeros((0, len(ch_names), n_samples)),
                   np.array(labels, dtype=np.int64), list(ch_names), list(meta.class_names),
                   float(meta.sfreq), note)


def aligned(stores: list[Path], samples: Path) -> tuple[Windows, Windows]:
    """Real windows of ``stores`` and synthetic ones, on the channels both have."""
    synthetic = read_synthetic(samples)
    position = {normalise(ch): i for i, ch in enumerate(synthetic.ch_names)}
    common = [ch for ch in IngestStore.open(stores[0]).ch_names if normalise(ch) in position]
    if not common:
        raise SeedflowError(f"{samples}: no channel in common with {stores[0]}")
    synthetic.data = synthetic.data[:, [position[normalise(ch)] for ch in common]]
    synthetic.ch_names = common
    return read_real(stores, synthetic.data.shape[2], common), synthetic


def _psd(windows: np.ndarray, sfreq: float) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD of each window and channel up to 70 Hz, as mne's psd_array_welch computes
    it (Hamming, no overlap, mean removed); SciPy's in one call, as mne loops over every
    row of an array above 10 MB (18 000 calls, 9 s a report)."""
    n_fft = min(windows.shape[-1], int(sfreq))
    freqs, psd = scipy.signal.welch(windows.astype(np.float64), sfreq, window="hamming",
                                    nperseg=n_fft, noverlap=0, detrend="constant")
    kept = freqs <= min(sfreq / 2, 70.0)
    return psd[..., kept], freqs[kept]


def traces_figure(real: Windows, synthetic: Windows) -> plt.Figure:
    """Per class, a few channels of one real (black) and one synthetic (red) window."""
    shown = [ch for ch in real.ch_names if normalise(ch) in SHOWN_CHANNELS][:4] \
        or real.ch_names[:4]
    rows = [real.ch_names.index(ch) for ch in shown]
    classes = real.class_names
    fig, axes = plt.subplots(1, len(classes), figsize=(3.4 * len(classes), 3.2),
                             sharey=True, squeeze=False)
    t = np.arange(real.data.shape[2]) / real.sfreq
    spacing = 4 * np.std(real.data[:, rows]) * 1e6 or 1.0
    for k, (ax, name) in enumerate(zip(axes[0], classes)):
        for kind, colour in ((real, "k"), (synthetic, "tab:red")):
            chosen = np.flatnonzero(kind.labels == k)
            if len(chosen):
                for j, row in enumerate(rows):
                    trace = kind.data[chosen[0], row] * 1e6
                    ax.plot(t, trace - trace.mean() - j * spacing, color=colour, lw=0.6)
        ax.set(title=name, xlabel="time (s)")
    axes[0, 0].set_yticks(-np.arange(len(rows)) * spacing, shown)
    fig.suptitle(f"real (black) vs synthetic (red); spacing {spacing:.0f} µV", fontsize=9)
    fig.tight_layout()
    return fig


def psd_figure(real: Windows, synthetic: Windows) -> plt.Figure:
    """Per class, channel-mean PSD (mean and 10–90 % range over windows), real vs synthetic."""
    classes = real.class_names
    fig, axes = plt.subplots(1, len(classes), figsize=(3.4 * len(classes), 3),
                             sharey=True, squeeze=False)
    for k, (ax, name) in enumerate(zip(axes[0], classes)):
        for kind, colour, label in ((real, "k", "real"), (synthetic, "tab:red", "synthetic")):
            chosen = kind.data[kind.labels == k]
            if not len(chosen):
                continue
            psd, freqs = _psd(chosen, kind.sfreq)
            per_window = psd.mean(axis=1)
            ax.semilogy(freqs, per_window.mean(axis=0), color=colour,
                        label=f"{label} ({len(chosen)})")
            ax.fill_between(freqs, *np.percentile(per_window, [10, 90], axis=0), color=colour,
                            alpha=0.15, lw=0)
        ax.set(title=name, xlabel="frequency (Hz)")
        ax.legend(fontsize=7)
    axes[0, 0].set_ylabel("PSD (V²/Hz)")
    fig.tight_layout()
    return fig


def band_topomaps(real: Windows, synthetic: Windows, bands: dict
                  ) -> tuple[plt.Figure | None, str]:
    """Mean log10 band power per channel, real (top) vs synthetic (bottom), of the channels
    with a scalp position, and a caption naming the others; no figure when fewer than
    :data:`MIN_TOPOMAP_CHANNELS` have one.

    Each map has its own colour scale so the spatial patterns compare; the levels compare
    in the PSD overlay.
    """
    shown = positioned(real.ch_names)
    no_position = [ch for ch in real.ch_names if ch not in shown]
    caption = (f"Left out (no scalp position): {', '.join(no_position)}."
               if no_position else "")
    if len(shown) < MIN_TOPOMAP_CHANNELS:
        return None, f"{no_topomap(shown)} {caption}".strip()
    rows = [real.ch_names.index(ch) for ch in shown]
    info = eeg_info(shown, real.sfreq)
    fig, axes = plt.subplots(2, len(bands), figsize=(1.9 * len(bands) + 0.6, 4.4),
                             squeeze=False, layout="constrained")
    for r, (name, kind) in enumerate((("real", real), ("synthetic", synthetic))):
        psd, freqs = _psd(kind.data[:, rows], kind.sfreq)
        for b, (band, (lo, hi)) in enumerate(bands.items()):
            values = np.log10(psd[:, :, (freqs >= lo) & (freqs < hi)].mean(axis=(0, 2)))
            im, _ = mne.viz.plot_topomap(values, info, axes=axes[r, b], show=False,
                                         cmap="viridis", contours=0, res=TOPOMAP_RES,
                                         vlim=(np.nanmin(values), np.nanmax(values)))
            axes[r, b].set_title(f"{band} · {name}", fontsize=8)
            fig.colorbar(im, ax=axes[r, b], shrink=0.8, format="%.1f").ax.tick_params(
                labelsize=6)
    fig.suptitle("log10 band power (V²/Hz), all classes; one colour scale per map",
                 fontsize=9)
    return fig, caption
