"""The package's shape: every module imports on its own, and imports point down the layers."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import lockctl

PACKAGE = Path(lockctl.__file__).parent
MODULES = sorted(
    ".".join(("lockctl", *path.relative_to(PACKAGE).with_suffix("").parts)).removesuffix(
        ".__init__"
    )
    for path in PACKAGE.rglob("*.py")
    if path.name != "__main__.py"
)

# Layer -> the lockctl layers it may import (DESIGN.md: cli > ops > lockfiles/resolver > reqfile,
# index > base modules). A layer may always import itself and the base modules.
BASE = {"errors", "events", "urls", "config", "target", "atomic", "lazy"}
ALLOWED = {
    "config": set(),
    "cli": {"ops", "verify", "lockfiles", "resolver", "reqfile", "index"},
    "ops": {"verify", "lockfiles", "resolver", "reqfile", "index"},
    "verify": {"lockfiles", "reqfile"},
    "lockfiles": {"resolver", "reqfile", "index"},
    "resolver": {"reqfile", "index"},
    "reqfile": set(),
    "index": set(),
}


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


def _lockctl_imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.split(".")[1] for n in names if n.startswith("lockctl.") and "." in n}
    return found


@pytest.mark.parametrize("layer", sorted(name for name in ALLOWED if (PACKAGE / name).is_dir()))
def test_imports_point_down_the_layers(layer: str) -> None:
    folder = PACKAGE / layer
    for path in folder.rglob("*.py"):
        wrong = _lockctl_imports(path) - ALLOWED[layer] - BASE - {layer}
        assert not wrong, f"{path.relative_to(PACKAGE)} imports {sorted(wrong)}"


def test_the_docker_sdk_is_imported_only_by_verify() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "verify" in path.relative_to(PACKAGE).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] != "docker" for a in node.names), path
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.split(".")[0] != "docker", path


def test_no_pip_internals_are_imported() -> None:
    for path in PACKAGE.rglob("*.py"):
        assert "pip._internal" not in path.read_text(encoding="utf-8"), path
