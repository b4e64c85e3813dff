"""Find the project's pyproject.toml without reading it (so without loading a TOML parser)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["find_pyproject"]

_REPOSITORY_MARKERS = (".git", ".hg")


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` in ``start`` (a file's directory) or above it.

    Like pip-tools and black, the nearest file wins, whether or not it has ``[tool.lockctl]``
    (a pyproject without the section is a valid, empty configuration). The walk stops after
    the first directory that holds ``.git`` or ``.hg`` (a file there counts too: worktrees
    and submodules), and at the file system's root.
    """
    here = start.absolute()
    if not here.is_dir():
        here = here.parent
    for directory in (here, *here.parents):
        candidate = directory / "pyproject.toml"
        if candidate.is_file():
            return candidate
        if any((directory / marker).exists() for marker in _REPOSITORY_MARKERS):
            return None
    return None
