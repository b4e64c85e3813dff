"""``lockctl check``: one line per lock and state, the facts under it, and the command to run.

Loaded for ``check`` alone; like ``ops.check`` it keeps the resolver and the HTTP client out
of the common case (every lock in sync), which must answer at once from a pre-commit hook.
"""

from __future__ import annotations

import contextlib
import io
import json
import shlex
from pathlib import Path
from typing import TextIO

from lockctl.cli.parser import parse_argv
from lockctl.ops.check import CheckReport, check_locks
from lockctl.ops.commands import CheckCommand, CompileCommand
from lockctl.ops.findings import Finding, InputChange
from lockctl.reqfile import shown_path

__all__ = ["run_check"]

_STATES = {
    "inputs-changed": "inputs changed since the lock was compiled",
    "hand-edited": "edited by hand since lockctl wrote it",
    "inconsistent": "inconsistent",
    "not-checked": "partly checked",
}


def run_check(command: CheckCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    report = check_locks(command, Path.cwd(), recorded=_recorded)
    if command.format == "json":
        json.dump(report.to_dict(), out, indent=2)
        out.write("\n")
    else:
        out.write(render_report(report, quiet=quiet))
    if report.in_sync or not command.fix:
        return 0 if report.in_sync else 1
    return _fix(report, out, quiet=quiet, verbose=verbose)


def _recorded(header: str) -> CompileCommand | None:
    """The compile command a lock's header names, parsed as lockctl would run it."""
    words = shlex.split(header)
    argv = (
        ["compile", *words[2:]] if words[:2] == ["lockctl", "compile"] else ["compile", *words[1:]]
    )
    with contextlib.redirect_stderr(io.StringIO()), contextlib.suppress(SystemExit):
        _, parsed = parse_argv(argv)
        return parsed if isinstance(parsed, CompileCommand) else None
    return None  # pip-compile options lockctl does not take


def render_report(report: CheckReport, *, quiet: bool = False) -> str:
    lines: list[str] = []
    for lock in report.locks:
        name = shown_path(lock.lock)
        if lock.in_sync:
            if not quiet:
                note = "" if lock.has_digest else " (no lockctl digest: checked against its inputs)"
                lines.append(f"{name}: in sync{note}")
            lines += [f"  {_finding(f)}" for f in lock.findings if f.group == "not-checked"]
            continue
        if not lock.has_digest:
            lines.append(f"{name}: no lockctl digest (pip-compile wrote it?): checked in itself")
        for group in lock.groups:
            lines.append(f"{name}: {_STATES[group]}")
            lines += [f"  {_finding(f)}" for f in lock.findings if f.group == group]
    commands = dict.fromkeys(shlex.join(lock.fix) for lock in report.locks if not lock.in_sync)
    lines += [f"run: {command}" for command in commands]
    edited = [lock for lock in report.locks if "hand-edited" in lock.groups]
    lines += [
        f"  or, to keep the hand edits that are consistent: lockctl reconcile "
        f"{shlex.quote(shown_path(lock.lock))} --write"
        for lock in edited
    ]
    return "".join(f"{line}\n" for line in lines)


def _finding(finding: Finding) -> str:
    kind = finding.kind
    if kind == "target-changed":
        return f"target: compiled for {finding.was}, now {finding.now}"
    if kind == "overrides-changed":
        return "overrides changed"
    if kind == "options-changed":
        return "options that change the resolution (--pre) changed"
    if kind == "file-added":
        return f"{finding.file}: now included"
    if kind == "file-removed":
        return f"{finding.file}: no longer included"
    if kind == "file-changed":
        changes = "; ".join(_change(change) for change in finding.changes)
        return f"{finding.file}: {changes or 'changed (the old lines are not in this cache)'}"
    if kind == "pin-edited":
        if finding.was is None:
            return f"{finding.name}=={finding.now}: added by hand"
        if finding.now is None:
            return f"{finding.name}: removed by hand (lockctl wrote {finding.was})"
        return f"{finding.name}: {finding.now} in the lock, lockctl wrote {finding.was}"
    if kind == "pins-edited":
        return "the pins differ from what lockctl wrote (which pins: not in this cache)"
    return _consistency(finding)


def _consistency(finding: Finding) -> str:
    where = f" ({shown_path(finding.file)} line {finding.line})" if finding.file is not None else ""
    kind = finding.kind
    if kind == "unpinned":
        return f"{finding.requirement}{where} has no pin"
    if kind == "unsatisfied":
        return f"{_pinned(finding)} does not meet {finding.requirement}{where}"
    if kind == "missing":
        return f"{finding.required_by} requires {finding.requirement}, which has no pin"
    if kind == "conflict":
        return (
            f"{_pinned(finding)} does not meet {finding.requirement}, "
            f"required by {finding.required_by}"
        )
    if kind == "orphaned":
        return f"{_pinned(finding)} is pinned but nothing requires it"
    names = ", ".join(finding.names)
    return f"not checked (no metadata in the cache; --online fetches it): {names}"


def _pinned(finding: Finding) -> str:
    """A pin as the lock writes it: ``name==version``, or ``name @ URL`` for a direct one."""
    if finding.url is not None:
        return f"{finding.name} @ {finding.url}"
    return f"{finding.name}=={finding.version}"


def _change(change: InputChange) -> str:
    at = f" (line {change.line})" if change.line is not None else ""
    if change.change == "added":
        return f"+ {change.requirement}{at}"
    if change.change == "removed":
        return f"- {change.requirement}"
    return f"{change.was} -> {change.requirement}{at}"


def _fix(report: CheckReport, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    from lockctl.cli.compile_cmd import run_compile

    status = 0
    for fix in dict.fromkeys(lock.fix for lock in report.locks if not lock.in_sync):
        out.write(f"running: {shlex.join(fix)}\n")
        _, command = parse_argv(list(fix[1:]))
        assert isinstance(command, CompileCommand)
        status = max(status, run_compile(command, out, quiet=quiet, verbose=verbose))
    return status
