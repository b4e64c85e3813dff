"""The package's shape: every module imports on its own, and imports point down the layers.

The layers, top to bottom (the README's architecture and lockctl's design document)::

    cli        argv -> a command dataclass -> ops; the one place that prints
    ops        the use cases: compile, and the commands to come
    verify     containers (the only package that imports the docker SDK)
    lockfiles  the lock model, the pip-tools .txt reader and writer
    resolver   resolvelib over a PackageSource Protocol
    reqfile    the requirements-file parser      index   the simple-API client and cache
    config     [tool.lockctl] in pyproject.toml
    base       the top-level modules: errors, events, urls, target, dockerfile, atomic, lazy,
               defaults, tracing

A layer may import itself, the base modules, and the layers listed for it below; a base module
may import only base modules.
"""

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

BASE = {
    "errors",
    "events",
    "urls",
    "target",
    "dockerfile",
    "atomic",
    "lazy",
    "defaults",
    "tracing",
    "__init__",
}
ALLOWED = {
    "cli": {"ops", "config", "verify", "lockfiles", "resolver", "reqfile", "index"},
    "ops": {"config", "verify", "lockfiles", "resolver", "reqfile", "index"},
    "verify": {"lockfiles", "reqfile"},
    "lockfiles": {"resolver", "reqfile", "index"},
    "resolver": {"reqfile", "index"},
    "reqfile": set(),
    "index": set(),
    "config": set(),
    **{name: set() for name in BASE},
    "__main__": {"cli"},
}


def _layer(path: Path) -> str:
    """The layer a source file belongs to: its package, or the module's own name at the top."""
    relative = path.relative_to(PACKAGE)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def _lockctl_imports(path: Path) -> set[str]:
    """The lockctl layers a file imports, in functions too; a relative import stays in its own."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level > 0:
            found.add(_layer(path))
            continue
        if isinstance(node, ast.ImportFrom) and node.module == "lockctl":
            found.add("__init__")  # the package's own attributes (__version__)
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "lockctl" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_every_source_file_belongs_to_a_known_layer() -> None:
    unknown = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")} - {
        str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py") if _layer(p) in ALLOWED
    }
    assert not unknown, f"add these to a layer in tests/test_structure.py: {sorted(unknown)}"


@pytest.mark.parametrize("module", MODULES)
def test_every_module_imports_in_a_fresh_interpreter(module: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE))
)
def test_imports_point_down_the_layers(path: Path) -> None:
    layer = _layer(path)
    wrong = _lockctl_imports(path) - ALLOWED[layer] - BASE - {layer}
    if layer in BASE:
        wrong = _lockctl_imports(path) - BASE
    assert not wrong, f"{path.relative_to(PACKAGE)} ({layer}) imports {sorted(wrong)}"


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
