"""scikit-learn baselines on the flat DE vector: the reference for every deep model."""

from __future__ import annotations

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC


def linear_svm(seed: int = 0):
    """Standardised features, linear SVM (C = 1); probabilities are the softmax of its
    decision values (used by stacking and the per-trial vote, not calibrated)."""
    return make_pipeline(StandardScaler(), LinearSVC(C=1.0, max_iter=5000, random_state=seed))


def logistic_regression(seed: int = 0):
    return make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000,
                                                              random_state=seed))
