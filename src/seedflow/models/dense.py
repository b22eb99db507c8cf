"""``dnn``: a fully connected network on the flat DE vector of one window."""

from __future__ import annotations

import keras
from keras import layers


def build_dnn(input_shape, n_classes: int, normalizer, dropout: float = 0.3,
              **_) -> keras.Model:
    inputs = keras.Input(shape=input_shape, name="flat")
    x = normalizer(inputs)
    for units in (256, 128, 64):
        x = layers.Dense(units, activation="relu")(x)
        x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="dnn")
