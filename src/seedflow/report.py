"""MNE HTML reports: one per subject and one summary of the whole run."""

from __future__ import annotations

import csv
import html
import json
import logging
import platform
from importlib import metadata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import mne  # noqa: E402
import numpy as np  # noqa: E402
import yaml  # noqa: E402
import zarr  # noqa: E402

from seedflow.channels import eeg_info  # noqa: E402
from seedflow.features import FeatureStore  # noqa: E402
from seedflow.io.zarr_store import SessionStore  # noqa: E402

log = logging.getLogger(__name__)


def _html_table(header: list[str], rows: list[list]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f'<table class="table table-sm"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _raw_excerpt(store: SessionStore, seconds: float) -> mne.io.RawArray:
    stop = min(store.eeg.shape[1], int(seconds * store.sfreq))
    raw = mne.io.RawArray(store.eeg[:, :stop].astype(np.float64),
                          eeg_info(store.ch_names, store.sfreq), verbose="error")
    raw.info["bads"] = list(store.bad_channels)
    return raw


def _topomaps(features: FeatureStore) -> plt.Figure:
    """Mean DE per band (columns) and class (rows) on the scalp."""
    info = eeg_info(features.attrs["ch_names"], features.attrs["sfreq"])
    bands = list(features.attrs["bands"])
    classes = features.attrs["class_names"]
    fig, axes = plt.subplots(len(classes), len(bands), figsize=(2 * len(bands), 2 * len(classes)),
                             squeeze=False)
    for k, name in enumerate(classes):
        mean = np.nanmean(features.de[features.label == k], axis=0)
        for b, band in enumerate(bands):
            mne.viz.plot_topomap(mean[:, b], info, axes=axes[k, b], show=False)
            axes[k, b].set_title(f"{name} · {band}", fontsize=8)
    fig.tight_layout()
    return fig


def _trial_courses(features: FeatureStore) -> plt.Figure:
    """Channel-mean DE per band along each trial."""
    bands = list(features.attrs["bands"])
    fig, ax = plt.subplots(figsize=(9, 3))
    x = np.arange(len(features.de))
    for b, band in enumerate(bands):
        ax.plot(x, np.nanmean(features.de[:, :, b], axis=1), lw=0.8, label=band)
    for boundary in np.flatnonzero(np.diff(features.trial_index)) + 1:
        ax.axvline(boundary, color="0.8", lw=0.5)
    ax.set(xlabel="window (trials separated by grey lines)", ylabel="mean DE (nats)")
    ax.legend(fontsize=7, ncol=len(bands))
    fig.tight_layout()
    return fig


def _training_figure(fold_dir: Path, class_names: list[str]) -> plt.Figure:
    with open(fold_dir / "history.csv") as f:
        history = list(csv.DictReader(f))
    metrics = json.loads((fold_dir / "metrics.json").read_text())
    fig, (a, b) = plt.subplots(1, 2, figsize=(9, 3.2))
    epochs = [int(r["epoch"]) + 1 for r in history]
    a.plot(epochs, [float(r["loss"]) for r in history], label="loss")
    a.plot(epochs, [float(r["accuracy"]) for r in history], label="train accuracy")
    a.set(xlabel="epoch", title="training")
    a.legend(fontsize=7)
    cm = np.array(metrics["confusion_matrix"])
    b.imshow(cm, cmap="Blues")
    for (i, j), v in np.ndenumerate(cm):
        b.text(j, i, v, ha="center", va="center", fontsize=8)
    b.set(xticks=range(len(class_names)), yticks=range(len(class_names)),
          xticklabels=class_names, yticklabels=class_names, xlabel="predicted", ylabel="true",
          title=f"test accuracy {metrics['accuracy']:.2f}")
    fig.tight_layout()
    return fig


def subject_report(subject: str, stores: list[Path], feature_stores: list[Path],
                   fold_dirs: list[Path], out: Path, excerpt_seconds: float) -> None:
    """Montage, raw excerpt and PSD, channel quality, DE maps and models of one subject."""
    report = mne.Report(title=f"seedflow · subject {subject}", verbose="error")
    for store_path, feature_path in zip(stores, feature_stores):
        store = SessionStore.open(store_path)
        session = store.attrs.get("session", store_path.stem)
        tag = f"session-{session}"
        if store_path == stores[0]:
            fig = mne.viz.plot_sensors(eeg_info(store.ch_names, store.sfreq), show_names=True,
                                       show=False)
            report.add_figure(fig, title="Montage", tags=("montage",))
        raw = _raw_excerpt(store, excerpt_seconds)
        report.add_raw(raw, title=f"Raw excerpt · {tag}", psd=True, butterfly=False,
                       tags=("raw", tag))
        report.add_html(_html_table(
            ["source file", "channels", "sfreq (Hz)", "trials", "duration (s)", "bad channels"],
            [[store.attrs["source_file"], len(store.ch_names), store.sfreq, len(store.labels),
              f"{store.eeg.shape[1] / store.sfreq:.0f}", ", ".join(store.bad_channels) or "none"]]),
            title=f"Channel quality · {tag}", tags=("quality", tag))
        features = FeatureStore.open(feature_path)
        report.add_figure(_topomaps(features), title=f"DE topomaps per class · {tag}",
                          tags=("features", tag))
        report.add_figure(_trial_courses(features), title=f"DE along trials · {tag}",
                          tags=("features", tag))
        plt.close("all")
    for fold_dir in fold_dirs:
        metrics = json.loads((fold_dir / "metrics.json").read_text())
        report.add_figure(_training_figure(fold_dir, metrics["class_names"]),
                          title=f"{metrics['model']} · {metrics['protocol']} · {metrics['fold']}",
                          tags=("models",))
        plt.close("all")
    out.parent.mkdir(parents=True, exist_ok=True)
    report.save(out, overwrite=True, open_browser=False, verbose="error")
    log.info("subject %s: report written to %s", subject, out)


def _synthetic_figure(samples_path: Path, store_path: Path) -> plt.Figure:
    """Real vs synthetic traces and PSD overlay (first class, first channels)."""
    group = zarr.open_group(samples_path, mode="r")
    synthetic = group["windows"][:]
    sfreq = group.attrs["sfreq"]
    store = SessionStore.open(store_path)
    n = synthetic.shape[2]
    real = np.stack([store.trial(0)[:, i * n:(i + 1) * n] for i in range(8)])
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.5))
    t = np.arange(n) / sfreq
    for c in range(4):
        a.plot(t, real[0, c] * 1e6 + 60 * c, color="k", lw=0.7)
        a.plot(t, synthetic[0, c] * 1e6 + 60 * c, color="tab:red", lw=0.7)
    a.set(xlabel="time (s)", ylabel="µV (offset per channel)",
          title="real (black) vs synthetic (red)")
    for x, colour, label in ((real, "k", "real"), (synthetic, "tab:red", "synthetic")):
        psd, freqs = mne.time_frequency.psd_array_welch(x.astype(np.float64), sfreq,
                                                        n_fft=min(n, 256), verbose="error")
        b.semilogy(freqs, psd.mean(axis=(0, 1)), color=colour, label=label)
    b.set(xlabel="frequency (Hz)", ylabel="PSD (V²/Hz)", title="mean PSD")
    b.legend(fontsize=7)
    fig.tight_layout()
    return fig


