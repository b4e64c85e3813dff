"""``lockctl drift --format markdown``: the report, ready to paste into an issue or a pull
request body (GitHub-flavoured tables), grouped by severity: unresolvable, vulnerable,
yanked, gone, blocked, outdated; then the pins not checked and what a fresh compile would
change.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lockctl.cli.drift_cmd import (
    describe_blocker,
    describe_finding,
    explain_unresolvable,
    summary,
)
from lockctl.ops.commands import DRIFT_KINDS, DriftKind
from lockctl.ops.cooldown import format_instant
from lockctl.ops.drift_findings import DriftFinding, DriftReport, LockDrift

__all__ = ["render_markdown"]

_TITLES: dict[DriftKind, str] = {
    "unresolvable": "Unresolvable",
    "vulnerable": "Vulnerable",
    "yanked": "Yanked",
    "gone": "Gone from the index",
    "blocked": "Blocked",
    "outdated": "Outdated",
}

_Row = Callable[[DriftFinding], Sequence[str]]


def render_markdown(report: DriftReport) -> str:
    parts = ["## Dependency drift", f"**{_escape(summary(report))}**" + _context(report)]
    for kind in DRIFT_KINDS:
        found = [(lock, f) for lock in report.locks for f in lock.findings if f.kind == kind]
        if not found:
            continue
        parts.append(f"### {_TITLES[kind]} ({len(found)})")
        if kind == "unresolvable":
            parts += [_unresolvable(lock, finding) for lock, finding in found]
        else:
            headings, row = _COLUMNS[kind]
            parts.append(_table(("lock", "package", "pinned", *headings), found, row))
    unknown = [(lock, pin) for lock in report.locks for pin in lock.unknown]
    if unknown:
        parts.append(f"### Not checked ({len(unknown)})")
        rows = [
            (
                _code(str(lock.lock)),
                _code(pin.name),
                pin.version,
                f"unknown (index error: {pin.error})",
            )
            for lock, pin in unknown
        ]
        parts.append(_rows(("lock", "package", "pinned", "why"), rows))
    parts += _recompiles(report.locks)
    return "\n\n".join(parts) + "\n"


def _context(report: DriftReport) -> str:
    notes = []
    if report.advisory_files:
        count = report.advisories
        notes.append(f"{count} {'advisory' if count == 1 else 'advisories'} read")
    if report.exclude_newer is not None:
        notes.append(f"releases uploaded after {format_instant(report.exclude_newer)} ignored")
    for lock in report.locks:
        if lock.not_filtered:
            names = ", ".join(_code(name) for name in lock.not_filtered)
            notes.append(f"no upload times for {names} in {_code(str(lock.lock))}: not filtered")
    return f" ({'; '.join(notes)})" if notes else ""


def _unresolvable(lock: LockDrift, finding: DriftFinding) -> str:
    return (
        f"{_code(str(lock.lock))}: a fresh `lockctl compile --upgrade` does not resolve.\n\n"
        f"```\n{explain_unresolvable(finding)}\n```"
    )


def _vulnerable(finding: DriftFinding) -> Sequence[str]:
    advisory = finding.advisory
    assert advisory is not None
    if finding.fixed_allowed is not None:
        allowed = finding.fixed_allowed
    elif finding.blocked_by:
        allowed = "none: blocked by " + "; ".join(describe_blocker(b) for b in finding.blocked_by)
    else:
        allowed = "none on the index"
    return (
        advisory.id,
        ", ".join(advisory.aliases),
        advisory.severity or "",
        ", ".join(finding.fixed),
        allowed,
    )


def _gone(finding: DriftFinding) -> Sequence[str]:
    return (describe_finding(finding),)


_COLUMNS: dict[DriftKind, tuple[tuple[str, ...], _Row]] = {
    "vulnerable": (
        ("advisory", "aliases", "severity", "fixed in", "the inputs allow"),
        _vulnerable,
    ),
    "yanked": (("reason",), lambda f: (f.reason or "(none given)",)),
    "gone": (("why",), _gone),
    "blocked": (
        ("newest", "blocked by"),
        lambda f: (f.latest or "", "; ".join(describe_blocker(b) for b in f.blocked_by)),
    ),
    "outdated": (("newest allowed",), lambda f: (f.latest or "",)),
}


def _table(
    headings: Sequence[str], found: Sequence[tuple[LockDrift, DriftFinding]], row: _Row
) -> str:
    rows = [
        (_code(str(lock.lock)), _code(f.name or ""), f.version or "", *row(f)) for lock, f in found
    ]
    return _rows(headings, rows)


def _rows(headings: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = [_line(headings), "|" + "---|" * len(headings)]
    lines += [_line([_escape(cell) for cell in row]) for row in rows]
    return "\n".join(lines)


def _recompiles(locks: Sequence[LockDrift]) -> list[str]:
    """The pins a fresh compile moves (or ``--update`` moved), then the locks not tried."""
    rows = [
        (_code(str(lock.lock)), _code(move.name), move.old or "(new)", move.new or "(removed)")
        for lock in locks
        if lock.recompile.status == "resolves"
        for move in lock.recompile.moves
    ]
    parts = []
    if rows:
        written = any(lock.recompile.written for lock in locks)
        title = (
            "Updated by `lockctl drift --update`"
            if written
            else ("What a fresh `lockctl compile --upgrade` would change")
        )
        parts += [f"### {title}", _rows(("lock", "package", "from", "to"), rows)]
    unknown = [
        f"- {_code(str(lock.lock))}: not compiled again ({_escape(lock.recompile.error or '')})"
        for lock in locks
        if lock.recompile.status == "unknown"
    ]
    if unknown:
        parts.append("\n".join(unknown))
    return parts


def _line(cells: Sequence[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _code(text: str) -> str:
    return f"`{text}`" if text else ""


def _escape(text: str) -> str:
    """A table cell keeps to one line, and a ``|`` in it does not end it."""
    return " ".join(text.split()).replace("|", "\\|")
