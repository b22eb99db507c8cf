"""The report of one subject: recording, quality, features, models, real vs synthetic."""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np

from seedflow.recognition.importance import summary as importance_summary
from seedflow.report import features, importance, models, recording, synthetic
from seedflow.report.common import add_figure, add_line_figure, html_table, new_report, save
from seedflow.stores.features import FeatureStore
from seedflow.stores.ingest import IngestStore


def subject_report(*, subject: str, stores: list[Path], feature_stores: list[Path],
                   fold_dirs: list[Path], samples: Path | None, out: Path,
                   excerpt_seconds: float) -> None:
    """Write ``out``: one MNE report with every view of one subject's data and models
    (real vs synthetic EEG only when ``samples``, the GAN's samples, are given)."""
    report = new_report(f"seedflow · subject {subject}")
    first = IngestStore.open(stores[0])
    fig, caption = recording.montage_figure(first.ch_names, first.sfreq)
    _add(report, fig, "Montage", ("montage",), caption)

    feature_data = [FeatureStore.open(p) for p in feature_stores]
    for store_path, feats in zip(stores, feature_data):
        _session_sections(report, IngestStore.open(store_path), feats, excerpt_seconds)

    fig, caption = features.de_topomaps(feature_data)
    caption = (f"All {len(feature_data)} session(s) of subject {subject}, "
               f"{sum(len(f.de) for f in feature_data)} windows. {caption}")
    _add(report, fig, "DE topomaps per band and class", ("features",), caption)
    for feats in feature_data:
        session = feats.attrs.get("session", "?")
        add_figure(report, features.trial_courses(feats), f"DE along trials · session {session}",
                   ("features", f"session-{session}"))

    for fold_dir in fold_dirs:
        fig, metrics = models.fold_figure(fold_dir)
        add_figure(report, fig,
                   f"Model {metrics['model']} · {metrics['protocol']} · {metrics['fold']}",
                   ("models",),
                   f"{metrics.get('n_train_windows', '?')} training and "
                   f"{metrics.get('n_test_windows', '?')} test windows; chance level "
                   f"{metrics.get('chance_level', float('nan')):.2f}; per-trial vote accuracy "
                   f"{metrics.get('trial_accuracy', float('nan')):.2f}. "
                   + models.quality_caption(metrics.get("data_quality")))

    _importance_sections(report, fold_dirs, subject)
    if samples is None:
        save(report, out)
        return
    real, fake = synthetic.aligned(stores, samples)
    if not len(real.data):
        report.add_html(f"<p>No real window to compare with: {html.escape(real.note)}</p>",
                        title="Real vs synthetic EEG", tags=("synthesis",))
        save(report, out)
        return
    bands = feature_data[0].attrs["bands"]
    what = (f"{len(real.data)} real windows (one from the middle of each trial of subject "
            f"{subject}) vs {len(fake.data)} synthetic windows of {fake.data.shape[2]} samples."
            + (f" {real.note}" if real.note else ""))
    add_figure(report, synthetic.traces_figure(real, fake), "Real vs synthetic traces",
               ("synthesis",), what)
    add_figure(report, synthetic.psd_figure(real, fake), "Real vs synthetic PSD",
               ("synthesis",), what + " Shaded: 10–90 % of windows.")
    fig, caption = synthetic.band_topomaps(real, fake, bands)
    _add(report, fig, "Real vs synthetic band-power topomaps", ("synthesis",),
         f"{what} {caption}".strip())
    save(report, out)


def _importance_sections(report, fold_dirs: list[Path], subject: str) -> None:
    """Critical bands and channels of each model × protocol over the subject's folds."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for fold_dir in fold_dirs:
        metrics = json.loads((fold_dir / "metrics.json").read_text())
        groups.setdefault((metrics["model"], metrics["protocol"]), []).append(metrics)
    if not groups:
        return
    importance.add_sections(report, [
        (model, protocol, importance_summary(folds),
         float(np.mean([f["chance_level"] for f in folds])))
        for (model, protocol), folds in groups.items()], f"subject {subject}'s folds")


def _add(report, fig, title: str, tags: tuple[str, ...], caption: str) -> None:
    """The figure with its caption, or the caption alone where there is no figure."""
    if fig is None:
        report.add_html(f"<p>{html.escape(caption)}</p>", title=title, tags=tags)
    else:
        add_figure(report, fig, title, tags, caption)


def _session_sections(report, store: IngestStore, feats: FeatureStore,
                      excerpt_seconds: float) -> None:
    session = store.attrs.get("session", "?")
    tags = ("recording", f"session-{session}")
    raw = recording.read_excerpt(store, excerpt_seconds)
    add_line_figure(report, recording.traces_figure(raw), f"Raw traces · session {session}", tags,
               f"The first {raw.times[-1]:.0f} s of {store.attrs.get('source_file', '?')}"
               + (f"; red: flagged at ingest ({', '.join(raw.info['bads'])})."
                  if raw.info["bads"] else "."))
    fig, caption = recording.psd_figure(raw)
    _add(report, fig, f"PSD · session {session}", tags, caption)

    nan_share = (~np.isfinite(feats.de)).any(axis=2).mean(axis=0) if len(feats.de) \
        else np.zeros(len(store.ch_names))
    rows, std = recording.quality_rows(store, raw, nan_share)
    add_figure(report, recording.amplitude_figure(store.ch_names, std, {r[0] for r in rows}),
               f"Channel quality · session {session}", ("quality", *tags[1:]))
    n_samples = store.eeg.shape[1]
    summary = html_table(
        ["channels", "sfreq (Hz)", "trials", "duration (s)", "bad channels (ingest)",
         "trials lost on every channel", "feature windows with NaN"],
        [[len(store.ch_names), f"{store.sfreq:g}", len(store.labels),
          f"{n_samples / store.sfreq:.0f}", ", ".join(store.bad_channels) or "none",
          ", ".join(str(t) for t in store.bad_trials) or "none",
          f"{feats.attrs.get('nan_windows', 0)} of {len(feats.de)}"]])
    trial_rows = recording.trial_quality_rows(store)
    per_trial = html_table(["trial", "class", "flat or non-finite at ingest"], trial_rows,
                           note="Non-finite samples spoil only their channel's features "
                           "within the band filters' reach; models impute those values and "
                           "leave out only windows without any finite value (see each "
                           "model's data quality below).") if trial_rows else ""
    flagged = html_table(["channel", "why it is flagged"],
                         rows or [["none", "no channel flagged"]],
                         note=f"Flagged: flat or non-finite in the recording, non-finite "
                              f"samples or features, or an excerpt amplitude more than "
                              f"{recording.AMPLITUDE_RATIO:g}× from the median channel's.")
    report.add_html(summary + per_trial + flagged, title=f"Channel table · session {session}",
                    tags=("quality", *tags[1:]))
    mapping = store.attrs.get("channel_map")
    left_out = store.attrs.get("left_out_channels")
    if mapping or left_out:
        renamed = sum(name != stored for name, stored in (mapping or {}).items())
        names = html_table(["name in the file", "stored as"], list((mapping or {}).items()),
                           note=f"{renamed} of {len(mapping or {})} channels are stored under "
                                "another name than the file's.", small=True)
        if left_out:
            names += html_table(["channel in the file", "not ingested because"],
                                list(left_out.items()),
                                note=f"{len(left_out)} channels of the file are not in the "
                                     f"store. A run stores the same channels for every "
                                     f"recording: those every recording has, or "
                                     f"dataset.channels.", small=True)
        report.add_html(names, title=f"Channel names · session {session}", tags=tags)
