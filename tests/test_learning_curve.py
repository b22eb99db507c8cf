"""The augmentation learning curve: training subsets of a fold's training trials (nested,
balanced, the test trials untouched), the signal augmentations, the arms' fold guard and the
statistics of the curve."""

import json
import math

import matplotlib.pyplot as plt

import numpy as np
import pytest
import scipy.signal
import scipy.stats
from recognition_data import make_sessions

from conftest import TINY, simulation_spec
from seedflow import cli
from seedflow.errors import SeedflowError
from seedflow.recognition import protocols, train
from seedflow.recognition.representations import trial_keys
from seedflow.report import curve
from seedflow.stores.features import FeatureStore
from seedflow.synthesis import curve_statistics, learning_curve, signal_augmentation
from specs import BANDS, config_with, train_spec
from test_rerun_contract import override, planned

RECOGNITION = {"seed": 0, "train_trials": 6, "learning_rate": 1e-3, "epochs": 1,
               "batch_size": 32}
SYNTHESIS = {"seed": 0, "steps": 4, "checkpoint_every": 2, "critic_width": 16,
             "batch_size": 8, "latent_dim": 8, "window_seconds": 2.0,
             "learning_rate": 1e-3, "beta_2": 0.9, "devices": 1,
             "mixup": {"alpha": 0.4},
             "feature_gan": {"epochs": 1, "batch_size": 16, "latent_dim": 8},
             "augmentation": {"model": "logreg", "ratio": 0.5, "curve": {
                 "arms": ["real", "signal_gan", "mixup", "ft_surrogate",
                          "frequency_shift"]}}}


@pytest.fixture(scope="module")
def sessions(tmp_path_factory):
    spec = simulation_spec(subjects=1, sessions=1, trials_per_session=9, trial_seconds=6,
                           effect_size=2.0, seed=3)
    return make_sessions(tmp_path_factory.mktemp("curve"), spec)


def curve_spec(**curve):
    synthesis = {**SYNTHESIS, "augmentation": {**SYNTHESIS["augmentation"],
                                               "curve": {**SYNTHESIS["augmentation"]["curve"],
                                                         **curve}}}
    return learning_curve.CurveSpec.from_config(
        config_with(synthesis=synthesis, features={"bands": BANDS}))


FOLD = protocols.Fold("subject_dependent", "sub-1_ses-1", (("1", "1"),))


def two_sessions():
    """Two sessions of 9 trials (3 per class, SEED's order); trials 1-6 train."""
    labels = np.tile([2, 1, 0, 0, 1, 2, 2, 1, 0], 2)
    keys = trial_keys(np.full(18, "1"), np.repeat(["1", "2"], 9), np.tile(np.arange(1, 10), 2))
    return keys, labels, keys["trial"] <= 6


def test_subsets_are_balanced_nested_and_drawn_from_the_training_trials_only():
    keys, labels, train_mask = two_sessions()
    for seed in (0, 1, 2):
        previous = np.zeros(len(keys), dtype=bool)
        for n in (1, 2):
            chosen = learning_curve.training_subset(keys, labels, train_mask, n, seed)
            assert not (chosen & ~train_mask).any()
            for session in ("1", "2"):
                for label in (0, 1, 2):
                    here = chosen & (keys["session"] == session) & (labels == label)
                    assert here.sum() == n
            assert (chosen[previous]).all()  # nested: the smaller set is in the larger
            previous = chosen
        everything = learning_curve.training_subset(keys, labels, train_mask, None, seed)
        assert (everything == train_mask).all()
    draws = {tuple(np.flatnonzero(learning_curve.training_subset(keys, labels, train_mask,
                                                                 1, seed)))
             for seed in range(6)}
    assert len(draws) > 1  # the seed draws the subset
    with pytest.raises(SeedflowError, match="trials_per_class: 3 training trials of class"):
        learning_curve.training_subset(keys, labels, train_mask, 3, 0)


