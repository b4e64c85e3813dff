"""``lockctl override add|remove|list``: edit the overrides in pyproject.toml."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from lockctl.config import find_pyproject
from lockctl.errors import UsageError
from lockctl.ops.commands import OverrideCommand

__all__ = ["run_override"]


def run_override(command: OverrideCommand, out: TextIO) -> int:
    from lockctl.config.edit import add_override, list_overrides, remove_override

    path = command.pyproject or find_pyproject(Path.cwd())
    if path is None:
        if command.action != "add":
            raise UsageError("no pyproject.toml here or above", hint="pass --pyproject FILE")
        path = Path.cwd() / "pyproject.toml"
    if command.action == "list":
        for lock, entry in list_overrides(path):
            scope = f"[{lock}]" if lock else "[all locks]"
            reason = f"  # {entry.reason}" if entry.reason else ""
            out.write(f"{entry.requirement}  {scope}  {entry.file.name}:{entry.line}{reason}\n")
        return 0
    assert command.value is not None
    if command.action == "add":
        message = add_override(path, command.value, lock=command.lock, reason=command.reason)
    else:
        message = remove_override(path, command.value, lock=command.lock)
    out.write(f"{message}\n")
    return 0
