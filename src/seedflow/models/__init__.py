"""Model registry: name -> builder of a compiled-ready ``keras.Model``.

Builders take ``(input_shape, n_classes, normalizer)`` and use backend-agnostic Keras 3
only (``keras.ops``), so the same code runs on TensorFlow, JAX or PyTorch.
"""

from __future__ import annotations

from seedflow.models.cnn4d import build_cnn4d

REGISTRY = {"cnn4d": build_cnn4d}

# Which input representation each model reads from the feature store.
REPRESENTATION = {"cnn4d": "grid"}


def build(name: str, input_shape, n_classes: int, normalizer):
    if name not in REGISTRY:
        raise KeyError(f"unknown model '{name}' (known: {', '.join(sorted(REGISTRY))})")
    return REGISTRY[name](input_shape, n_classes, normalizer)
