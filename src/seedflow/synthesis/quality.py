"""How close synthetic examples are to held-out real ones, per class.

Signal level (windows ``(n, time, channels)`` in volts):
- ``band_log_power``: mean over channels and bands of |difference of mean log10 band power|
  (decades), also given per channel (``band_log_power_per_channel``, mean over bands);
- ``psd_shape``: total-variation distance (0..1) between the mean PSDs normalised to unit
  area over 1 Hz .. Nyquist, averaged over channels;
- ``channel_correlation``: RMS difference of the mean channel-correlation matrices;
- ``c2st_auc``: classifier two-sample test, the cross-validated ROC AUC of a logistic
  regression telling the two sets apart (0.5 = indistinguishable, 1 = fully separable).
Feature level (DE, ``(n, channels, bands)``): ``mean_de`` (mean |difference of mean DE|,
nats) and ``c2st_auc``. Across classes: train-synthetic-test-real (TSTR) accuracy of the
same classifier, next to train-real-test-real (TRTR) as the reference.
The classifiers read log band power per channel and band (DE at feature level).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.signal
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seedflow.recognition.metrics import fold_metrics, summary_record

log = logging.getLogger(__name__)

CLASSIFIER = "logistic regression on log band power (signal) or DE (features), standardised"


def _classifier():
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))


def _welch(windows: np.ndarray, sfreq: float):
    return scipy.signal.welch(windows.astype(np.float64), fs=sfreq, axis=1,
                              nperseg=min(windows.shape[1], int(sfreq)))


def band_log_power(windows: np.ndarray, sfreq: float, bands: dict) -> np.ndarray:
    """log10 band power per window, channel and band: (n, channels, bands)."""
    freqs, psd = _welch(windows, sfreq)
    power = [psd[:, (freqs >= lo) & (freqs < hi), :].mean(axis=1) for lo, hi in bands.values()]
    return np.log10(np.stack(power, axis=-1) + 1e-30)


def _psd_shape(windows: np.ndarray, sfreq: float) -> np.ndarray:
    freqs, psd = _welch(windows, sfreq)
    mean = psd[:, freqs >= 1.0, :].mean(axis=0)
    return mean / mean.sum(axis=0, keepdims=True)


def _mean_correlation(windows: np.ndarray) -> np.ndarray:
    return np.mean([np.corrcoef(w.T) for w in windows], axis=0)


def c2st_auc(a: np.ndarray, b: np.ndarray, folds: int, seed: int) -> float:
    """Cross-validated AUC of telling feature rows ``a`` from ``b`` (balanced by subsampling)."""
    rng = np.random.default_rng(seed)
    n = min(len(a), len(b))
    if n < folds:
        return float("nan")
    x = np.concatenate([a[rng.choice(len(a), n, replace=False)],
                        b[rng.choice(len(b), n, replace=False)]]).reshape(2 * n, -1)
    y = np.repeat([0, 1], n)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scores = cross_val_predict(_classifier(), x, y, cv=cv, method="predict_proba")[:, 1]
    return float(roc_auc_score(y, scores))


def signal_distances(a: np.ndarray, b: np.ndarray, folds: int, seed: int, *, sfreq: float,
                     bands: dict) -> dict:
    """Every signal-level distance between window sets ``a`` and ``b`` of one class."""
    power_a, power_b = band_log_power(a, sfreq, bands), band_log_power(b, sfreq, bands)
    band = np.abs(power_a.mean(axis=0) - power_b.mean(axis=0))
    corr = _mean_correlation(a) - _mean_correlation(b)
    shape = 0.5 * np.abs(_psd_shape(a, sfreq) - _psd_shape(b, sfreq)).sum(axis=0)
    return {"band_log_power": float(band.mean()),
            "band_log_power_per_channel": band.mean(axis=1).round(4).tolist(),
            "psd_shape": float(shape.mean()),
            "channel_correlation": float(np.sqrt((corr**2).mean())),
            "c2st_auc": c2st_auc(power_a, power_b, folds, seed)}


def feature_distances(a: np.ndarray, b: np.ndarray, folds: int, seed: int) -> dict:
    """Feature-level distances between DE sets ``a`` and ``b`` (n, channels, bands)."""
    return {"mean_de": float(np.abs(a.mean(axis=0) - b.mean(axis=0)).mean()),
            "c2st_auc": c2st_auc(a, b, folds, seed)}


def train_test(x_train, y_train, x_test, y_test, n_classes: int) -> dict:
    """Fit the classifier on one set, score it on another (accuracy, macro-F1, recall...)."""
    model = _classifier().fit(x_train.reshape(len(x_train), -1), y_train)
    return fold_metrics(y_test, model.predict(x_test.reshape(len(x_test), -1)), n_classes)


def report(synthetic, real_train, heldout, class_names: list[str], distance, folds: int,
           seed: int, features=lambda x: x) -> dict:
    """Per class: synthetic vs held-out and real training vs held-out (the reference);
    overall: TSTR and TRTR. Each argument is a pair (examples, labels)."""
    classes = {}
    for k, name in enumerate(class_names):
        pick = lambda pair: pair[0][pair[1] == k]  # noqa: E731
        if not (len(pick(heldout)) and len(pick(real_train)) and len(pick(synthetic))):
            log.warning("class %s: no windows on one side (held-out, training or synthetic); "
                        "its distances are left out", name)
            continue
        classes[name] = {
            "synthetic_vs_heldout": distance(pick(synthetic), pick(heldout), folds, seed),
            "real_vs_heldout": distance(pick(real_train), pick(heldout), folds, seed),
        }
    n = len(class_names)
    test = (features(heldout[0]), heldout[1])
    return {"classes": classes, "classifier": CLASSIFIER,
            "train_synthetic_test_real": train_test(features(synthetic[0]), synthetic[1],
                                                    *test, n),
            "train_real_test_real": train_test(features(real_train[0]), real_train[1],
                                               *test, n)}


def summary_records(results: list[dict], dataset: str) -> list[dict]:
    """Records for the summary metrics.json, one per generator: the recognition record's
    fields (accuracy = TSTR accuracy, one fold per GAN group: pooled or a subject) plus
    ``kind``, the TRTR reference, the quality per group and class, and the loss curves."""
    by_generator: dict[str, list[dict]] = {}
    for result in results:
        by_generator.setdefault(result["generator"], []).append(result)
    records = []
    for generator, items in sorted(by_generator.items()):
        folds = {r["group"]: r["train_synthetic_test_real"] for r in items}
        trtr = np.array([r["train_real_test_real"]["accuracy"] for r in items])
        n_classes = len(items[0]["train_synthetic_test_real"]["recall_per_class"])
        records.append({
            **summary_record(generator, "train_synthetic_test_real", dataset, n_classes,
                             folds),
            "kind": "synthesis",
            "level": items[0]["level"],
            "classifier": items[0]["classifier"],
            "train_real_test_real_accuracy_mean": float(trtr.mean()),
            "quality": {r["group"]: r["classes"] for r in items},
            "losses": {r["group"]: r["losses"] for r in items if "losses" in r},
        })
    return records
