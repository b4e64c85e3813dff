"""``lockctl drift``: what changed on the index since each lock was written (the nightly job).

For each lock: every pin against fresh index pages (``ops.drift_pins``: outdated, blocked,
yanked, gone, vulnerable) and a fresh ``compile --upgrade`` as a dry run through compile's own
plan and code (``ops.drift_recompile``): whether it still resolves (``unresolvable``, with the
conflict as data, when not) and which pins it would move. ``--update`` writes the locks that
change through compile's writer (``ops.compile.write_results``): all of them or none, and
none unless every lock compiled.

An index that fails for a project makes that project's pins unknown, never guessed; the rest
is still reported.

A ``name @ URL`` pin is not looked up on the index: it is pinned by its URL, not by a version
of the index's (the index may not have the project at all, or have another artifact under
its name), so it is never outdated, blocked or yanked, and it is not counted in ``pins``; the
recompile keeps it as long as the inputs name the URL, and reports a move only when they name
another one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path

from lockctl.events import Reporter, ignore_events
from lockctl.lockfiles import LockedFile
from lockctl.ops.advisories import AdvisoryDatabase, read_advisories
from lockctl.ops.commands import DRIFT_KINDS, DriftCommand
from lockctl.ops.compile import CompileRequest, CompileResult, prepare, write_results
from lockctl.ops.cooldown import format_instant, parse_cutoff
from lockctl.ops.drift_findings import DriftFinding, DriftReport, LockDrift
from lockctl.ops.drift_pins import PinReport, inspect_pins
from lockctl.ops.drift_recompile import DriftPlan, Recompiled, for_real, plan_drift, recompile
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.reconcile_rows import Unreconcilable
from lockctl.ops.session import open_index
from lockctl.resolver import UnknownProject

__all__ = ["drift_locks"]


def drift_locks(
    command: DriftCommand, cwd: Path, *, now: datetime, reporter: Reporter = ignore_events
) -> DriftReport:
    """The drift report of the command's locks; with ``command.update``, the locks written.

    Bad input (a duration that does not parse, an advisories file that is not OSV, a lock
    that cannot be read or whose input cannot be found) is raised before the index is asked.
    """
    cutoff = parse_cutoff(command.exclude_newer, now=now) if command.exclude_newer else None
    advisories = read_advisories(command.advisories)
    index = replace(command.index, refresh=not command.index.offline)
    plans = plan_drift(
        command, cwd, index, exclude_newer=None if cutoff is None else format_instant(cutoff)
    )
    locks: list[LockDrift] = []
    writes: list[tuple[CompileRequest, CompileResult]] = []
    complete = True
    for drift in plans:
        pins = _inspect(drift, advisories, cutoff, cwd, reporter)
        outcome = recompile(drift, reporter)
        complete = complete and all(r.status == "resolves" for r in outcome.recompiles.values())
        writes += [
            (request, result)
            for request, result in outcome.results
            if result.text != request.output.read_text(encoding="utf-8")
        ]
        for request in drift.chosen:
            locks.append(_lock_drift(request, drift.locked[request.output], pins, outcome, cwd))
    updated = command.update and complete and bool(writes)
    if updated:
        write_results([(for_real(request), result) for request, result in writes])
        written = {_shown(request.output, cwd) for request, _ in writes}
        locks = [
            replace(lock, recompile=replace(lock.recompile, written=True))
            if lock.lock in written
            else lock
            for lock in locks
        ]
    return DriftReport(
        locks=tuple(locks),
        fail_on=command.fail_on,
        advisory_files=advisories.files,
        advisories=advisories.count,
        exclude_newer=cutoff,
        updated=updated,
    )


# -- the pins against the index -------------------------------------------------------------


def _inspect(
    drift: DriftPlan,
    advisories: AdvisoryDatabase,
    cutoff: datetime | None,
    cwd: Path,
    reporter: Reporter,
) -> dict[Path, PinReport]:
    chosen = drift.chosen
    prepared = [prepare(request, reporter=reporter) for request in chosen]
    files = [parsed for each in prepared for parsed in each.inputs.files]
    found: dict[Path, PinReport] = {}
    with open_index(prepared[0].index, files=files, reporter=reporter) as client:
        sources: dict[tuple[str, str], IndexPackageSource] = {}
        for request, each in zip(chosen, prepared, strict=True):
            target = request.target
            source = sources.setdefault(
                (target.python_minor, target.platform), IndexPackageSource(client, target)
            )
            found[request.output] = inspect_pins(
                drift.locked[request.output],
                each.roots,
                source,
                pre=request.pre or each.inputs.pre,
                advisories=advisories,
                cutoff=cutoff,
                relative_to=cwd,
            )
    return found


# -- the report -------------------------------------------------------------------------------


def _lock_drift(
    request: CompileRequest,
    locked: LockedFile,
    pins: dict[Path, PinReport],
    outcome: Recompiled,
    cwd: Path,
) -> LockDrift:
    report = pins[request.output]
    findings = list(report.findings)
    conflict = outcome.conflicts.get(request.output)
    if isinstance(conflict, UnknownProject):
        findings.append(
            DriftFinding(
                kind="unresolvable",
                name=conflict.name,
                reason="project-not-found",
                requirement=str(conflict.requirement),
                required_by=conflict.required_by,
            )
        )
    elif conflict is not None:
        findings.append(
            DriftFinding(kind="unresolvable", conflict=Unreconcilable(conflict=conflict))
        )
    order = {kind: position for position, kind in enumerate(DRIFT_KINDS)}
    findings.sort(key=lambda f: (order[f.kind], f.name or "", f.advisory.id if f.advisory else ""))
    return LockDrift(
        lock=_shown(request.output, cwd),
        target=request.target,
        pins=len(locked.pins),
        findings=tuple(findings),
        unknown=report.unknown,
        recompile=outcome.recompiles[request.output],
        not_filtered=report.not_filtered,
    )


def _shown(path: Path, cwd: Path) -> Path:
    """A path relative to the working directory when it is inside it, as a person named it."""
    absolute = path if path.is_absolute() else cwd / path
    for base in (cwd, cwd.resolve()):
        if absolute.is_relative_to(base):
            return absolute.relative_to(base)
    return path
