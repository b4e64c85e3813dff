"""``lockctl verify``: progress while images build, then one report per lock.

Progress goes to stderr: on a terminal one line rewritten in place ("step N/M"), elsewhere
(a CI log) one line per step; ``-v`` adds every line the build prints, ``-q`` nothing. Every
line starts with its lock's name (locks are verified in parallel, ``--jobs``). The
report goes to ``out``: what was verified and where, every finding in words, the drift table
with the Dockerfile's install lines, or the failing build step with the end of its log.
``--format json`` writes the same values.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from lockctl.ops.commands import VerifyCommand
from lockctl.ops.verify import VerifyEvent, clear_cache, verify_locks
from lockctl.reqfile import shown_path
from lockctl.urls import redact_text
from lockctl.verify.report import CacheCleared, Phase, VerifyFinding, VerifyReport
from lockctl.verify.runtime import BuildFailure, BuildStep

__all__ = ["VerifyProgress", "render_cleared", "render_report", "render_reports", "run_verify"]

_PHASES = {
    "build": "building on {subject}",
    "probe": "pip check, pip inspect and imports in {subject}",
    "base": "what the base image {subject} brings",
}


def run_verify(command: VerifyCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    cleared = clear_cache(os.environ) if command.clear_cache else None
    reports: tuple[VerifyReport, ...] = ()
    if command.locks or cleared is None:
        progress = VerifyProgress(sys.stderr, quiet=quiet, verbose=verbose)
        try:
            reports = verify_locks(command, Path.cwd(), environ=os.environ, on_event=progress)
        finally:
            progress.clear()
    if command.format == "json":
        document = {
            "version": 1,
            "ok": all(report.ok for report in reports),
            "locks": [report.to_dict() for report in reports],
            **({"cache": cleared.to_dict()} if cleared is not None else {}),
        }
        out.write(redact_text(json.dumps(document, indent=2)) + "\n")  # index URLs in steps
    else:
        out.write(render_cleared(cleared) if cleared is not None else "")
        out.write(render_reports(reports))
    return 0 if all(report.ok for report in reports) else 1


def render_cleared(cleared: CacheCleared) -> str:
    if cleared.removed:
        return f"removed the wheel cache (volume {cleared.volume}) at {cleared.where}\n"
    return f"no wheel cache to remove (volume {cleared.volume}) at {cleared.where}\n"


class VerifyProgress:
    """Called from the worker threads that verify locks in parallel: each line names its lock,
    and one line is written at a time."""

    def __init__(self, stream: TextIO, *, quiet: bool, verbose: bool) -> None:
        self._stream = stream
        self._quiet = quiet
        self._verbose = verbose
        self._tty = stream.isatty() and not verbose
        self._shown = False
        self._writing = threading.Lock()

    def __call__(self, event: VerifyEvent) -> None:
        if self._quiet:
            return
        lock = shown_path(event.lock)
        if isinstance(event, Phase):
            self._line(lock, _PHASES[event.kind].format(subject=event.subject))
        elif isinstance(event.event, BuildStep):
            step = event.event
            self._line(lock, f"step {step.number}/{step.total}: {step.instruction}")
        elif self._verbose:
            self._line(lock, f"  | {redact_text(event.event.line)}")

    def clear(self) -> None:
        with self._writing:
            if self._tty and self._shown:
                self._stream.write("\r\x1b[K")
                self._stream.flush()
                self._shown = False

    def _line(self, lock: str, text: str) -> None:
        line = redact_text(f"{lock}: {text}")
        with self._writing:
            if self._tty:
                width = shutil.get_terminal_size().columns - 1
                self._stream.write("\r\x1b[K" + line[:width])
                self._shown = True
            else:
                self._stream.write(line + "\n")
            self._stream.flush()


def render_reports(reports: Sequence[VerifyReport]) -> str:
    return "".join(render_report(report) for report in reports)


def render_report(report: VerifyReport) -> str:
    name = shown_path(report.lock)
    lines = [f"{name}: {'verified' if report.ok else 'verification failed'} {_where(report)}"]
    if report.build_failure is not None:
        lines += _build_failure(report.build_failure, report)
    else:
        lines.append(f"  {_summary(report)}")
        lines += [f"  {_finding(f)}" for f in report.findings if not f.drift]
        lines += _drift(report)
    lines += [f"  note: {note}" for note in report.notes]
    if report.kept is not None:
        lines.append(f"  kept: {report.kept}")
    lines += [f"  warning: not removed: {left}" for left in report.leftovers]
    return "".join(f"{redact_text(line)}\n" for line in lines)


def _where(report: VerifyReport) -> str:
    what = "(project image" if report.mode == "project" else "(lock alone, --no-deps"
    if report.dockerfile is not None:
        what += f" of {shown_path(report.dockerfile)}"
    if report.base_image and report.sandbox == "container":
        what += f", from {report.base_image}"
    what += f"; {report.where}"
    if report.python:
        what += f"; Python {report.python}"
    return what + ")"


def _summary(report: VerifyReport) -> str:
    check = [f for f in report.findings if f.kind not in ("import-failed",) and not f.drift]
    parts = [_count(report.pins, "pin"), f"{_count(report.installed, 'distribution')} installed"]
    failing = [f for f in check if f.fails]
    parts.append("pip check: clean" if not failing else f"pip check: {_count(failing, 'problem')}")
    failed_imports = sum(1 for f in report.findings if f.kind == "import-failed")
    if report.imports_checked:
        parts.append(
            f"imports: {report.imports_checked - failed_imports}/{report.imports_checked} ok"
        )
    return ", ".join(parts)


def _count(items: int | Sequence[object], noun: str) -> str:
    count = items if isinstance(items, int) else len(items)
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _finding(finding: VerifyFinding) -> str:
    who = f"{finding.name} {finding.version}"
    kind = finding.kind
    if kind == "missing-dependency":
        return (
            f"missing: {finding.dependency} is required by {who} and is not installed "
            "(the lock has no pin for it)"
        )
    if kind == "conflict":
        return (
            f"conflict: {who} requires {finding.requirement}, "
            f"but {finding.dependency} {finding.installed} is installed"
        )
    if kind == "overridden":
        return (
            f"overridden (as the lock says): {who} requires {finding.requirement}, "
            f"{finding.dependency} {finding.installed} is installed by the override "
            f"{finding.override}"
        )
    if kind == "unsupported":
        return f"unsupported: {who} is not supported on this platform"
    if kind == "import-failed":
        module = f" (import {finding.module})" if finding.module else ""
        return f"import failed: {finding.name}{module}: {finding.error}"
    return f"pip check: {finding.line}"


def _drift(report: VerifyReport) -> list[str]:
    rows = report.drift
    if not rows:
        return []
    title = "the image does not install the lock" if report.mode == "project" else "not installed"
    table = [("package", "lock", "image", "")]
    for row in rows:
        note = {"not-installed": "missing", "version-differs": "different", "extra": "extra"}
        table.append((row.name or "", row.locked or "-", row.installed or "-", note[row.kind]))
    widths = [max(len(cells[i]) for cells in table) for i in range(3)]
    lines = [f"  {title}:"]
    lines += [
        "    "
        + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells[:3]))
        + f"  {cells[3]}"
        for cells in table
    ]
    lines += _install_lines(report)
    return [line.rstrip() for line in lines]


def _install_lines(report: VerifyReport) -> list[str]:
    if report.dockerfile is None:
        return []
    where = shown_path(report.dockerfile)
    if not report.install_lines:
        return [f"  {where} has no line that installs packages"]
    lines = [f"  what {where} installs:"]
    for instruction in report.install_lines:
        for offset, text in enumerate(instruction.text.splitlines()):
            lines.append(f"    {where}:{instruction.line + offset}: {text.strip()}")
    return lines


def _build_failure(failure: BuildFailure, report: VerifyReport) -> list[str]:
    step = failure.step
    where = f"step {step.number}/{step.total}" if step else "before the first step"
    if report.failed_instruction is not None and report.dockerfile is not None:
        where += f" ({shown_path(report.dockerfile)} line {report.failed_instruction.line})"
    where += f": {step.instruction}" if step else ""
    lines = [f"  the build failed at {where}", f"  {failure.message}"]
    if failure.log:
        lines.append(f"  the last {len(failure.log)} lines of the step's log:")
        lines += [f"    | {line}" for line in failure.log]
    lines += _install_lines(report) if report.install_lines else []
    return lines
