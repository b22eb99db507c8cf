"""Report building blocks, and the reports of the shared tiny run (Snakemake's included)."""

import hashlib
import re

import pytest

from conftest import TINY, snakemake
from seedflow.report import provenance, results

RECORD = {"model": "cnn4d", "protocol": "subject_dependent", "dataset": "simulated",
          "n_classes": 3, "chance_level": 1 / 3, "accuracy_mean": 0.6, "accuracy_std": 0.1,
          "f1_macro_mean": 0.55, "f1_macro_std": 0.1, "n_folds": 4,
          "folds": {"sub-1_ses-1": 0.5, "sub-1_ses-2": 0.7, "sub-2_ses-1": 0.6,
                    "sub-2_ses-2": 0.6}}


def test_results_rows_have_the_augmentation_column_only_when_needed():
    augmented = {**RECORD, "augmentation": "gan", "accuracy_mean": 0.65, "accuracy_std": 0.2}
    header, table = results.results_rows([RECORD, augmented])
    assert "augmentation" in header and table[0][2] == "none" and table[1][2] == "gan"
    assert "chance" in header and "0.333" in table[0]


def test_setting_table_names_the_preset_and_the_values_used():
    setting = {"preset": "seed-classic",
               "settings": {"features.smoothing": "lds", "recognition.train_trials": 6}}
    synthesis = {**RECORD, "kind": "synthesis"}  # records without a setting are skipped
    assert results.setting_rows([synthesis, {**RECORD, "setting": setting}]) == [
        ["recognition.preset", "seed-classic"], ["features.smoothing", "lds"],
        ["recognition.train_trials", "6"]]
    assert results.setting_rows([{**RECORD, "setting": {**setting, "preset": None}}])[0] == [
        "recognition.preset", "none"]
    assert results.setting_rows([RECORD]) == []


def test_accuracy_per_subject_groups_folds_by_subject():
    assert results.fold_subject("sub-12_ses-3") == "12"
    assert results.fold_subject("fold-2") == "fold-2"
    fig = results.accuracy_per_subject([RECORD])
    bars = [p.get_height() for p in fig.axes[0].patches]
    assert bars == pytest.approx([0.6, 0.6])


def test_checksums_are_sha256_of_each_file_once(tmp_path):
    path = tmp_path / "a.mat"
    path.write_bytes(b"seed" * 1000)
    (row,) = provenance.checksums([path, path])
    assert row == [str(path), "0.0", hashlib.sha256(b"seed" * 1000).hexdigest()]
    assert dict(provenance.versions())["mne"]


@pytest.mark.slow
def test_snakemake_report_embeds_both_mne_reports(tiny_run):
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-5000:]
    out = workdir / "snakemake-report.html"
    report = snakemake(workdir, "--configfile", str(TINY), "--report", str(out))
    assert report.returncode == 0, report.stderr[-5000:]
    text = out.read_text()
    assert "MNE report of one subject" in text and "MNE summary report of the run" in text
    assert "sub-1.html" in text and "sub-2.html" in text and "report.html" in text


@pytest.mark.slow
def test_reports_are_self_contained_and_small(tiny_run):
    results_dir = tiny_run[0] / "results"
    for path in (results_dir / "summary" / "report.html", results_dir / "reports" / "sub-1.html"):
        text = path.read_text()
        assert not re.search(r"""<(?:script|img|link)\b[^>]*\b(?:src|href)=["']?(?:https?:)?//""",
                             text), f"{path} loads something from the network"
        assert path.stat().st_size < 2.5e6, f"{path}: {path.stat().st_size / 1e6:.1f} MB"


def test_channel_quality_flags_flat_nan_and_outlier_channels():
    from types import SimpleNamespace

    import mne
    import numpy as np

    from seedflow.report import recording

    names = ["FZ", "CZ", "PZ", "OZ", "T7", "T8"]
    data = np.random.default_rng(0).standard_normal((6, 400)) * 10e-6
    data[1] = 0.0              # flat: ingest lists it as bad
    data[2, :50] = np.nan      # non-finite samples in the excerpt
    data[3] *= 20              # far louder than the others
    raw = mne.io.RawArray(data, mne.create_info(names, 200.0, "eeg"), verbose="error")
    store = SimpleNamespace(ch_names=names, trial_ids=[1, 2], trial_bad_channels=[["CZ"], []])
    nan_features = np.array([0, 0, 0.25, 0, 0, 0])
    rows, std = recording.quality_rows(store, raw, nan_features)
    flagged = dict(rows)
    assert set(flagged) == {"CZ", "PZ", "OZ"}
    assert flagged["CZ"].startswith("flat or non-finite in trial(s) 1 (ingest)")
    assert "non-finite in the excerpt" in flagged["PZ"]
    assert "25% of feature windows" in flagged["PZ"] and "amplitude" in flagged["OZ"]
    assert std[0] == pytest.approx(10, rel=0.2)  # µV


def test_real_vs_synthetic_windows_align_channels_by_name(session_store_path, tmp_path):
    import numpy as np

    from seedflow.errors import SeedflowError
    from seedflow.stores.ingest import IngestStore
    from seedflow.report import synthetic
    from seedflow.stores.samples import write_windows as write_samples

    store = IngestStore.open(session_store_path)
    names = [ch.lower() for ch in store.ch_names[:5]][::-1]  # other spelling and order
    samples = np.random.default_rng(0).standard_normal((6, 100, 5)).astype(np.float32)
    meta = {"sfreq": store.sfreq, "ch_names": names, "class_names": store.class_names}
    write_samples(tmp_path / "samples.zarr", samples, np.repeat([0, 1, 2], 2), meta)
    real, fake = synthetic.aligned([session_store_path], tmp_path / "samples.zarr")
    assert real.ch_names == fake.ch_names == store.ch_names[:5]
    assert np.array_equal(fake.data[:, 0], samples[:, :, 4])  # FP1 was written last
    assert real.data.shape == (len(store.labels), 5, 100)  # one window per trial
    start = store.trial_start[0] + (store.trial_stop[0] - store.trial_start[0] - 100) // 2
    assert np.array_equal(real.data[0], store.eeg[:5, start:start + 100])
    meta["ch_names"] = [f"X{i}" for i in range(5)]
    write_samples(tmp_path / "other.zarr", samples, np.repeat([0, 1, 2], 2), meta)
    with pytest.raises(SeedflowError, match="no channel in common"):
        synthetic.aligned([session_store_path], tmp_path / "other.zarr")
