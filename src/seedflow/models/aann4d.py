"""4D-aNN (Xiao et al. 2021) on (slices, 9, 9, DE + log PSD) segments.

Per slice: spectral attention (squeeze-and-excitation over the band features), spatial
attention (a sigmoid map over the 9 x 9 grid from the mean and max over features), then a
CNN (conv 64-128-256-64, as the paper; a (1, 3, 3) 3D convolution is a 2D convolution
shared by all slices) and a dense layer; then a bidirectional LSTM over slices with
attention weights over slices, and the classifier.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="seedflow")
class SpectralAttention(layers.Layer):
    """Re-weights the feature axis of (..., rows, cols, features) per sample and slice."""

    def __init__(self, reduction: int = 2, **kwargs):
        super().__init__(**kwargs)
        self.reduction = reduction

    def build(self, input_shape):
        features = input_shape[-1]
        self.squeeze = layers.Dense(max(1, features // self.reduction), activation="relu")
        self.excite = layers.Dense(features, activation="sigmoid")
        pooled = (*input_shape[:-3], features)
        self.squeeze.build(pooled)
        self.excite.build((*input_shape[:-3], self.squeeze.units))

    def call(self, x):
        weights = self.excite(self.squeeze(ops.mean(x, axis=(-3, -2))))
        return x * ops.expand_dims(ops.expand_dims(weights, -2), -2)

    def get_config(self):
        return {**super().get_config(), "reduction": self.reduction}


@keras.saving.register_keras_serializable(package="seedflow")
class SpatialAttention(layers.Layer):
    """Re-weights the grid cells of (batch, slices, rows, cols, features) per slice."""

    def __init__(self, kernel_size: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = kernel_size

    def build(self, input_shape):
        self.conv = layers.Conv3D(1, (1, self.kernel_size, self.kernel_size), padding="same",
                                  activation="sigmoid")
        self.conv.build((*input_shape[:-1], 2))

    def call(self, x):
        summary = ops.concatenate([ops.mean(x, axis=-1, keepdims=True),
                                   ops.max(x, axis=-1, keepdims=True)], axis=-1)
        return x * self.conv(summary)

    def get_config(self):
        return {**super().get_config(), "kernel_size": self.kernel_size}


@keras.saving.register_keras_serializable(package="seedflow")
class TemporalAttention(layers.Layer):
    """Attention-weighted sum over the time axis of (batch, time, features)."""

    def build(self, input_shape):
        self.score = layers.Dense(1)
        self.score.build(input_shape)

    def call(self, h):
        weights = ops.softmax(self.score(h), axis=1)
        return ops.sum(h * weights, axis=1)


def build_aann4d(input_shape, n_classes: int, normalizer, dropout: float = 0.5,
                 lstm_units: int = 64, **_) -> keras.Model:
    slices = input_shape[0]
    inputs = keras.Input(shape=input_shape, name="grid4d")
    x = normalizer(inputs)
    x = SpectralAttention()(x)
    x = SpatialAttention()(x)
    for filters in (64, 128, 256, 64):
        x = layers.Conv3D(filters, (1, 3, 3), padding="same", activation="relu")(x)
    x = layers.MaxPooling3D((1, 2, 2))(x)
    x = layers.Reshape((slices, -1))(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Bidirectional(layers.LSTM(lstm_units, return_sequences=True))(x)
    x = TemporalAttention()(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="aann4d")
