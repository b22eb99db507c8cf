"""One pinned set of dependencies: pyproject.toml, envs/constraints.txt, the conda
environments and the container recipes agree."""

import re
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from conftest import REPO

CONSTRAINTS = REPO / "envs" / "constraints.txt"
tomllib = pytest.importorskip("tomllib", reason="reading pyproject.toml needs Python >= 3.11")


def pins(lines) -> dict[str, str]:
    """Normalised name (extras dropped) -> pinned version of ``name[extras]==version`` lines."""
    out = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            req = Requirement(line)
            (spec,) = req.specifier
            assert spec.operator == "==", f"not pinned: {line}"
            out[re.sub(r"[-_.]+", "-", req.name).lower()] = spec.version
    return out


def dependencies() -> list[Requirement]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    return [Requirement(d) for d in project["dependencies"]]


def conda_pip_pins(env_file: Path) -> dict[str, str]:
    (pip,) = [d["pip"] for d in yaml.safe_load(env_file.read_text())["dependencies"]
              if isinstance(d, dict)]
    return pins(pip)


def test_constraints_pin_every_dependency_within_its_range():
    pinned = pins(CONSTRAINTS.read_text().splitlines())
    for req in dependencies():
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        assert name in pinned, f"{req.name} is not pinned in {CONSTRAINTS.name}"
        assert req.specifier.contains(pinned[name]), f"{name}=={pinned[name]} is not {req}"


@pytest.mark.parametrize("env_file", sorted((REPO / "envs").glob("*.yaml")), ids=str)
def test_conda_environments_pin_the_same_versions(env_file):
    pinned = pins(CONSTRAINTS.read_text().splitlines())
    env = conda_pip_pins(env_file)
    assert env.items() <= pinned.items(), f"{env_file.name} disagrees with {CONSTRAINTS.name}"
    here = {re.sub(r"[-_.]+", "-", r.name).lower() for r in dependencies()
            if r.marker is None or r.marker.evaluate({"platform_machine": "x86_64"})}
    assert here <= env.keys(), f"{env_file.name} lacks {here - env.keys()}"


@pytest.mark.parametrize("recipe", ["Dockerfile", "seedflow.def"])
def test_container_recipes_install_from_the_constraints(recipe):
    text = (REPO / "containers" / recipe).read_text()
    assert "envs/constraints.txt" in text
    assert re.search(r"pip install [^\n]*-c [^\n]*constraints\.txt", text), recipe
