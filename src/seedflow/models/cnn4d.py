"""The seeds' CNN on the 4D representation (windows, 9, 9, bands): conv 32/64/128 + BN,
max pooling, dropout, dense 1024 and 512."""

from __future__ import annotations

import keras
from keras import layers


def build_cnn4d(input_shape, n_classes: int, normalizer, dropout: float = 0.5,
                **_) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="grid")
    x = normalizer(inputs)
    for filters in (32, 64, 128):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    for units in (1024, 512):
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="cnn4d")
