"""The user's configuration: merging override files, validating against the schema, and
the configuration a run's outputs depend on, for provenance. Each stage's settings reach it
as a frozen spec built from the validated config by the spec's ``from_config`` (through a
rule's params as :func:`as_param`'s plain dict); defaults live in ``config/config.yaml``
and the schema only."""

from __future__ import annotations

import copy
import dataclasses
import typing
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


# Keys that set how and where jobs run (resources, schedulers, the cluster, the container
# image), never what they compute: no job's params hold them.
RESOURCE_KEYS = (("cluster",), ("container",), ("features", "mem_mb"),
                 ("features", "scheduler"), ("features", "slurm"))


def as_param(spec) -> dict:
    """A stage's spec as a rule param: the plain dict of its fields (nested specs too).
    Snakemake compares a job's params with the recorded ones only for builtin types (by
    their repr) and silently skips any other object, so a spec passed as itself would never
    rerun a job whose settings changed."""
    return dataclasses.asdict(spec)


def from_param(cls: type, value: dict):
    """The ``cls`` spec that :func:`as_param` turned into ``value``."""
    hints = typing.get_type_hints(cls)
    return cls(**{field.name: _field(hints[field.name], value[field.name])
                  for field in dataclasses.fields(cls)})


def _field(hint, value):
    """A field's value, a nested spec (typed ``Spec`` or ``Spec | None``) rebuilt."""
    if value is not None:
        for candidate in (hint, *typing.get_args(hint)):
            if dataclasses.is_dataclass(candidate):
                return from_param(candidate, value)
    return value


def load_schema(schema_path: Path) -> dict:
    with open(schema_path) as f:
        return yaml.safe_load(f)


def validate(config: dict, schema_path: Path) -> None:
    """Raise one :class:`SeedflowError` naming the first offending key, if any."""
    schema = load_schema(schema_path)
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


def settings_text(config: dict, schema_path: Path) -> str:
    """The run's configuration without :data:`RESOURCE_KEYS`, as YAML, its keys in the
    schema's order whatever order the config files gave them in (mappings of the user's
    own keys, such as ``features.bands``, keep theirs): the same text for the same
    settings."""
    kept = copy.deepcopy(config)
    for *parents, key in RESOURCE_KEYS:
        section = kept
        for parent in parents:
            section = section[parent]
        section.pop(key, None)
    return yaml.safe_dump(_ordered(kept, load_schema(schema_path)), sort_keys=False)


def _ordered(value, schema: dict):
    """``value`` with the keys of every mapping the schema lists in the schema's order."""
    properties = schema.get("properties")
    if not isinstance(value, dict) or not properties:
        return value
    order = [key for key in properties if key in value]
    return {key: _ordered(value[key], properties[key])
            for key in [*order, *(k for k in value if k not in properties)]}
