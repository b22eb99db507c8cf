"""TSception (Ding et al.) on raw windows (electrodes, samples, 1).

Temporal kernels of 0.5, 0.25 and 0.125 s (at the recording's rate), then spatial kernels
over all electrodes and over each hemisphere (electrodes ordered left, mirrored right, then
the rest; see ``representations.hemisphere_order``), a fusion layer across the three, the
mean over time and a small classifier.
"""

from __future__ import annotations

import keras
from keras import layers


def build_tsception(input_shape, n_classes: int, normalizer, *, sfreq: float, n_side: int,
                    num_t: int = 15, num_s: int = 15, hidden: int = 32,
                    dropout: float = 0.5, **_) -> keras.Model:
    n_electrodes, n_samples, _ = input_shape
    inputs = keras.Input(shape=input_shape, name="raw")
    x = normalizer(inputs)
    temporal = []
    for seconds in (0.5, 0.25, 0.125):
        kernel = max(1, min(n_samples, int(seconds * sfreq)))
        t = layers.Conv2D(num_t, (1, kernel))(x)
        t = layers.LeakyReLU()(t)
        temporal.append(layers.AveragePooling2D((1, 8), strides=(1, 8))(t))
    x = layers.BatchNormalization()(layers.Concatenate(axis=2)(temporal))

    whole = layers.Conv2D(num_s, (n_electrodes, 1))(x)
    spatial = [whole]
    if n_side:
        sides = layers.Cropping2D(((0, n_electrodes - 2 * n_side), (0, 0)))(x)
        spatial.append(layers.Conv2D(num_s, (n_side, 1), strides=(n_side, 1))(sides))
    x = layers.Concatenate(axis=1)([layers.LeakyReLU()(s) for s in spatial])
    x = layers.AveragePooling2D((1, 2), strides=(1, 2))(x)
    x = layers.BatchNormalization()(x)

    x = layers.Conv2D(num_s, (x.shape[1], 1))(x)  # fusion of whole-scalp and hemispheres
    x = layers.LeakyReLU()(x)
    x = layers.AveragePooling2D((1, 4), strides=(1, 4))(x)
    x = layers.BatchNormalization()(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(hidden, activation="relu")(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="tsception")
