"""``lockctl override add|remove|list``: edit the overrides in pyproject.toml."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from lockctl.config import find_pyproject
from lockctl.errors import UsageError

__all__ = ["OverrideCommand", "add_override_parser", "override_command", "run_override"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideCommand:
    action: Literal["add", "remove", "list"]
    value: str | None  # the requirement to add, or the project to remove
    lock: str | None  # the output of the lock whose own overrides to edit; None: global
    reason: str | None
    pyproject: Path | None


def add_override_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        "override", help="add, remove or list the overrides in pyproject.toml"
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser("add", help="add an override (replacing one on the same project)")
    add.add_argument("value", metavar="REQUIREMENT", help="for example 'rich>=13.9.4'")
    add.add_argument("--reason", help="why: written beside the pin in the lock")
    remove = actions.add_parser("remove", help="remove the override on a project")
    remove.add_argument("value", metavar="NAME")
    listing = actions.add_parser("list", help="list every override")
    for sub in (add, remove, listing):
        sub.add_argument("--pyproject", type=Path, help="default: the nearest pyproject.toml")
    for sub in (add, remove):
        sub.add_argument(
            "--lock", metavar="OUTPUT", help="only for the lock that writes OUTPUT (default: all)"
        )


def override_command(ns: argparse.Namespace) -> OverrideCommand:
    return OverrideCommand(
        action=ns.action,
        value=getattr(ns, "value", None),
        lock=getattr(ns, "lock", None),
        reason=getattr(ns, "reason", None),
        pyproject=ns.pyproject,
    )


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
