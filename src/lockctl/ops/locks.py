"""Which locks a command about existing locks (check, drift) is about.

No lock named: every lock of the project (``[[tool.lockctl.lock]]`` of the nearest
``pyproject.toml``, or every ``requirements*.in`` there). Locks named: those that are a
project's, with their entries, and the others, which stand alone. A light module: no resolver.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lockctl.config import LockEntry, ProjectConfig, find_pyproject
from lockctl.errors import UsageError

__all__ = ["LockSelection", "select_locks"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockSelection:
    config: ProjectConfig | None
    entries: tuple[LockEntry, ...]  # locks of the project, in its order
    plain: tuple[Path, ...]  # named locks that no project lists


def select_locks(named: Sequence[Path], cwd: Path, *, command: str) -> LockSelection:
    from lockctl.config.load import default_config, load_config  # tomlkit: only for projects

    found = find_pyproject(cwd)
    config = load_config(found) if found is not None else None
    if not named:
        config = config or default_config(cwd)
        if not config.locks:
            raise UsageError(
                "nothing to check: no [[tool.lockctl.lock]] in pyproject.toml and no "
                "requirements*.in here",
                hint=f"name the lock: lockctl {command} requirements.txt",
            )
        return LockSelection(config=config, entries=config.locks, plain=())
    entries: list[LockEntry] = []
    plain: list[Path] = []
    for lock in named:
        entry = config.lock_for(lock.absolute()) if config is not None else None
        if entry is None:
            plain.append(lock)
        else:
            entries.append(entry)
    return LockSelection(config=config, entries=tuple(entries), plain=tuple(plain))
