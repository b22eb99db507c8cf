"""Grid CNNs on per-window band features placed on the 9 x 9 electrode grid.

``ccnn`` (TorchEEG's CCNN): conv 64-128-256-64, kernel 4, on DE, then dense 1024.
``fbccnn`` (Pan & Zheng 2021): seven 3 x 3 conv blocks with batch norm on log PSD.
"""

from __future__ import annotations

import keras
from keras import layers


def build_ccnn(input_shape, n_classes: int, normalizer, dropout: float = 0.5,
               **_) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="grid")
    x = normalizer(inputs)
    for filters in (64, 128, 256, 64):
        x = layers.Conv2D(filters, 4, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="ccnn")


def build_fbccnn(input_shape, n_classes: int, normalizer, dropout: float = 0.5,
                 **_) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="psd_grid")
    x = normalizer(inputs)
    for filters in (12, 32, 64, 128, 256, 128, 32):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(512, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(128, activation="relu")(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="fbccnn")
