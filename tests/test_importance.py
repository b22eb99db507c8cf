"""Critical bands and channels (seedflow.recognition.importance): on planted data the
planted band and channel come out, for feature and raw-window inputs; the numbers repeat
with the seed; the workflow's folds and summary carry them."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from seedflow.channels import SEED_62, to_grid
from seedflow.recognition import representations
from seedflow.recognition.importance import BEST_K, entry_map, fold_importance, summary
from seedflow.recognition.representations import KINDS, Samples

BANDS = {"delta": [1, 4], "theta": [4, 8], "alpha": [8, 14], "beta": [14, 31],
         "gamma": [31, 50]}
PLANTED_CHANNEL, PLANTED_BAND = SEED_62.index("T7"), 3  # beta on T7


def samples(x, y, sfreq=200.0) -> Samples:
    n = len(y)
    return Samples(x, y, np.full(n, "1"), np.full(n, "1"), np.arange(n), np.arange(n),
                   ["a", "b"], {"sfreq": sfreq})


def planted_features(n: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """(n, 62, 5) DE-like values: the class moves only beta on T7."""
    y = np.arange(n) % 2
    x = rng.normal(size=(n, 62, 5)).astype(np.float32)
    x[:, PLANTED_CHANNEL, PLANTED_BAND] += 3.0 * (2 * y - 1)
    return x, y


def model_on(x_train, y_train):
    model = make_pipeline(SimpleImputer(keep_empty_features=True),
                          LogisticRegression(max_iter=500))
    model.fit(x_train.reshape(len(x_train), -1), y_train)
    return lambda x: model.predict_proba(np.asarray(x).reshape(len(x), -1))


def check_planted(result: dict) -> None:
    base = result["accuracy"]
    assert base > 0.9
    bands = result["bands"]
    beta = list(BANDS)[PLANTED_BAND]
    assert bands[beta]["removed"] < 0.7 and bands[beta]["only"] > 0.9
    for band in set(BANDS) - {beta}:  # the others matter far less, alone carry little
        assert bands[band]["removed"] > bands[beta]["removed"] + 0.15
        assert bands[band]["only"] < 0.7
    channels = result["channels"]
    assert max(channels, key=channels.get) == "T7"
    assert channels["T7"] > 0.3
    assert all(abs(v) < 0.1 for ch, v in channels.items() if ch != "T7")
    for best in result["best_k"].values():
        assert best["channels"][0] == "T7" and best["accuracy"] > 0.9


ARRANGE = {"flat": lambda v: v.reshape(len(v), -1), "grid": lambda v: to_grid(v, SEED_62),
           "channels_bands": lambda v: v}  # (n, 62, 5): dgcnn's input


@pytest.mark.parametrize("kind", list(ARRANGE))
def test_the_planted_band_and_channel_of_a_feature_model_come_out(kind):
    rng = np.random.default_rng(0)
    (x_train, y_train), (x_test, y_test) = planted_features(400, rng), planted_features(200,
                                                                                       rng)
    arrange = ARRANGE[kind]
    predict = model_on(arrange(x_train), y_train)
    result = fold_importance(predict, samples(arrange(x_test), y_test),
                             samples(arrange(x_train), y_train), "train", kind=kind,
                             ch_names=list(SEED_62), bands=BANDS, repeats=2, seed=0)
    check_planted(result)
    assert sorted(result["best_k"], key=int) == [str(k) for k in BEST_K]
    assert result["ranked_on"] == "train" and result["band_removal"] == "permuted"
    assert result["channels_not_in_input"] == []


RAW_CHANNELS = ["FP1", "FZ", "T7", "C3", "CZ", "C4", "T8", "OZ"]


def planted_raw(n: int, rng, sfreq=128.0):
    """Raw windows (n, 8 electrodes, 1 s, 1) of noise; class b adds a 20 Hz (beta) sine on
    T7."""
    y = np.arange(n) % 2
    t = np.arange(int(sfreq)) / sfreq
    x = rng.normal(size=(n, len(RAW_CHANNELS), len(t), 1)).astype(np.float32)
    x[:, RAW_CHANNELS.index("T7"), :, 0] += (
        3.0 * y[:, None] * np.sin(2 * np.pi * 20 * t + rng.uniform(0, 6, (n, 1))))
    return x, y


def band_power_model(x_train, y_train, sfreq=128.0):
    """Logistic regression on band power per electrode and band (FFT of the window); not
    its log, which would make a band filtered away an outlier rather than a quiet band. A
    missing (masked) electrode's powers are imputed with their training mean."""
    def features(x):
        x = np.asarray(x)[..., 0]
        power = np.abs(np.fft.rfft(x, axis=-1)) ** 2
        freqs = np.fft.rfftfreq(x.shape[-1], 1 / sfreq)
        return np.stack([power[..., (freqs >= lo) & (freqs < hi)].mean(axis=-1)
                         for lo, hi in BANDS.values()], axis=-1)
    predict = model_on(features(x_train), y_train)
    return lambda x: predict(features(x))