def _versions() -> list[list[str]]:
    names = ("seedflow", "snakemake", "mne", "numpy", "scipy", "dask", "zarr", "keras",
             "tensorflow-cpu", "tensorflow", "scikit-learn")
    rows = [["python", platform.python_version()]]
    for name in names:
        try:
            rows.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            continue
    return rows


def summary_report(metrics_path: Path, gan_dir: Path,
                   first_store: Path, config: dict, out: Path) -> None:
    """Models × protocols table, per-fold accuracy, GAN quality, config and versions."""
    records = json.loads(metrics_path.read_text())
    report = mne.Report(title="seedflow · summary", verbose="error")
    report.add_html(_html_table(
        ["model", "protocol", "dataset", "classes", "chance", "accuracy", "macro-F1", "folds"],
        [[r["model"], r["protocol"], r["dataset"], r["n_classes"], f"{r['chance_level']:.3f}",
          f"{r['accuracy_mean']:.3f} ± {r['accuracy_std']:.3f}",
          f"{r['f1_macro_mean']:.3f} ± {r['f1_macro_std']:.3f}", r["n_folds"]]
         for r in records]), title="Recognition results", tags=("results",))

    fig, ax = plt.subplots(figsize=(9, 3))
    for r in records:
        ax.plot(list(r["folds"]), list(r["folds"].values()), "o-",
                label=f"{r['model']} · {r['protocol']}")
        ax.axhline(r["chance_level"], color="0.6", ls="--", lw=0.8)
    ax.set(ylabel="test accuracy", ylim=(0, 1), title="accuracy per fold (dashed: chance)")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    ax.legend(fontsize=7)
    fig.tight_layout()
    report.add_figure(fig, title="Accuracy per subject and session", tags=("results",))

    quality = json.loads((gan_dir / "quality.json").read_text())
    measures = ("band_log_power", "psd_shape", "channel_correlation", "c2st_auc")
    report.add_html(_html_table(
        ["class", *(f"{m}: synthetic / real" for m in measures)],
        [[name, *(f"{q['synthetic_vs_heldout'][m]:.3f} / {q['real_vs_heldout'][m]:.3f}"
                  for m in measures)] for name, q in quality["classes"].items()]),
        title="Synthetic EEG quality (vs held-out real windows)", tags=("synthesis",))
    with open(gan_dir / "losses.csv") as f:
        losses = list(csv.DictReader(f))
    fig, ax = plt.subplots(figsize=(6, 3))
    for key in ("critic_loss", "generator_loss", "wasserstein"):
        ax.plot([float(r[key]) for r in losses], label=key)
    ax.set(xlabel="epoch", title="GAN losses")
    ax.legend(fontsize=7)
    fig.tight_layout()
    report.add_figure(fig, title="GAN training", tags=("synthesis",))
    report.add_figure(_synthetic_figure(gan_dir / "samples.zarr", first_store),
                      title="Real vs synthetic", tags=("synthesis",))
    plt.close("all")

    report.add_code(yaml.safe_dump(config, sort_keys=False), title="Configuration",
                    language="yaml", tags=("provenance",))
    report.add_html(_html_table(["package", "version"], _versions()),
                    title="Software versions", tags=("provenance",))
    out.parent.mkdir(parents=True, exist_ok=True)
    report.save(out, overwrite=True, open_browser=False, verbose="error")
    log.info("summary report written to %s", out)
