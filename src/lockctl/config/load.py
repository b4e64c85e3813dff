"""A project's configuration: ``[tool.lockctl]`` read from a pyproject.toml, or the defaults
when there is none, with the locks discovered on disk when the configuration lists none.

``find_pyproject`` (from ``lockctl.config.find``) is exported here too, for callers that find
the file and then load it.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lockctl.config.document import read_pyproject
from lockctl.config.find import find_pyproject
from lockctl.config.model import LockEntry, ProjectConfig
from lockctl.config.validate import default_output, read_config
from lockctl.errors import ConfigError

__all__ = ["default_config", "discover_locks", "find_pyproject", "load_config"]


def load_config(path: Path) -> ProjectConfig:
    """Read ``path`` (a pyproject.toml) into a ``ProjectConfig``.

    Raise ConfigError when the file cannot be read or is not TOML (that one problem), or with
    every problem found in ``[tool.lockctl]``, lock inputs and a Dockerfile that do not exist
    included. Without ``[tool.lockctl]``, or with no ``lock`` key in it, the locks are
    discovered in the file's directory (``discover_locks``); ``lock = []`` means no locks.
    """
    config, problems = read_config(read_pyproject(path))
    if problems:
        raise ConfigError(tuple(problems))
    if config.discovered:
        config = dataclasses.replace(config, locks=discover_locks(config.root))
    return config


def default_config(root: Path) -> ProjectConfig:
    """The configuration of a directory that has no pyproject.toml: defaults, and the locks
    discovered in ``root`` (resolved). Its ``path`` is ``root/pyproject.toml``, which does
    not exist.
    """
    root = root.resolve()
    return ProjectConfig(
        path=root / "pyproject.toml", root=root, locks=discover_locks(root), discovered=True
    )


def discover_locks(root: Path) -> tuple[LockEntry, ...]:
    """The files ``requirements*.in`` in ``root`` and ``*.in`` in ``root/requirements`` (no
    deeper), sorted by POSIX path, each locked into the ``.txt`` file of the same name beside it.
    """
    found = [*root.glob("requirements*.in"), *root.glob("requirements/*.in")]
    inputs = sorted((path for path in found if path.is_file()), key=lambda p: p.as_posix())
    return tuple(LockEntry(input=path, output=default_output(path)) for path in inputs)
