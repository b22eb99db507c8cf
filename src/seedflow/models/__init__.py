"""Model registry: name -> how to build it and which representation it reads.

Keras builders take ``(input_shape, n_classes, normalizer, **options)`` and use
backend-agnostic Keras 3 only (``keras.ops``), so the same code runs on TensorFlow, JAX or
PyTorch. scikit-learn baselines take a seed and return an unfitted estimator. Every model
imputes missing (non-finite) inputs with the training mean of that entry.
``stacking`` is a meta-model over other models' predictions (``seedflow.stacking``).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass


@dataclass(frozen=True)
class ModelSpec:
    builder_path: str | None     # "module:function" under seedflow.models, imported on use
    representation: str | None   # see seedflow.representations.KINDS
    kind: str                    # keras | sklearn | stacking
    hemispheres: bool = False    # needs a left/right electrode pair mirrored on the grid

    @property
    def builder(self):
        module, function = self.builder_path.split(":")
        return getattr(importlib.import_module(f"seedflow.models.{module}"), function)


# Declarative, so the workflow can read it without importing Keras.
REGISTRY = {
    "cnn4d": ModelSpec("cnn4d:build_cnn4d", "grid", "keras"),
    "aann4d": ModelSpec("aann4d:build_aann4d", "grid4d", "keras"),
    "ccnn": ModelSpec("ccnn:build_ccnn", "grid", "keras"),
    "fbccnn": ModelSpec("ccnn:build_fbccnn", "psd_grid", "keras"),
    "tsception": ModelSpec("tsception:build_tsception", "raw", "keras", hemispheres=True),
    "dgcnn": ModelSpec("dgcnn:build_dgcnn", "channels_bands", "keras"),
    "eegnet": ModelSpec("eegnet:build_eegnet", "raw", "keras"),
    "dnn": ModelSpec("dense:build_dnn", "flat", "keras"),
    "lstm": ModelSpec("recurrent:build_lstm", "sequence", "keras"),
    "cnn_lstm": ModelSpec("recurrent:build_cnn_lstm", "grid_sequence", "keras"),
    "svm": ModelSpec("baselines:linear_svm", "flat", "sklearn"),
    "logreg": ModelSpec("baselines:logistic_regression", "flat", "sklearn"),
    "stacking": ModelSpec(None, None, "stacking"),
}
NAMES = tuple(REGISTRY)
# Samples per output step of eegnet's two pooling layers: its shortest window.
EEGNET_POOLING = 4 * 8


def spec(name: str) -> ModelSpec:
    if name not in REGISTRY:
        raise KeyError(f"unknown model '{name}' (known: {', '.join(NAMES)})")
    return REGISTRY[name]


def build(name: str, input_shape, n_classes: int, normalizer, **options):
    """A Keras model of the registry (not compiled); non-finite inputs are imputed right
    after ``normalizer`` (see :class:`seedflow.models.layers.FillNonFinite`)."""
    from seedflow.models.layers import FillNonFinite

    model_spec = spec(name)
    if model_spec.kind != "keras":
        raise ValueError(f"model '{name}' is not a Keras model")
    fill = FillNonFinite(name="fill_nonfinite")
    return model_spec.builder(tuple(input_shape), n_classes, lambda x: fill(normalizer(x)),
                              **options)
