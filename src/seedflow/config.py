"""The user's configuration: merging override files and validating against the schema."""

from __future__ import annotations

import copy
from pathlib import Path

import jsonschema
import yaml

from seedflow.errors import SeedflowError


def merge(base: dict, override: dict) -> dict:
    """Deep merge: nested mappings merge key by key; other values replace."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def load(*paths: Path) -> dict:
    """Read YAML files, later ones overriding earlier ones key by key."""
    config: dict = {}
    for path in paths:
        with open(path) as f:
            config = merge(config, yaml.safe_load(f) or {})
    return config


def validate(config: dict, schema_path: Path) -> None:
    """Raise one :class:`SeedflowError` naming the first offending key, if any."""
    with open(schema_path) as f:
        schema = yaml.safe_load(f)
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    error = errors[0]
    key = ".".join(str(p) for p in error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        key = ".".join([*(str(p) for p in error.absolute_path), unknown[0]])
        message = f"unknown key (known here: {', '.join(known)})"
    else:
        message = error.message
    raise SeedflowError(f"invalid config: key '{key or '<top level>'}': {message}")
