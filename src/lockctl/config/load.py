"""Find pyproject.toml, read ``[tool.lockctl]`` from it, and find the locks it does not list."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lockctl.config.document import read_pyproject
from lockctl.config.find import find_pyproject
from lockctl.config.model import LockEntry, ProjectConfig
from lockctl.config.validate import default_output, read_config
from lockctl.errors import ConfigError

__all__ = ["default_config", "discover_locks", "find_pyproject", "load_config"]

# A directory holding one of these is the top of a checkout: the search stops there, so a
# pyproject.toml above the repository (in a home directory, say) is never picked up by accident.


def load_config(path: Path) -> ProjectConfig:
    """Read ``path`` (a pyproject.toml); raise ConfigError with every problem found.

    Without ``[tool.lockctl]``, or with no ``lock`` key in it, the locks are discovered.
    """
    config, problems = read_config(read_pyproject(path))
    if problems:
        raise ConfigError(tuple(problems))
    if config.discovered:
        config = dataclasses.replace(config, locks=discover_locks(config.root))
    return config


def default_config(root: Path) -> ProjectConfig:
    """The configuration of a directory that has no pyproject.toml: defaults, discovered locks."""
    root = root.resolve()
    return ProjectConfig(
        path=root / "pyproject.toml", root=root, locks=discover_locks(root), discovered=True
    )


def discover_locks(root: Path) -> tuple[LockEntry, ...]:
    """Every ``requirements*.in`` and ``requirements/*.in`` under ``root``, sorted by path,
    each locked into the ``.txt`` file of the same name beside it."""
    found = [*root.glob("requirements*.in"), *root.glob("requirements/*.in")]
    inputs = sorted((path for path in found if path.is_file()), key=lambda p: p.as_posix())
    return tuple(LockEntry(input=path, output=default_output(path)) for path in inputs)
