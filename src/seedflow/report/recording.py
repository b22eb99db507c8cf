"""Per-session views of the recording: montage, a bounded raw excerpt, PSD, channel quality."""

from __future__ import annotations

import warnings

import matplotlib.pyplot as plt
import mne
import numpy as np

from seedflow.channels import eeg_info, positioned
from seedflow.stores.ingest import IngestStore

# A channel whose excerpt amplitude is this many times above or below the median one is
# listed as suspicious (a reviewer's cue, not a rejection rule).
AMPLITUDE_RATIO = 5.0


def montage_figure(ch_names: list[str], sfreq: float) -> tuple[plt.Figure | None, str]:
    """Sensor positions with names, and a caption naming channels that have no position;
    no figure when none has."""
    info = eeg_info(ch_names, sfreq)
    placed = [ch["ch_name"] for ch in info["chs"] if np.isfinite(ch["loc"][:3]).all()
              and np.any(ch["loc"][:3])]
    missing = [ch for ch in ch_names if ch not in placed]
    caption = (f"{len(ch_names)} recorded channels: {', '.join(ch_names)}. "
               + (f"Without a position (no 10-05 name): {', '.join(missing)}." if missing
                  else "Every channel has a position (CB1/CB2 included)."))
    if not placed:
        return None, f"{caption} No montage to draw, and no topomap in this report."
    fig = plt.figure(figsize=(6.5, 6.5))
    ax = fig.add_subplot()
    # MNE fits the head outline to 4 positions or more; fewer are drawn on its default head.
    mne.viz.plot_sensors(mne.pick_info(info, mne.pick_channels(ch_names, placed)),
                         show_names=True, axes=ax, show=False, pointsize=20, linewidth=0.5,
                         sphere="auto" if len(placed) >= 4 else None)
    ax.set_title(f"{len(placed)} of {len(ch_names)} channels placed")
    return fig, caption


def read_excerpt(store: IngestStore, seconds: float) -> mne.io.RawArray:
    """The first ``seconds`` of the session as an MNE Raw (only those samples are read);
    bad: the channels flagged at ingest in the trials the excerpt covers."""
    stop = min(store.eeg.shape[1], max(1, int(round(seconds * store.sfreq))))
    raw = mne.io.RawArray(store.eeg[:, :stop].astype(np.float64),
                          eeg_info(store.ch_names, store.sfreq), verbose="error")
    covered = {ch for start, names in zip(store.trial_start, store.trial_bad_channels)
               if start < stop for ch in names}
    raw.info["bads"] = [ch for ch in store.ch_names if ch in covered]
    return raw


