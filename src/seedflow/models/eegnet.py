"""``eegnet``: EEGNet (Lawhern, Solon, Waytowich, Gordon, Hung & Lance, "EEGNet: a compact
convolutional neural network for EEG-based brain-computer interfaces", J. Neural Eng. 15(5),
056013, 2018, doi 10.1088/1741-2552/aace8c), the EEGNet-F1,D of its final version.

Reads ``raw``: the recording's samples of each window, ``(electrodes, samples, 1)``, from
the ingest store (the electrode order does not matter: the spatial filters span all
electrodes).

Block 1: temporal convolution (``F1`` filters of half the sampling rate, no bias), batch
norm, depthwise spatial convolution over all electrodes (``D`` filters per temporal filter,
each of max-norm 1), batch norm, ELU, average pooling by 4, dropout. Block 2: separable
convolution (``F2`` filters, 16 samples), batch norm, ELU, average pooling by 8, dropout.
Classifier: dense layer of max-norm 0.25, softmax. Pooling and the separable kernel keep the
paper's sizes (chosen at 128 Hz) at any rate, as the paper's code and TorchEEG/LibEER do.
"""

from __future__ import annotations

import keras
from keras import layers

from seedflow.models import EEGNET_POOLING
from seedflow.models.layers import SpatialFilters

BN_MOMENTUM = 0.9  # PyTorch's default (0.1 there), as in TorchEEG and LibEER


def build_eegnet(input_shape, n_classes: int, normalizer, *, sfreq: float, f1: int = 8,
                 depth: int = 2, f2: int = 16, dropout: float = 0.5,
                 separable_kernel: int = 16, **_) -> keras.Model:
    """EEGNet-``f1``,``depth`` on raw windows; temporal kernel ``sfreq / 2`` samples."""
    n_electrodes, n_samples, _ = input_shape
    if n_samples < EEGNET_POOLING:  # the plan stops such a run first, naming the key
        raise ValueError(f"eegnet needs windows of at least {EEGNET_POOLING} samples, got "
                         f"{n_samples} (features.window_seconds x {sfreq:g} Hz)")
    inputs = keras.Input(shape=input_shape, name="raw")
    x = normalizer(inputs)
    kernel = max(1, int(round(sfreq / 2)))
    # Explicit padding then a "valid" convolution: the output of padding="same", twice as
    # fast on TensorFlow's CPU kernels.
    x = layers.ZeroPadding2D(((0, 0), ((kernel - 1) // 2, kernel // 2)))(x)
    x = layers.Conv2D(f1, (1, kernel), use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = SpatialFilters(depth, max_norm=1.0)(x)  # DepthwiseConv2D((n_electrodes, 1), depth)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Activation("elu")(x)
    x = layers.AveragePooling2D((1, 4))(x)
    x = layers.Dropout(dropout)(x)
    x = layers.SeparableConv2D(f2, (1, separable_kernel), padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=BN_MOMENTUM)(x)
    x = layers.Activation("elu")(x)
    x = layers.AveragePooling2D((1, 8))(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(n_classes, kernel_constraint=keras.constraints.MaxNorm(0.25))(x)
    outputs = layers.Activation("softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs, name="eegnet")
