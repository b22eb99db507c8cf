"""The Keras backend of a job (config key ``keras_backend``), set before Keras is imported:
Keras reads ``KERAS_BACKEND`` once, at its import. Imports no Keras itself, so that the
workflow's planning and job set-up can use it."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import sys
from pathlib import Path

from seedflow.errors import SeedflowError

GAN_BACKENDS = ("jax", "tensorflow")  # the GANs' train steps exist for these
# A size limit makes JAX lock its compilation cache (filelock) while reading and writing, so
# jobs running side by side never read an entry another one is still writing.
CACHE_BYTES = 2 * 2**30


def check(config: dict) -> None:
    """One error, before any job, where config key ``keras_backend`` names a backend that is
    not installed or cannot train what the run asks for."""
    name = config["keras_backend"]
    if importlib.util.find_spec(name) is None:
        raise SeedflowError(f"config key keras_backend: Keras backend {name} is not "
                            f"installed in this environment (pip install {name})")
    if config["synthesis"]["enabled"] and name not in GAN_BACKENDS:
        raise SeedflowError(f"config key keras_backend: the GANs (synthesis.enabled) train "
                            f"under {' or '.join(GAN_BACKENDS)}, not {name}")


def use(*names: str | None, cache: Path | None = None) -> None:
    """Run this process's Keras on the backend its specs name (the first that is not None:
    the specs that train with Keras name config key ``keras_backend``; where none does, the
    job trains nothing with Keras and nothing is set), whatever ``KERAS_BACKEND`` the shell
    holds: the backend changes the numbers, so the config decides. Under JAX, compiled steps
    are kept in ``cache``/jax/<host> and reused by the next job of the same shapes: the same
    executable, so the same numbers, without 5-20 s of compilation per job (per host, as an
    executable is compiled for its machine's CPU)."""
    name = next((n for n in names if n is not None), None)
    if name is None:
        return
    if "keras" in sys.modules:
        running = sys.modules["keras"].backend.backend()
        if running != name:
            raise RuntimeError(f"Keras runs {running} in this process, not {name}: "
                               f"keras_backend.use must run before Keras is imported")
        return
    os.environ["KERAS_BACKEND"] = name
    if name == "jax" and cache is not None:
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(cache / "jax" / socket.gethostname())
        os.environ["JAX_COMPILATION_CACHE_MAX_SIZE"] = str(CACHE_BYTES)


def require(name: str) -> None:
    """One error where this process's Keras runs another backend than its spec names (the
    numbers would not be those of config key ``keras_backend``)."""
    import keras

    if keras.backend.backend() != name:
        raise SeedflowError(f"config key keras_backend is {name}, but Keras runs "
                            f"{keras.backend.backend()} in this process (keras_backend.use "
                            f"sets it before Keras is imported)")


def of_fold(fold_dir: Path) -> str | None:
    """The backend a fold was trained on (its metrics.json; a stacking fold: that of its
    first Keras base model), None where none says (scikit-learn models)."""
    metrics, preparation = fold_dir / "metrics.json", fold_dir / "preprocessing.json"
    if metrics.is_file() and "backend" in (found := json.loads(metrics.read_text())):
        return found["backend"]
    bases = json.loads(preparation.read_text()).get("base_dirs", {}) \
        if preparation.is_file() else {}
    return next((b for b in (of_fold(fold_dir / d) for d in bases.values()) if b), None)