def traces_figure(raw: mne.io.BaseRaw) -> plt.Figure:
    """Every channel's trace over the excerpt (bad channels in red)."""
    data = raw.get_data() * 1e6
    times = raw.times
    finite = np.where(np.isfinite(data), data, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # channels without a finite sample
        spacing = 3 * np.nanmedian(np.nanstd(finite, axis=1))
    if not np.isfinite(spacing) or spacing == 0:
        spacing = 1.0
    fig, ax = plt.subplots(figsize=(10, 0.13 * len(raw.ch_names) + 1.2))
    for i, (name, trace) in enumerate(zip(raw.ch_names, finite)):
        offset = -i * spacing
        colour = "tab:red" if name in raw.info["bads"] else "k"
        ax.plot(times, trace - np.nanmean(trace) + offset if np.isfinite(trace).any()
                else np.full_like(times, offset), color=colour, lw=0.4)
    ax.set_yticks(-np.arange(len(raw.ch_names)) * spacing, raw.ch_names, fontsize=6)
    ax.set_ylim(-len(raw.ch_names) * spacing, 2 * spacing)
    ax.set_xlim(times[0], times[-1])
    ax.set_xlabel("time (s)")
    missing = int((~np.isfinite(data).any(axis=1)).sum())
    ax.set_title(f"raw excerpt, {times[-1]:.0f} s; spacing {spacing:.0f} µV"
                 + (f"; {missing} channels without a finite sample (flat line)"
                    if missing else ""), fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def psd_figure(raw: mne.io.BaseRaw) -> tuple[plt.Figure | None, str]:
    """Welch PSD over the excerpt of the good channels whose samples there are all finite
    (of the flagged ones if no good channel is), coloured by scalp position when each of
    them has one (black otherwise); ``None`` when
    no channel has a finite excerpt. The caption names the channels left out and why."""
    data = raw.get_data()
    complete = np.isfinite(data).all(axis=1) & (np.ptp(np.nan_to_num(data), axis=1) > 0)
    good = [ch for ch, ok in zip(raw.ch_names, complete) if ok and ch not in raw.info["bads"]]
    shown = good or [ch for ch, ok in zip(raw.ch_names, complete) if ok]
    left_out = [ch for ch in raw.ch_names if ch not in shown]
    named = "every channel" if len(left_out) == len(raw.ch_names) else ", ".join(left_out)
    why = ("flagged at ingest in the excerpt's trials, or non-finite or flat in the "
           f"excerpt: {named}" if left_out else "")
    if not shown:
        return None, ("No PSD: no channel has finite, non-flat samples in the excerpt "
                      f"({why}).")
    fmax = min(raw.info["sfreq"] / 2, 70.0)
    n_fft = min(len(raw.times), int(2 * raw.info["sfreq"]))
    picked = raw.copy().pick(shown)
    picked.info["bads"] = []
    psd = picked.compute_psd(fmax=fmax, n_fft=n_fft, verbose="error")
    fig = psd.plot(show=False, spatial_colors=len(positioned(shown)) == len(shown))
    fig.set_size_inches(8, 3.2)
    fig.axes[0].set_title("PSD of the raw excerpt (Welch, 2 s segments)", fontsize=9)
    caption = f"{len(shown)} of {len(raw.ch_names)} channels" + (
        f" (only flagged channels have a usable excerpt); left out: {why}." if not good
        else f"; left out: {why}." if left_out else ".")
    return fig, caption


def quality_rows(store: IngestStore, raw: mne.io.BaseRaw,
                 nan_feature_share: np.ndarray) -> tuple[list[list], np.ndarray]:
    """One row per flagged channel (reasons) and each channel's excerpt amplitude (µV)."""
    data = raw.get_data() * 1e6
    finite = np.isfinite(data)
    std = np.array([np.std(row[ok]) if ok.any() else np.nan for row, ok in zip(data, finite)])
    median = np.nanmedian(std) if np.isfinite(std).any() else np.nan
    bad_trials = _bad_trials_of(store)
    rows = []
    for i, name in enumerate(store.ch_names):
        reasons = []
        if bad_trials.get(name):
            reasons.append(f"flat or non-finite in trial(s) {_ids(bad_trials[name])} "
                           "(ingest)")
        if not finite[i].all():
            reasons.append(f"{(~finite[i]).mean():.0%} non-finite in the excerpt")
        if nan_feature_share[i] > 0:
            reasons.append(f"{nan_feature_share[i]:.0%} of feature windows non-finite")
        if np.isfinite(std[i]) and median > 0 and not (
                median / AMPLITUDE_RATIO <= std[i] <= median * AMPLITUDE_RATIO):
            reasons.append(f"amplitude {std[i]:.1f} µV vs median {median:.1f} µV")
        if reasons:
            rows.append([name, "; ".join(reasons)])
    return rows, std


def _bad_trials_of(store: IngestStore) -> dict[str, list[int]]:
    """Channel -> the trials in which ingest found it flat or non-finite."""
    out: dict[str, list[int]] = {}
    for trial_id, names in zip(store.trial_ids, store.trial_bad_channels):
        for ch in names:
            out.setdefault(ch, []).append(trial_id)
    return out


def _ids(ids) -> str:
    return ", ".join(str(i) for i in ids)


def trial_quality_rows(store: IngestStore) -> list[list]:
    """One row per trial with channels flagged at ingest: trial, label, what is bad."""
    return [[trial_id, store.class_names[label],
             f"every channel ({len(names)})" if trial_id in store.bad_trials
             else ", ".join(names)]
            for trial_id, label, names in zip(store.trial_ids, store.labels,
                                              store.trial_bad_channels) if names]


def amplitude_figure(ch_names: list[str], std: np.ndarray, flagged: set[str]) -> plt.Figure:
    """Excerpt amplitude per channel; flagged channels in red."""
    fig, ax = plt.subplots(figsize=(10, 2.6))
    colours = ["tab:red" if ch in flagged else "tab:blue" for ch in ch_names]
    ax.bar(np.arange(len(ch_names)), np.nan_to_num(std), color=colours, width=0.8)
    ax.set_xticks(np.arange(len(ch_names)), ch_names, rotation=90, fontsize=6)
    ax.set_xlim(-1, len(ch_names))
    ax.set_ylabel("SD (µV)")
    ax.set_title("amplitude per channel over the excerpt (red: flagged)", fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig
