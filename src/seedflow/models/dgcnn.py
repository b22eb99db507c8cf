"""``dgcnn``: dynamical graph CNN (Song, Zheng, Song & Cui, "EEG emotion recognition using
dynamical graph convolutional neural networks", IEEE Trans. Affective Computing 11(3),
532-541, 2020; online 2018, doi 10.1109/TAFFC.2018.2817622).

Reads ``channels_bands``: the DE of every band per electrode of one window,
``(channels, bands)`` from the feature store (the graph's nodes and their features).

The electrodes are the nodes of a graph whose adjacency ``W`` is a trained variable
(the "dynamical" graph): each step uses ``A = ReLU(W)`` made symmetric, its normalised
Laplacian ``L = I - D^-1/2 A D^-1/2`` and a Chebyshev polynomial filter of order ``k`` on
``L~ = L - I`` (``2 L / lambda_max - I`` with ``lambda_max = 2``, the bound of a normalised
Laplacian) with a bias per output feature, ReLU, and a dense classifier (the paper's 1 x 1
convolution after the graph filter is a linear map per node, folded into the filter's
weights). Every weight, the adjacency included, carries an L2 penalty (the paper's
``alpha * ||Theta||``). TorchEEG's and LibEER's DGCNN sum powers ``A^k`` of the
normalised adjacency instead of Chebyshev polynomials of the Laplacian; this follows the
paper. Hand-written because Keras has no graph layer.
"""

from __future__ import annotations

import keras
from keras import layers, ops


@keras.saving.register_keras_serializable(package="seedflow")
class ChebyshevGraphConv(layers.Layer):
    """Graph convolution over the electrodes with a trained adjacency.

    Input ``(batch, nodes, features)``, output ``(batch, nodes, units)``:
    ``sum_k T_k(L~) X Theta_k + b`` with ``T_0 = I``, ``T_1 = L~``,
    ``T_k = 2 L~ T_{k-1} - T_{k-2}``.
    """

    def __init__(self, units: int, k: int = 2, l2: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        if k < 1:
            raise ValueError(f"Chebyshev order k must be >= 1, got {k}")
        self.units, self.k, self.l2 = units, k, l2

    def build(self, input_shape):
        nodes, features = int(input_shape[1]), int(input_shape[2])
        regularizer = keras.regularizers.L2(self.l2) if self.l2 else None
        self.adjacency = self.add_weight(shape=(nodes, nodes), name="adjacency",
                                         initializer="glorot_uniform",
                                         regularizer=regularizer)
        self.theta = self.add_weight(shape=(self.k, features, self.units), name="theta",
                                     initializer="glorot_uniform", regularizer=regularizer)
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer="zeros")

    def laplacian(self):
        """Rescaled normalised Laplacian ``L - I = -D^-1/2 A D^-1/2`` of ``ReLU(W)``."""
        a = ops.relu(self.adjacency)
        a = 0.5 * (a + ops.transpose(a))
        inverse_sqrt_degree = 1.0 / ops.sqrt(ops.sum(a, axis=1) + 1e-6)
        return -(inverse_sqrt_degree[:, None] * a * inverse_sqrt_degree[None, :])

    def call(self, x):
        scaled = self.laplacian()
        previous, current = x, ops.einsum("ij,bjf->bif", scaled, x)
        out = ops.einsum("bif,fo->bio", previous, self.theta[0])
        if self.k > 1:
            out = out + ops.einsum("bif,fo->bio", current, self.theta[1])
        for order in range(2, self.k):
            following = 2.0 * ops.einsum("ij,bjf->bif", scaled, current) - previous
            previous, current = current, following
            out = out + ops.einsum("bif,fo->bio", current, self.theta[order])
        return out + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "k": self.k, "l2": self.l2}


def build_dgcnn(input_shape, n_classes: int, normalizer, *, k: int = 2, graph_units: int = 64,
                dense_units: int = 256, dropout: float = 0.5, l2: float = 1e-4,
                **_) -> keras.Model:
    """DGCNN on ``(channels, bands)`` DE per window; ``k`` Chebyshev order."""
    regularizer = keras.regularizers.L2(l2) if l2 else None
    inputs = keras.Input(shape=input_shape, name="channels_bands")
    x = normalizer(inputs)
    x = ChebyshevGraphConv(graph_units, k=k, l2=l2, name="graph_conv")(x)
    x = layers.Activation("relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(dropout)(x)
    x = layers.Dense(dense_units, activation="relu", kernel_regularizer=regularizer)(x)
    x = layers.Dropout(dropout)(x)
    outputs = layers.Dense(n_classes, activation="softmax", kernel_regularizer=regularizer,
                           name="probabilities")(x)
    return keras.Model(inputs, outputs, name="dgcnn")
