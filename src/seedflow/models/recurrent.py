"""Sequence models over consecutive windows of one trial (padded, see representations).

``lstm``: an LSTM over flat DE vectors. ``cnn_lstm``: a CNN on each window's DE grid
(shared weights, a (1, 3, 3) 3D convolution is a 2D convolution per window), then an LSTM.
"""

from __future__ import annotations

import keras
from keras import layers


def build_lstm(input_shape, n_classes: int, normalizer, units: int = 64,
               dropout: float = 0.3, **_) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="sequence")
    x = normalizer(inputs)
    x = layers.LSTM(units)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="lstm")


def build_cnn_lstm(input_shape, n_classes: int, normalizer, units: int = 64,
                   dropout: float = 0.3, **_) -> keras.Model:
    steps = input_shape[0]
    inputs = keras.Input(shape=input_shape, name="grid_sequence")
    x = normalizer(inputs)
    for filters in (32, 64):
        x = layers.Conv3D(filters, (1, 3, 3), padding="same", activation="relu")(x)
    x = layers.MaxPooling3D((1, 2, 2))(x)
    x = layers.Reshape((steps, -1))(x)
    x = layers.Dense(128, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    x = layers.LSTM(units)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn_lstm")