def test_the_ft_surrogate_keeps_the_amplitude_spectrum_and_changes_the_phases():
    rng = np.random.default_rng(0)
    mixing = rng.standard_normal((4, 4))
    x = (mixing @ rng.standard_normal((4, 501))).astype(np.float64)
    y = signal_augmentation.ft_surrogate(x, np.random.default_rng(1))
    fx, fy = np.fft.rfft(x), np.fft.rfft(y)
    np.testing.assert_allclose(np.abs(fy), np.abs(fx), rtol=1e-8, atol=1e-8)
    changed = np.abs(np.angle(fy[:, 1:] * np.conj(fx[:, 1:])))
    assert np.median(changed) > 0.5  # phases moved (uniformly: median |shift| ~ pi / 2)
    # one phase shift for every channel: the cross-spectra, hence correlations, are kept
    np.testing.assert_allclose(fy[0] * np.conj(fy[1]), fx[0] * np.conj(fx[1]), rtol=1e-6,
                               atol=1e-6)
    unchanged = signal_augmentation.ft_surrogate(x, np.random.default_rng(1),
                                                 phase_noise_magnitude=0.0)
    np.testing.assert_allclose(unchanged, x, atol=1e-10)


def test_the_frequency_shift_moves_a_sine_by_the_shift():
    sfreq = 200.0
    t = np.arange(2000) / sfreq
    x = np.sin(2 * np.pi * 10 * t)[None]
    shifted = signal_augmentation.frequency_shift(x, sfreq, 2.5)
    freqs, power = scipy.signal.periodogram(shifted[0], sfreq)
    assert freqs[np.argmax(power)] == pytest.approx(12.5, abs=0.1)


