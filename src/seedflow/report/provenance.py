"""Provenance: software versions and checksums of the input files."""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from pathlib import Path

PACKAGES = ("seedflow", "snakemake", "mne", "numpy", "scipy", "dask", "zarr", "h5py", "keras",
            "tensorflow-cpu", "tensorflow", "jax", "torch", "scikit-learn", "matplotlib",
            "pyyaml", "jsonschema")


def versions() -> list[list[str]]:
    """[name, version] for Python, the platform and every installed package we use."""
    rows = [["python", platform.python_version()], ["platform", platform.platform()]]
    for name in PACKAGES:
        try:
            rows.append([name, metadata.version(name)])
        except metadata.PackageNotFoundError:
            continue
    return rows


def sha256(path: Path, block: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(block):
            digest.update(chunk)
    return digest.hexdigest()


def checksums(paths: list[Path]) -> list[list[str]]:
    """[file, size in MB, SHA-256] per input file, each file once."""
    unique = sorted({Path(p) for p in paths})
    return [[str(p), f"{p.stat().st_size / 1e6:.1f}", sha256(p)] for p in unique]
