"""``[tool.lockctl]`` in pyproject.toml: read it into values, and edit its overrides in place.

::

    [tool.lockctl]
    python-version = "3.11"          # or dockerfile = "Dockerfile" (its FROM python:X.Y line)
    base-image = "python:3.11-slim"  # verify: what a lock is installed into
    platform = "linux_x86_64"        # a key of lockctl.target.PLATFORMS
    index-url = "https://index.example/simple"
    extra-index-url = []
    find-links = []
    trusted-host = []
    no-index = false
    generate-hashes = true
    overrides = ["pydantic<3", { requirement = "rich>=13.9.4", reason = "fastmcp 2.x needs it" }]

    [[tool.lockctl.lock]]            # without any, requirements*.in and requirements/*.in
    input = "requirements-mlflow.in"
    output = "requirements-mlflow.txt"   # the default: the input with .txt
    overrides = ["pandas==2.1.1"]        # this lock's own, winning over the global ones
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockctl.config.find import find_pyproject
from lockctl.config.model import LockEntry, OverrideEntry, ProjectConfig
from lockctl.lazy import lazy_attributes

if TYPE_CHECKING:
    from lockctl.config.edit import add_override, list_overrides, remove_override
    from lockctl.config.load import default_config, discover_locks, load_config

_LAZY = {
    "add_override": "edit",
    "list_overrides": "edit",
    "remove_override": "edit",
    "default_config": "load",
    "discover_locks": "load",
    "load_config": "load",
}


# PEP 562: reading or editing pyproject.toml loads tomlkit; finding it does not, and a plain
# compile in a directory without a project only ever finds nothing.
__getattr__ = lazy_attributes(__name__, _LAZY)

__all__ = [
    "LockEntry",
    "OverrideEntry",
    "ProjectConfig",
    "add_override",
    "default_config",
    "discover_locks",
    "find_pyproject",
    "list_overrides",
    "load_config",
    "remove_override",
]