def test_the_curve_statistics_on_known_accuracies(tmp_path, capsys):

    folds, seeds = ["sub-1_ses-1", "sub-2_ses-1", "sub-3_ses-1", "sub-4_ses-1"], [0, 1]
    real = np.array([[0.5, 0.6], [0.4, 0.5], [0.7, 0.6], [0.5, 0.5]])
    gain = np.array([[0.1, 0.0], [0.2, 0.1], [-0.1, 0.0], [0.05, 0.05]])
    cells = [{"model": "logreg", "fold": f, "seed": s, "trials_per_class": size,
              "n_classes": 3, "train_trials": [["1", "1", "1"]] * 3,
              "arms": {"real": {"accuracy": real[i, j], "f1_macro": real[i, j],
                                "chance_level": 1 / 3},
                       "mixup": {"accuracy": real[i, j] + gain[i, j],
                                 "f1_macro": real[i, j], "chance_level": 1 / 3,
                                 "synthetic_ratio": 1.0, "n_synthetic_windows": 90}}}
             for size in ("all", "1") for i, f in enumerate(folds) for j, s in enumerate(seeds)]
    records = curve_statistics.curve_records(cells, "simulated")
    assert [(r["trials_per_class"], r["augmentation"]) for r in records] == [
        ("1", "real"), ("1", "mixup"), ("all", "real"), ("all", "mixup")]
    mixup = records[1]
    assert mixup["kind"] == "augmentation_curve" and mixup["n_folds"] == 4
    assert mixup["gain_mean"] == pytest.approx(gain.mean())
    assert mixup["gain_std"] == pytest.approx(gain.std())
    assert mixup["gain_folds"]["sub-2_ses-1"] == pytest.approx(0.15)
    assert mixup["accuracy_mean"] == pytest.approx((real + gain).mean())
    assert records[0]["folds"]["sub-1_ses-1"] == pytest.approx(0.55)
    expected = scipy.stats.wilcoxon((real + gain).mean(axis=1), real.mean(axis=1))
    test = mixup["paired_test"]
    assert test["p_value"] == pytest.approx(expected.pvalue)
    assert test["n_pairs"] == 4 and test["smallest_possible_p_value"] == 0.125
    assert "little power" in test["note"]
    with pytest.raises(ValueError, match="cells missing"):
        curve_statistics.curve_records(cells[:-1], "simulated")
    # the summary report's table and plot of the same records
    header, rows = curve_statistics.gain_rows(records)
    assert [row[:2] for row in rows] == [["1", "mixup"], ["all", "mixup"]]
    assert rows[0][4] == f"{gain.mean():+.3f} ± {gain.std():.3f}" and rows[0][6] == "4 × 2"
    # seedflow curve-table: the same rows as Markdown; a run without the curve is an error
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps([{"model": "logreg", "accuracy_mean": 0.6}, *records]))
    assert cli.main(["curve-table", str(metrics)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "| " + " | ".join(header) + " |" and len(printed) == 2 + len(rows)
    assert printed[2].startswith("| 1 | mixup | ") and "4 × 2" in printed[2]
    metrics.write_text(json.dumps([{"model": "logreg", "accuracy_mean": 0.6}]))
    assert cli.main(["curve-table", str(metrics)]) == 1
    assert "no augmentation_curve records" in capsys.readouterr().err
    figure = curve.curve_figure(records)
    lines = {c.get_label(): c.lines[0] for c in figure.axes[0].containers}
    assert set(lines) == {"real", "mixup"}
    np.testing.assert_allclose(np.asarray(lines["real"].get_ydata(), dtype=float),
                               [real.mean()] * 2)
    plt.close(figure)


def test_the_signal_arms_compute_de_as_the_features_stage(sessions):
    """A surrogate with no phase noise is the signal itself: its DE must be the stored DE
    of the same trial (same filters, windows and trial edges)."""
    store = FeatureStore.open(sessions[0].features)
    spec = curve_spec().features
    keys = trial_keys(np.array(["1"]), np.array(["1"]), np.array([2]))
    signals, labels, sfreq, ch_names, kept, left_out = learning_curve.prepared_trials(
        sessions, keys, spec)
    assert len(signals) == 1 and not left_out and ch_names == store.attrs["ch_names"]
    same = signal_augmentation.ft_surrogate(signals[0], np.random.default_rng(0),
                                            phase_noise_magnitude=0.0)
    stored = store.de[store.trial_id == 2]
    de = learning_curve.de_of_signals(np.stack([same, signals[0]]), sfreq, spec)
    for each in de:  # a batch of segments: each its own trial
        np.testing.assert_allclose(each, stored, rtol=1e-4, atol=1e-4)
    # two short segments of it, each taken as a trial: their DE differs from the trial's
    # near the segment edges (the filters' reach), as the features stage's would
    win = int(sfreq)
    halves = learning_curve.de_of_signals(
        np.stack([signals[0][:, :3 * win], signals[0][:, 3 * win:6 * win]]), sfreq, spec)
    one = learning_curve.de_of_signals(signals[0][None, :, :3 * win], sfreq, spec)
    np.testing.assert_allclose(halves[0], one[0], rtol=1e-6)
    assert not np.allclose(halves[0], stored[:3], rtol=1e-4, atol=1e-4)


def test_every_arm_sees_only_the_subset_and_tests_on_the_same_trials(sessions, tmp_path,
                                                                     monkeypatch):
    spec = curve_spec()
    model = "logreg"
    seen = {}
    make = learning_curve.arm_augmentation

    class Watched:
        """An arm that records the trials it was given and those it says it used."""

        def __init__(self, inner, size):
            self.inner, self.size = inner, size
            self.spec, self.checkpoint = inner.spec, inner.checkpoint

        def __call__(self, model, samples, features):
            synthetic = self.inner(model, samples, features)
            seen[(self.size, self.spec.arm)] = (set(samples.trial_id.tolist()), set(
                synthetic.source_trials["trial"].tolist()))
            return synthetic

    def watched(arm, *args):
        inner = make(arm, *args)
        return None if inner is None else Watched(inner, watched.size)

    monkeypatch.setattr(learning_curve, "arm_augmentation", watched)
    cells = {}
    for size in ("1", "2", "all"):
        watched.size = size
        cells[size] = learning_curve.run_cell(
            model=model, fold=FOLD, sessions=sessions, out_dir=tmp_path / size,
            train_spec=train_spec(model, RECOGNITION), spec=spec, size=size, seed=0,
            checkpoint_dir=tmp_path / "checkpoints" / size)
    trials = {size: {int(t) for _, _, t in cell["train_trials"]} for size, cell in cells.items()}
    assert trials["all"] == {1, 2, 3, 4, 5, 6}
    assert len(trials["1"]) == 3 and len(trials["2"]) == 6  # 2 training trials per class
    assert trials["1"] < trials["2"] <= trials["all"]
    assert len({json.dumps(cell["test_trials"]) for cell in cells.values()}) == 1
    assert {int(t) for _, _, t in cells["1"]["test_trials"]} == {7, 8, 9}
    for (size, arm), (given, source) in seen.items():
        assert given == trials[size], (size, arm)  # the generator got the subset only
        assert source == trials[size], (size, arm)
    assert {arm for _, arm in seen} == set(spec.arms) - {"real"}
    for size, cell in cells.items():
        real_windows = cell["arms"]["real"]["n_train_windows"]
        for arm in set(spec.arms) - {"real"}:
            result = cell["arms"][arm]
            assert result["n_real_train_windows"] == real_windows
            assert result["n_synthetic_windows"] == 3 * math.ceil(0.5 * real_windows / 3)
        metrics = json.loads((tmp_path / size / "real" / "metrics.json").read_text())
        assert metrics["n_train_windows"] == real_windows


def test_a_training_subset_with_a_test_trial_is_refused(sessions, tmp_path):
    keys = trial_keys(np.array(["1", "1"]), np.array(["1", "1"]), np.array([1, 8]))
    with pytest.raises(ValueError, match="not the fold's training trials"):
        train.train_fold(model="logreg", fold=FOLD, sessions=sessions, out_dir=tmp_path,
                         spec=train_spec("logreg", RECOGNITION), train_trials=keys)


def test_signal_arms_with_smoothed_features_are_refused_naming_the_key():
    config = config_with(features={"smoothing": "lds"},
                         synthesis={"augmentation": {"model": "logreg"}})
    with pytest.raises(SeedflowError, match="features.smoothing"):
        learning_curve.check(config)


def test_the_workflow_plans_one_curve_job_per_fold_size_and_seed(tmp_path):
    """A dry run of tests/tiny.yaml (2 subjects × 1 session, 1 training trial per class)
    with the curve on: its cells, and the summary metrics reading them."""
    curve = override(tmp_path, "curve", {"synthesis": {"augmentation": {"curve": {
        "enabled": True, "trials_per_class": [1], "seeds": [0, 4],
        "arms": ["real", "ft_surrogate"]}}}})
    jobs = planned(tmp_path, TINY, curve)
    cells = sorted((w["fold"], w["size"], w["seed"]) for rule, w in jobs
                   if rule == "augmentation_curve")
    assert cells == [(f"sub-{s}_ses-1", size, seed) for s in ("1", "2")
                     for size in ("1", "all") for seed in ("0", "4")]
    assert {w["model"] for rule, w in jobs if rule == "augmentation_curve"} == {"cnn4d"}
    assert "metrics" in {rule for rule, _ in jobs}


def test_a_size_above_the_training_trials_of_a_class_stops_before_any_job():
    from pathlib import Path

    from seedflow.datasets.base import SessionHeader, Trial

    labels = [2, 1, 0, 0, 1, 2, 0, 1, 2]  # first 6 train: 2 trials of each class
    header = SessionHeader(Path("1_20131027.mat"), ("Fp1",), 200.0,
                           tuple(Trial(i + 1, k, 2000) for i, k in enumerate(labels)),
                           ("negative", "neutral", "positive"))

    def config(sizes, validation=0):
        return config_with(recognition={"train_trials": 6, "validation_trials": validation},
                           synthesis={"augmentation": {"curve": {"trials_per_class": sizes}}})

    learning_curve.check_sizes(config([1, 2]), {("1", "1"): header})
    with pytest.raises(SeedflowError, match=r"trials_per_class: 3 training trials of class "
                       r"'negative' asked, sub-1 ses-1 \(1_20131027.mat\) has 2"):
        learning_curve.check_sizes(config([1, 3]), {("1", "1"): header})
    with pytest.raises(SeedflowError, match="has 1 .*1 of them validate"):
        learning_curve.check_sizes(config([2], validation=1), {("1", "1"): header})
