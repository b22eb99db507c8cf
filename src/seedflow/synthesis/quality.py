"""How close synthetic examples are to held-out real ones, per class.

Signal level (windows ``(n, time, channels)`` in volts):
- ``band_log_power``: mean over channels and bands of |difference of mean log10 band power|
  (decades), also given per channel (``band_log_power_per_channel``, mean over bands);
- ``psd_shape``: total-variation distance (0..1) between the mean PSDs normalised to unit
  area over 1 Hz .. Nyquist, averaged over channels;
- ``channel_correlation``: RMS difference of the mean channel-correlation matrices;
- ``c2st_auc``: classifier two-sample test, the cross-validated ROC AUC of a logistic
  regression on log band power telling the two sets apart (0.5 = indistinguishable, 1 =
  fully separable);
- ``conv_c2st_auc`` with ``conv_c2st_ci95``: the same test with a small convolutional
  network on the raw windows (which sees waveform shape, phase coupling and transients that
  band power cannot), the AUC of its pooled out-of-fold scores with DeLong's 95 % interval
  (approximate: the folds' networks differ);
- ``sliced_wasserstein``: mean over random unit directions in window space of the 1-D
  Wasserstein-1 distance between the projected windows (standardised per channel with the
  held-out windows' statistics);
- ``frechet_distance``: the Fréchet distance between Gaussian fits of the embeddings (the
  penultimate layer) of a convolutional recognition model trained on the real training
  windows (the EEG analogue of FID); ``frechet_ratio``: it divided by the real training vs
  held-out value (1 on the real side by definition).
Feature level (DE, ``(n, channels, bands)``): ``mean_de`` (mean |difference of mean DE|,
nats) and ``c2st_auc``. Across classes: train-synthetic-test-real (TSTR) accuracy of the
same classifier, next to train-real-test-real (TRTR) as the reference.
The classifiers read log band power per channel and band (DE at feature level).
"""

from __future__ import annotations

import logging

import numpy as np
import scipy.linalg
import scipy.signal
import scipy.stats
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from seedflow.errors import SeedflowError
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
                     bands: dict, networks: "ConvMeasures | None" = None) -> dict:
    """Every signal-level distance between window sets ``a`` and ``b`` of one class
    (``networks``: the convolutional measures, left out when None)."""
    power_a, power_b = band_log_power(a, sfreq, bands), band_log_power(b, sfreq, bands)
    band = np.abs(power_a.mean(axis=0) - power_b.mean(axis=0))
    corr = _mean_correlation(a) - _mean_correlation(b)
    shape = 0.5 * np.abs(_psd_shape(a, sfreq) - _psd_shape(b, sfreq)).sum(axis=0)
    standardise = _standardiser(b)
    out = {"band_log_power": float(band.mean()),
           "band_log_power_per_channel": band.mean(axis=1).round(4).tolist(),
           "psd_shape": float(shape.mean()),
           "channel_correlation": float(np.sqrt((corr**2).mean())),
           "c2st_auc": c2st_auc(power_a, power_b, folds, seed),
           "sliced_wasserstein": sliced_wasserstein(standardise(a), standardise(b), seed)}
    if networks is not None:
        out.update(networks(a, b, folds, seed))
    return out


# ------------------------------------------------------------------ measures on raw windows
def _standardiser(reference: np.ndarray):
    mean = reference.mean(axis=(0, 1), keepdims=True)
    std = reference.std(axis=(0, 1), keepdims=True) + 1e-12
    return lambda x: ((x - mean) / std).astype(np.float32)


def delong_auc(y: np.ndarray, scores: np.ndarray, level: float = 0.95):
    """(AUC, low, high): ROC AUC of ``scores`` for binary ``y`` with DeLong's variance
    (DeLong et al. 1988, midrank form of Sun & Xu 2014). Written by hand: scikit-learn and
    SciPy give the AUC but not its variance."""
    y = np.asarray(y).astype(bool)
    pos, neg = scores[y], scores[~y]
    m, n = len(pos), len(neg)
    ranks = scipy.stats.rankdata(np.concatenate([pos, neg]))
    v10 = (ranks[:m] - scipy.stats.rankdata(pos)) / n
    v01 = 1.0 - (ranks[m:] - scipy.stats.rankdata(neg)) / m
    auc = v10.mean()
    var = v10.var(ddof=1) / m + v01.var(ddof=1) / n
    half = scipy.stats.norm.ppf(0.5 + level / 2) * np.sqrt(max(var, 0.0))
    return float(auc), float(max(0.0, auc - half)), float(min(1.0, auc + half))


