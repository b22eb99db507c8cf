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


@keras.saving.register_keras_serializable(package="seedflow")
class SpatialFilters(layers.Layer):
    """EEGNet's depthwise spatial convolution: for each of the input's feature maps,
    ``depth_multiplier`` filters spanning every electrode (axis 1), each of max-norm
    ``max_norm``, no bias; ``(n, electrodes, time, F) -> (n, 1, time, F * depth)``, output
    ``f * depth + d`` from input map ``f`` — what ``keras.layers.DepthwiseConv2D((electrodes,
    1), depth_multiplier)`` computes, with the same kernel shape, initialiser and constraint.
    Under JAX it is one einsum, because XLA's CPU backend runs grouped convolutions very
    slowly (EEGNet's shapes: ~95 times slower than the einsum); the other backends run
    their depthwise convolution, faster there than the einsum."""

    def __init__(self, depth_multiplier: int, max_norm: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.depth_multiplier, self.max_norm = depth_multiplier, max_norm

    def build(self, input_shape):
        _, electrodes, _, maps = input_shape
        self.kernel = self.add_weight(
            name="depthwise_kernel", shape=(electrodes, 1, maps, self.depth_multiplier),
            initializer="glorot_uniform",
            constraint=keras.constraints.MaxNorm(self.max_norm, axis=0))

    def call(self, x):
        if keras.backend.backend() != "jax":
            return ops.depthwise_conv(x, self.kernel, strides=1, padding="valid")
        y = ops.einsum("betf,efd->btfd", x, self.kernel[:, 0])
        shape = ops.shape(y)
        return ops.reshape(y, (-1, 1, shape[1], shape[2] * shape[3]))

    def compute_output_shape(self, input_shape):
        n, _, time, maps = input_shape
        return (n, 1, time, maps * self.depth_multiplier)

    def get_config(self):
        return {**super().get_config(), "depth_multiplier": self.depth_multiplier,
                "max_norm": self.max_norm}
