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


@keras.saving.register_keras_serializable(package="seedflow")
class Standardization(layers.Layer):
    """(x - mean) / max(sqrt(variance), epsilon) with the training statistics, per entry of
    ``axis``: ``keras.layers.Normalization`` with a given mean and variance, which folds
    them into every compiled step as constants — so each fold compiled a step of its own
    and JAX's compilation cache never served the next fold; here they are (non-trainable)
    weights, read in the step."""

    def __init__(self, axis, mean=None, variance=None, **kwargs):
        super().__init__(**kwargs)
        self.axis = tuple(axis) if isinstance(axis, (list, tuple)) else (axis,)
        self.initial = (mean, variance)

    def build(self, input_shape):
        ndim = len(input_shape)
        keep = sorted(a % ndim for a in self.axis)
        shape = tuple(input_shape[a] if a in keep else 1 for a in range(ndim))
        mean, variance = self.initial
        self.mean = self.add_weight(
            name="mean", shape=shape, trainable=False,
            initializer="zeros" if mean is None else keras.initializers.Constant(
                ops.reshape(ops.convert_to_tensor(mean, "float32"), shape)))
        self.variance = self.add_weight(
            name="variance", shape=shape, trainable=False,
            initializer="ones" if variance is None else keras.initializers.Constant(
                ops.reshape(ops.convert_to_tensor(variance, "float32"), shape)))

    def call(self, x):
        x = ops.convert_to_tensor(x, self.compute_dtype)
        scale = ops.maximum(ops.sqrt(self.variance), keras.backend.epsilon())
        return ops.divide(ops.subtract(x, self.mean), scale)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}
