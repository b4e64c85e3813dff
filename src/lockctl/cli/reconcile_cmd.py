"""``lockctl reconcile``: the report in words (a table for people) or as JSON (for machines).

A clean lock is one line and exit 0. Anything wrong (a row that is not ok, pip refusing the
lock, inputs that do not resolve) is exit 1; with ``--write`` the lock is then rewritten when
an honest lock exists, and the exit code still says that the lock as found was wrong.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lockctl.cli.conflicts import render_conflict
from lockctl.cli.render import event_reporter
from lockctl.ops.commands import ReconcileCommand
from lockctl.ops.reconcile import reconcile
from lockctl.ops.reconcile_rows import Asker, Clash, Demand, Move, ReconcileReport, ReconcileRow
from lockctl.reqfile import shown_path

__all__ = ["render_report", "run_reconcile"]

_HEADINGS = ("package", "lock", "pip", "lockctl", "status")


def run_reconcile(
    command: ReconcileCommand,
    out: TextIO,
    *,
    quiet: bool,
    verbose: bool,
    pip: Sequence[str] | None = None,
) -> int:
    """Run ``reconcile`` and print its report; ``pip`` is how to run pip (default: the
    interpreter's own ``python -m pip``)."""

    report = event_reporter(verbose=verbose)
    found = reconcile(command, Path.cwd(), pip=pip, reporter=report)
    if command.format == "json":
        out.write(json.dumps(found.to_dict(), indent=2) + "\n")
    else:
        out.write(render_report(found, verbose=verbose))
    return 0 if found.clean else 1


def render_report(report: ReconcileReport, *, verbose: bool = False) -> str:
    """The report for people: one line when the lock is clean, else the table and the rest."""
    lock = shown_path(report.lock)
    where = f"{report.target.describe()}, input {shown_path(report.input)}"
    if report.clean:
        return _clean(report)
    problems = report.problems
    lines = [f"{lock}: {_count(len(problems), 'package')} to fix ({where})"]
    shown = report.rows if verbose else problems
    if shown:
        lines += _table(shown, pip_ran=report.pip.ok)
    if not verbose and len(shown) < len(report.rows):
        lines.append(
            f"  ({_count(len(report.rows) - len(shown), 'other package')} ok; -v lists all)"
        )
    if report.pip_refusal_expected:
        lines.append(_no_deps(report) + ", and says:")
        lines += [f"  | {line}" for line in report.pip.error]
    elif not report.pip.ok:
        lines.append("pip cannot install this lock:")
        lines += [f"  | {line}" for line in report.pip.error]
    if verbose:
        lines.append(f"pip command: {shlex.join(report.pip.command)}")
    if report.conflict is not None:
        lines += _unreconcilable(report)
    elif report.moves:
        done = "wrote" if report.written else "--write would write"
        lines.append(f"{done} {lock}, changing {_count(len(report.moves), 'pin')}:")
        lines += [f"  {_move(move)}" for move in report.moves]
    elif report.text is not None:
        done = "wrote" if report.written else "--write would write"
        lines.append(f"{done} {lock}, with every pin where it is")
    return "\n".join(lines) + "\n"


def _clean(report: ReconcileReport) -> str:
    lock = shown_path(report.lock)
    pins = sum(1 for row in report.rows if row.lock is not None)
    where = report.target.describe()
    text = f"{lock}: ok, in sync with {shown_path(report.input)}"
    if report.pip_refusal_expected:
        text += f" ({where}); {_no_deps(report)}"
    else:
        text += f"; pip installs exactly its {_count(pins, 'pin')} ({where})"
    if report.written:
        text += f"; rewrote {lock} (its pins unchanged)"
    return text + "\n"


def _no_deps(report: ReconcileReport) -> str:
    names = ", ".join(report.overridden)
    return (
        f"pip cannot check its dependencies, as it overrides {names} and pip has no "
        "overrides (install it with pip install --no-deps)"
    )


def _count(number: int, what: str) -> str:
    return f"{number} {what}{'' if number == 1 else 's'}"


def _table(rows: Sequence[ReconcileRow], *, pip_ran: bool) -> list[str]:
    absent = "-" if pip_ran else "?"  # pip refused the lock: what it installs is unknown
    cells = [
        (
            row.name,
            str(row.lock or "-"),
            str(row.pip) if row.pip is not None else absent,
            str(row.lockctl or "-"),
            _status(row),
        )
        for row in rows
    ]
    widths = [max(len(cell[i]) for cell in [_HEADINGS, *cells]) for i in range(4)]
    return [
        "  " + "  ".join(cell[i].ljust(widths[i]) for i in range(4)) + "  " + cell[4]
        for cell in [_HEADINGS, *cells]
    ]


def _status(row: ReconcileRow) -> str:
    if row.kind == "ok":
        return "ok"
    if row.kind == "missing":
        return f"missing: {_requirers(row.demands) or 'pip installs it'}"
    if row.kind == "orphaned":
        return "orphaned: nothing requires it any more" + _was_for(row.via)
    if row.kind == "inconsistent":
        return "inconsistent: " + "; ".join(_clash(clash, row) for clash in row.clashes)
    if row.kind == "stale-annotation":
        written = ", ".join(row.via) or "nothing"
        return f"stale-annotation: # via says {written}, should say {', '.join(row.expected_via)}"
    reasons = [_clash(clash, row) for clash in row.clashes]
    if row.unavailable is not None:
        reasons.append(row.unavailable)
    if not reasons:
        reasons.append(f"the inputs resolve to {row.lockctl}")
    return "hand-edited: " + "; ".join(reasons)


def _was_for(via: Sequence[str]) -> str:
    return f" (it was there for {', '.join(via)})" if via else " (no # via: added by hand?)"


def _asker(asker: Asker) -> str:
    if asker.kind == "pin":
        kept = " (kept)" if asker.kept else ""
        return f"{asker.name} {asker.version}{kept}"
    if asker.kind == "override":
        where = "the command line" if asker.where is None else asker.where.describe()
        return f"the override in {where}"
    assert asker.where is not None
    return asker.where.describe()


def _requirers(demands: Sequence[Demand]) -> str:
    return "; ".join(f"{_asker(d.asker)} requires {d.requirement}" for d in demands)


def _clash(clash: Clash, row_or_move: ReconcileRow | Move) -> str:
    demand = clash.demand
    if demand.project == row_or_move.name:
        return f"{_asker(demand.asker)} requires {demand.requirement}"
    # One of the pin's own requirements, against the version another project is pinned to.
    return f"it requires {demand.requirement}, which rules out {demand.project} {clash.version}"


def _move(move: Move) -> str:
    if move.kind == "added":
        return f"add {move.name}=={move.new}: {_requirers(move.demands) or 'pip installs it'}"
    if move.kind == "removed":
        return f"remove {move.name}=={move.old}: nothing requires it any more{_was_for(move.via)}"
    reasons = [_clash(clash, move) for clash in move.clashes]
    if move.unavailable is not None:
        reasons.append(move.unavailable)
    why = "; ".join(reasons) or "the resolution needs another version"
    return f"move {move.name} {move.old} -> {move.new}: {why}"


def _unreconcilable(report: ReconcileReport) -> list[str]:
    conflict = report.conflict
    assert conflict is not None
    lines = [f"lockctl cannot resolve {shown_path(report.input)}: there is no honest lock to write"]
    lines += [f"  {line}" for line in render_conflict(conflict.conflict).splitlines()]
    if conflict.held:
        held = ", ".join(
            f"{name}=={version} (line {line})" for name, version, line in conflict.held
        )
        lines.append(f"  the lock's pins in this conflict: {held}")
    lines.append(f"{shown_path(report.lock)} is left as it is")
    return lines