def sliced_wasserstein(a: np.ndarray, b: np.ndarray, seed: int,
                       n_projections: int = 256) -> float:
    """Mean over ``n_projections`` random unit directions of the 1-D Wasserstein-1 distance
    between the projections of windows ``a`` and ``b`` (n, time, channels)."""
    xa, xb = a.reshape(len(a), -1), b.reshape(len(b), -1)
    directions = np.random.default_rng(seed).standard_normal((xa.shape[1], n_projections))
    directions /= np.linalg.norm(directions, axis=0, keepdims=True)
    pa, pb = xa @ directions, xb @ directions
    return float(np.mean([scipy.stats.wasserstein_distance(pa[:, j], pb[:, j])
                          for j in range(n_projections)]))


def frechet_distance(ea: np.ndarray, eb: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) of Gaussian fits (Heusel 2017)."""
    mu = ea.mean(0) - eb.mean(0)
    sa, sb = np.cov(ea, rowvar=False), np.cov(eb, rowvar=False)
    covmean = scipy.linalg.sqrtm(sa @ sb).real
    return float(mu @ mu + np.trace(sa + sb - 2 * covmean))


def build_conv_net(n_times: int, n_channels: int, n_outputs: int, width: int = 16,
                   embedding: int = 32):
    """Spatial filters, temporal filters; log-variance pooling (power, as in ShallowFBCSPNet)
    next to strided convolutions with mean and max pooling (shape); an embedding layer;
    ``n_outputs`` logits."""
    import keras
    from keras import layers, ops

    x_in = keras.Input((n_times, n_channels))
    x = layers.Conv1D(width, 1, use_bias=False)(x_in)
    x = layers.Conv1D(width, 9, padding="same")(x)
    power = ops.log(ops.mean(ops.square(x), axis=1) + 1e-4)
    y = x
    for _ in range(3):
        y = layers.LeakyReLU(0.2)(layers.Conv1D(2 * width, 7, strides=2, padding="same")(y))
    h = layers.Concatenate()([power, layers.GlobalAveragePooling1D()(y),
                              layers.GlobalMaxPooling1D()(y)])
    embedded = layers.Dense(embedding, activation="tanh", name="embedding")(h)
    return keras.Model(x_in, layers.Dense(n_outputs)(embedded))


class _Net:
    """One compiled network, re-initialised before each fit (one trace for every fit)."""

    def __init__(self, n_times: int, n_channels: int, n_outputs: int, seed: int, epochs: int):
        import keras

        keras.utils.set_random_seed(seed)
        self.model = build_conv_net(n_times, n_channels, n_outputs)
        loss = (keras.losses.BinaryCrossentropy(from_logits=True) if n_outputs == 1 else
                keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        self.model.compile(keras.optimizers.Adam(3e-3), loss)
        self.model.optimizer.build(self.model.trainable_variables)
        self.initial = self.model.get_weights()
        # Its learning rate is one of them: restored, not zeroed.
        self.initial_optimizer = [keras.ops.convert_to_numpy(v.value)
                                  for v in self.model.optimizer.variables]
        self.epochs = epochs

    def fit(self, x, y, seed: int) -> "_Net":
        import keras

        self.model.set_weights(self.initial)
        for v, value in zip(self.model.optimizer.variables, self.initial_optimizer):
            v.assign(value)
        keras.utils.set_random_seed(seed)
        self.model.fit(x, y, epochs=self.epochs, batch_size=32, verbose=0, shuffle=True)
        return self

    def predict(self, x) -> np.ndarray:
        return self.model.predict(x, batch_size=256, verbose=0)


class ConvMeasures:
    """The measures that need networks: the convolutional C2ST and the Fréchet distance in
    the embedding of a recognition model trained (once) on the real training windows."""

    def __init__(self, x_train: np.ndarray, y_train: np.ndarray, n_classes: int, seed: int,
                 epochs: int = 20):
        import keras

        n_times, n_channels = x_train.shape[1:]
        self.standardise = _standardiser(x_train)
        recognition = _Net(n_times, n_channels, n_classes, seed, epochs).fit(
            self.standardise(x_train), y_train.astype(np.int32), seed)
        self.embed = keras.Model(recognition.model.inputs,
                                 recognition.model.get_layer("embedding").output)
        self.detector = _Net(n_times, n_channels, 1, seed, epochs)

    def embedding(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(self.embed.predict(self.standardise(x), batch_size=256, verbose=0),
                          dtype=np.float64)

    def c2st(self, a: np.ndarray, b: np.ndarray, folds: int, seed: int) -> tuple:
        """(AUC, 95 % interval) of the network telling ``a`` from ``b`` (balanced by
        subsampling), from its pooled out-of-fold scores."""
        rng = np.random.default_rng(seed)
        n = min(len(a), len(b))
        if n < folds:
            return float("nan"), [float("nan")] * 2
        standardise = _standardiser(b)
        x = standardise(np.concatenate([a[rng.choice(len(a), n, replace=False)],
                                        b[rng.choice(len(b), n, replace=False)]]))
        y = np.repeat([0.0, 1.0], n).astype(np.float32)
        scores = np.zeros(len(y))
        cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
        for k, (train, test) in enumerate(cv.split(x, y)):
            scores[test] = self.detector.fit(x[train], y[train], seed * 1000 + k).predict(
                x[test])[:, 0]
        auc, low, high = delong_auc(y, scores)
        return auc, [low, high]

    def __call__(self, a: np.ndarray, b: np.ndarray, folds: int, seed: int) -> dict:
        auc, interval = self.c2st(a, b, folds, seed)
        return {"conv_c2st_auc": auc, "conv_c2st_ci95": interval,
                "frechet_distance": frechet_distance(self.embedding(a), self.embedding(b))}


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
        if "frechet_distance" in classes[name]["real_vs_heldout"]:
            reference = classes[name]["real_vs_heldout"]["frechet_distance"]
            for side in classes[name].values():
                side["frechet_ratio"] = side["frechet_distance"] / reference
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


SPREAD_MEASURES = ("band_log_power", "psd_shape", "channel_correlation", "mean_de", "c2st_auc",
                   "conv_c2st_auc", "sliced_wasserstein", "frechet_ratio")


def spread_table(runs: list[list[dict]], generator: str = "signal_gan") -> str:
    """Markdown table of ``generator``'s quality over several runs' summary records (one
    list of metrics.json records per run, e.g. one per seed): per group, class and measure
    the synthetic-vs-held-out mean ± std over the runs and the real-vs-held-out mean, then
    TSTR and TRTR accuracy. A run without the generator's record, or whose groups and
    classes differ from the first run's, is an error (nothing is averaged over part of the
    runs)."""
    found = []
    for n, records in enumerate(runs, 1):
        matching = [r for r in records if r.get("kind") == "synthesis"
                    and r.get("model") == generator]
        if len(matching) != 1:
            raise SeedflowError(f"run {n}: {len(matching)} '{generator}' synthesis records "
                                f"in its metrics.json, expected 1")
        found.append(matching[0])
    layouts = [{g: sorted(c) for g, c in r["quality"].items()} for r in found]
    for n, layout in enumerate(layouts[1:], 2):
        if layout != layouts[0]:
            raise SeedflowError(f"run {n}: groups and classes {layout}, run 1 has "
                                f"{layouts[0]}")

    def cell(values) -> str:
        values = np.asarray(values, dtype=float)
        return f"{values.mean():.3f} ± {values.std():.3f}"

    measures = [m for m in SPREAD_MEASURES
                if all(m in c[side] for r in found for g in r["quality"].values()
                       for c in g.values() for side in ("synthetic_vs_heldout",
                                                        "real_vs_heldout"))]
    lines = [f"{generator}, {len(found)} runs: synthetic vs held-out, mean ± std over runs "
             f"(real vs held-out, mean)", "",
             "| group · class | " + " | ".join(measures) + " |",
             "|---|" + "---|" * len(measures)]
    for group, classes in found[0]["quality"].items():
        for name in classes:
            per_run = [r["quality"][group][name] for r in found]
            cells = [f"{cell([q['synthetic_vs_heldout'][m] for q in per_run])} "
                     f"({np.mean([q['real_vs_heldout'][m] for q in per_run]):.3f})"
                     for m in measures]
            lines.append(f"| {group} · {name} | " + " | ".join(cells) + " |")
    lines += ["", f"TSTR accuracy {cell([r['accuracy_mean'] for r in found])} "
              f"(TRTR {cell([r['train_real_test_real_accuracy_mean'] for r in found])}; "
              f"chance {found[0]['chance_level']:.3f})"]
    return "\n".join(lines)
