"""Layers every Keras model of the registry shares (registered, so saved models load)."""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="seedflow")
class FillNonFinite(layers.Layer):
    """Non-finite inputs (missing values of damaged data) set to 0: after the model's
    standardisation with training statistics, the training mean of that entry."""

    def call(self, x):
        return ops.where(ops.isfinite(x), x, ops.zeros_like(x))
