"""``lockctl drift``: the report as a terminal table, Markdown or JSON, and an exit code a
scheduler can act on.

0: nothing to report (no finding of a ``--fail-on`` kind); 1: drift found; 3: nothing could
be checked (the index failed for every pin and every recompile). Pins the index could not
answer for are rows of their own ("unknown (index error: ...)"), never drift. The report goes
to stdout, or with ``--output FILE`` to that file, written atomically.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TextIO

from lockctl.atomic import check_writable, write_atomically
from lockctl.cli.render import event_reporter
from lockctl.ops.commands import DRIFT_KINDS, DriftCommand
from lockctl.ops.drift import drift_locks
from lockctl.ops.drift_findings import Blocker, DriftFinding, DriftReport, LockDrift, PinMove

__all__ = [
    "describe_blocker",
    "describe_finding",
    "explain_unresolvable",
    "render_table",
    "run_drift",
    "summary",
]

EXIT_DRIFT = 1
EXIT_NOTHING_CHECKED = 3


def run_drift(command: DriftCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    report = event_reporter(verbose=verbose)
    if command.output is not None:
        check_writable(command.output, what="report")  # refused before any work
    found = drift_locks(command, Path.cwd(), now=datetime.now(timezone.utc), reporter=report)
    text = _render(found, command.format)
    if command.output is None:
        out.write(text)
    else:
        write_atomically(command.output, text)
        if not quiet:
            print(f"wrote the drift report to {command.output}", file=sys.stderr)
    if command.update and not quiet:
        print(_update_note(found), file=sys.stderr)
    if found.drift:
        return EXIT_DRIFT
    return 0 if found.checked else EXIT_NOTHING_CHECKED


def _render(report: DriftReport, format: str) -> str:
    if format == "json":
        return json.dumps(report.to_dict(), indent=2) + "\n"
    if format == "markdown":
        from lockctl.cli.drift_markdown import render_markdown

        return render_markdown(report)
    return render_table(report)


def _update_note(report: DriftReport) -> str:
    written = [str(lock.lock) for lock in report.locks if lock.recompile.written]
    if written:
        return f"updated {', '.join(written)}"
    if all(lock.recompile.status == "resolves" for lock in report.locks):
        return "nothing to update: a fresh compile would write every lock as it is"
    return "nothing written: not every lock could be compiled again (see the report)"


# -- the words, shared by the table and the Markdown -----------------------------------------


def summary(report: DriftReport) -> str:
    """``3 findings in 2 locks: 1 yanked, 2 outdated`` (or that there is none)."""
    counts = report.counts()
    total = sum(counts.values())
    locks = _plural(len(report.locks), "lock")
    unknown = sum(len(lock.unknown) for lock in report.locks)
    tail = f"; {_plural(unknown, 'pin')} not checked" if unknown else ""
    if not total:
        pins = sum(lock.pins for lock in report.locks)
        return f"no drift in {locks} ({_plural(pins, 'pin')}){tail}"
    parts = ", ".join(f"{counts[kind]} {kind}" for kind in DRIFT_KINDS if counts[kind])
    return f"{_plural(total, 'finding')} in {locks}: {parts}{tail}"


def describe_finding(finding: DriftFinding) -> str:
    """What a finding says beyond its kind, package and pinned version."""
    kind = finding.kind
    if kind == "outdated":
        return f"{finding.latest} allowed"
    if kind == "blocked":
        blockers = "; ".join(describe_blocker(b) for b in finding.blocked_by)
        return f"{finding.latest}, blocked by {blockers or 'the pinned parents'}"
    if kind == "yanked":
        return f"yanked: {finding.reason}" if finding.reason else "yanked (no reason given)"
    if kind == "gone":
        return _gone(finding)
    if kind == "vulnerable":
        return _vulnerable(finding)
    return "a fresh compile --upgrade does not resolve"


def _gone(finding: DriftFinding) -> str:
    if finding.reason == "project-not-found":
        return "no index has the project any more"
    if finding.reason == "version-not-listed":
        return f"the index no longer lists {finding.version}"
    if finding.reason == "locked-files-not-listed":
        return "none of the files the lock hashes is on the index any more"
    return f"no file for the target any more ({finding.detail})"


def _vulnerable(finding: DriftFinding) -> str:
    advisory = finding.advisory
    assert advisory is not None
    name = advisory.id + (f" ({', '.join(advisory.aliases)})" if advisory.aliases else "")
    if advisory.severity:
        name += f" [{advisory.severity}]"
    fixed = f"fixed in {', '.join(finding.fixed)}" if finding.fixed else "no fixed version named"
    if finding.fixed_allowed is not None:
        return f"{name}: {fixed}; the inputs allow {finding.fixed_allowed}"
    if finding.blocked_by:
        blockers = "; ".join(describe_blocker(b) for b in finding.blocked_by)
        return f"{name}: {fixed}; no fixed release the inputs allow (blocked by {blockers})"
    return f"{name}: {fixed}; no release on the index is fixed"


def describe_blocker(blocker: Blocker) -> str:
    """``lib<2 (requirements.in line 3)``, ``override lib<2 (pyproject.toml line 6)``,
    ``lib<2 required by app==1.0``."""
    if blocker.kind == "parent":
        return f"{blocker.requirement} required by {blocker.required_by}"
    label = "" if blocker.kind == "requirement" else f"{blocker.kind} "
    where = "the command line" if blocker.file is None else f"{blocker.file} line {blocker.line}"
    return f"{label}{blocker.requirement} ({where})"


def explain_unresolvable(finding: DriftFinding) -> str:
    """Why a fresh compile does not resolve: the conflict explained as compile explains it."""
    from lockctl.cli.conflicts import render_conflict

    if finding.conflict is not None:
        return render_conflict(finding.conflict.conflict)
    return (
        f"error: {finding.name} is on no index any more: {finding.requirement} "
        f"(required by {finding.required_by})"
    )


def _moves(moves: tuple[PinMove, ...]) -> str:
    return ", ".join(_move(move) for move in moves)


def _move(move: PinMove) -> str:
    if move.old is None:
        return f"+ {move.name} {move.new}"
    if move.new is None:
        return f"- {move.name} {move.old}"
    return f"{move.name} {move.old} -> {move.new}"


def _recompile_line(lock: LockDrift) -> str:
    recompile = lock.recompile
    if recompile.status == "unknown":
        return f"compile --upgrade: unknown ({recompile.error})"
    if recompile.status == "unresolvable":
        return "compile --upgrade: does not resolve"
    done = "updated" if recompile.written else "would move"
    if not recompile.moves:
        return "compile --upgrade: resolves, no pin moves"
    return f"compile --upgrade: resolves; {done} {_moves(recompile.moves)}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


# -- the terminal table ----------------------------------------------------------------------


def render_table(report: DriftReport) -> str:
    lines: list[str] = []
    for lock in report.locks:
        lines.append(f"{lock.lock} ({lock.target.describe()}, {_plural(lock.pins, 'pin')})")
        rows: list[tuple[str, str, str, str]] = [
            (f.name or "", f.version or "", f.kind, describe_finding(f))
            for f in lock.findings
            if f.kind != "unresolvable"
        ]
        rows += [
            (pin.name, pin.version, f"unknown (index error: {pin.error})", "")
            for pin in lock.unknown
        ]
        if rows:
            lines += _columns([("package", "pinned", "finding", "details"), *rows])
        else:
            lines.append("  every pin is current")
        lines.append(f"  {_recompile_line(lock)}")
        for finding in lock.findings:
            if finding.kind == "unresolvable":
                lines += [f"    {line}" for line in explain_unresolvable(finding).splitlines()]
        if lock.not_filtered:
            lines.append(
                "  --exclude-newer not applied (the index gives no upload times): "
                + ", ".join(lock.not_filtered)
            )
    lines.append(summary(report))
    return "".join(f"{line}\n" for line in lines)


def _columns(rows: list[tuple[str, str, str, str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return [
        "  "
        + "  ".join(
            cell.ljust(width) for cell, width in zip(row, [*widths, 0], strict=True)
        ).rstrip()
        for row in rows
    ]