def test_the_planted_band_and_channel_of_a_raw_window_model_come_out():
    rng = np.random.default_rng(1)
    (x_train, y_train), (x_test, y_test) = planted_raw(300, rng), planted_raw(200, rng)
    result = fold_importance(band_power_model(x_train, y_train),
                             samples(x_test, y_test, sfreq=128.0),
                             samples(x_train, y_train, sfreq=128.0), "train", kind="raw",
                             ch_names=RAW_CHANNELS, bands=BANDS, repeats=1, seed=0)
    assert result["band_removal"] == "band-stop filtered"
    check_planted(result)
    assert sorted(result["best_k"], key=int) == ["4", "6"]  # k below the 8 channels


def test_the_same_seed_gives_the_same_numbers_another_seed_others():
    rng = np.random.default_rng(2)
    (x_train, y_train), (x_test, y_test) = planted_features(200, rng), planted_features(100,
                                                                                       rng)
    flat = lambda v: v.reshape(len(v), -1)  # noqa: E731
    predict = model_on(flat(x_train), y_train)

    def run(seed):
        return fold_importance(predict, samples(flat(x_test), y_test),
                               samples(flat(x_train), y_train), "train", kind="flat",
                               ch_names=list(SEED_62), bands=BANDS, repeats=2, seed=seed)

    first = run(0)
    assert json.dumps(run(0)) == json.dumps(first)
    assert run(1)["channels"] != first["channels"]


def test_summary_averages_folds():
    fold = {"accuracy": 0.8, "band_removal": "permuted", "ranked_on": "train",
            "bands": {"alpha": {"removed": 0.5, "only": 0.7}},
            "channels": {"T7": 0.2, "Cz": 0.0}, "channels_not_in_input": [],
            "best_k": {"4": {"accuracy": 0.6, "channels": ["T7", "Cz", "Pz", "Oz"]}}}
    other = json.loads(json.dumps(fold))
    other["bands"]["alpha"]["removed"], other["channels"]["T7"] = 0.7, 0.4
    other["best_k"]["4"]["channels"] = ["T7", "Fz", "Pz", "Oz"]
    out = summary([{"importance": fold}, {"importance": other}, {"accuracy": 0.3}])
    assert out["n_folds"] == 2
    assert out["bands"]["alpha"]["removed"] == pytest.approx({"mean": 0.6, "std": 0.1})
    assert out["channels"]["T7"] == pytest.approx(0.3)
    chosen = out["best_k"]["4"]["chosen"]
    assert list(chosen.items()) == [("T7", 2), ("Pz", 2), ("Oz", 2), ("Cz", 1), ("Fz", 1)]
    assert summary([{"accuracy": 0.3}]) is None


def test_the_workflow_writes_importance_per_fold_and_per_model(tiny_run):
    workdir, result = tiny_run
    assert result.returncode == 0, result.stderr[-3000:]
    results = workdir / "results"
    folds = sorted((results / "models" / "cnn4d" / "subject_dependent").glob("*/metrics.json"))
    assert folds
    for path in folds:
        fold = json.loads(path.read_text())
        importance = fold["importance"]
        assert importance["accuracy"] == pytest.approx(fold["accuracy"])
        assert set(importance["bands"]) == set(BANDS)
        assert set(importance["channels"]) == set(SEED_62)
        assert sorted(importance["best_k"], key=int) == [str(k) for k in BEST_K]
        assert importance["ranked_on"] == "train"
    records = json.loads((results / "summary" / "metrics.json").read_text())
    record = next(r for r in records if r["model"] == "cnn4d" and "kind" not in r
                  and not r.get("augmentation"))
    assert record["importance"]["n_folds"] == len(folds)


# Sequences ("sequence", "grid_sequence") stack windows of the flat and grid layouts, and raw
# windows have no band axis (tested above).
WINDOW_KINDS = ["grid", "psd_grid", "flat", "channels_bands", "grid4d"]


@pytest.mark.parametrize("kind", WINDOW_KINDS)
def test_each_entry_of_a_feature_representation_is_mapped_to_its_channel_and_band(kind):
    """entry_map agrees with the representation's own layout (representations.arranged, which it is built from):
    a value coding (channel, band) sits where entry_map says that channel and band are."""
    n_features = 10 if kind == "grid4d" else 5  # grid4d: DE then log PSD of every band
    code = (np.arange(62)[:, None] * 100 + np.arange(n_features) % 5)[None].astype(float)
    arranged = representations.arranged(code, kind, list(SEED_62))[0]
    chan, band = entry_map(kind, list(SEED_62), 5, arranged.shape)
    present = chan >= 0
    np.testing.assert_array_equal(arranged[present], (chan * 100 + band)[present])
    assert set(np.unique(chan[present])) == set(range(62))
    assert set(KINDS) == {*WINDOW_KINDS, "sequence", "grid_sequence", "raw"}  # none untested
