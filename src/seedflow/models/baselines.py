"""scikit-learn baselines on the flat DE vector: the reference for every deep model.

Missing (non-finite) features are imputed with the training mean of that feature, which
the scaler then maps to 0, as the Keras models do after their standardisation.
"""

from __future__ import annotations

from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC


def linear_svm(seed: int = 0):
    """Standardised features, linear SVM (C = 1); probabilities are the softmax of its
    decision values (used by stacking and the per-trial vote, not calibrated)."""
    return make_pipeline(_imputer(), StandardScaler(),
                         LinearSVC(C=1.0, max_iter=5000, random_state=seed))


def logistic_regression(seed: int = 0):
    return make_pipeline(_imputer(), StandardScaler(),
                         LogisticRegression(C=1.0, max_iter=2000, random_state=seed))


def _imputer():
    """Training mean per feature (0 where a feature has no finite training value)."""
    return SimpleImputer(strategy="mean", keep_empty_features=True)
