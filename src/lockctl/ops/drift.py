"""``lockctl drift``: what changed on the index since each lock was written (the nightly job).

For each lock: every pin against fresh index pages (``ops.drift_pins``: outdated, blocked,
yanked, gone, vulnerable) and, per lock, a fresh ``compile --upgrade`` run as a dry run
through compile's own plan and code (``ops.plan``, ``ops.layers.compile_all``): whether it
still resolves (``unresolvable``, with the conflict as data, when not) and which pins it would
move. ``--update`` writes those locks, through compile's writer: every changed lock or none.

The locks are found as compile finds them: with no argument, every lock of the project
(``[tool.lockctl]``, else the ``requirements*.in`` here); a named lock of the project with its
project's settings; any other lock with the ``.in`` beside it, for the target its digest (or
its header's Python) records. The overrides are the project's and the lock's own
``# override:`` comments.

An index that fails for a project makes that project's pins unknown, never guessed; the rest
is still reported.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.config import ProjectConfig, find_pyproject
from lockctl.errors import IndexFailure, UsageError
from lockctl.events import Reporter, ignore_events
from lockctl.lockfiles import LockedFile, find_digest, read_lockfile
from lockctl.ops.advisories import AdvisoryDatabase, read_advisories
from lockctl.ops.commands import DRIFT_KINDS, CompileCommand, DriftCommand, IndexRequest
from lockctl.ops.compile import CompileRequest, CompileResult, prepare, write_results
from lockctl.ops.cooldown import parse_cutoff
from lockctl.ops.drift_findings import (
    DriftFinding,
    DriftReport,
    LockDrift,
    PinMove,
    Recompile,
)
from lockctl.ops.drift_pins import PinReport, inspect_pins
from lockctl.ops.layers import compile_all
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.plan import CompilePlan, plan_compile
from lockctl.ops.reconcile_rows import Unreconcilable
from lockctl.ops.session import open_index
from lockctl.resolver import ResolutionConflict

__all__ = ["drift_locks"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Outcome:
    """The recompile of one plan: per lock, and what ``--update`` would write."""

    recompiles: dict[Path, Recompile]
    conflicts: dict[Path, ResolutionConflict]
    results: tuple[tuple[CompileRequest, CompileResult], ...] = ()


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
    plans = _plans(command, cwd, index)
    locks: list[LockDrift] = []
    writes: list[tuple[CompileRequest, CompileResult]] = []
    complete = True
    for plan, locked in plans:
        pins = _inspect(plan, locked, advisories, cutoff, cwd, reporter)
        outcome = _recompile(plan, locked, reporter)
        complete = complete and all(r.status == "resolves" for r in outcome.recompiles.values())
        writes += [
            (request, result)
            for request, result in outcome.results
            if result.text != request.output.read_text(encoding="utf-8")
        ]
        for request in _chosen(plan):
            locks.append(_lock_drift(request, locked[request.output], pins, outcome, cwd))
    updated = command.update and complete and bool(writes)
    if updated:
        write_results([(_for_real(request), result) for request, result in writes])
        written = {request.output for request, _ in writes}
        locks = [_written(lock, written, cwd) for lock in locks]
    return DriftReport(
        locks=tuple(locks),
        fail_on=command.fail_on,
        advisory_files=advisories.files,
        advisories=advisories.count,
        exclude_newer=cutoff,
        updated=updated,
    )


# -- which locks, compiled how ------------------------------------------------------------


def _plans(
    command: DriftCommand, cwd: Path, index: IndexRequest
) -> list[tuple[CompilePlan, dict[Path, LockedFile]]]:
    """Compile plans for the locks, as ``lockctl compile --upgrade --dry-run`` would make
    them, each with the locks it writes, read."""
    from lockctl.config.load import default_config, load_config  # tomlkit: only for projects

    found = find_pyproject(cwd)
    config: ProjectConfig | None = None
    if found is not None:
        config = load_config(found)
    elif not command.locks:
        config = default_config(cwd)
    if not command.locks:
        if config is None or not config.locks:
            raise UsageError(
                "nothing to check: no [[tool.lockctl.lock]] in pyproject.toml and no "
                "requirements*.in here",
                hint="name the lock: lockctl drift requirements.txt",
            )
        entries = list(config.locks)
        plain: list[Path] = []
    else:
        entries, plain = [], []
        for lock in command.locks:
            entry = config.lock_for(lock.absolute()) if config is not None else None
            if entry is None:
                plain.append(lock)
            else:
                entries.append(entry)
    plans = []
    if entries:
        locked = {entry.output: _read_lock(entry.output) for entry in entries}
        inputs = tuple(entry.input for entry in entries) if command.locks else ()
        compile_command = _compile_command(index, list(locked.values()), inputs=inputs)
        plans.append((plan_compile(compile_command, cwd), locked))
    for lock in plain:
        read = _read_lock(lock)
        plans.append((plan_compile(_plain_command(lock, read, index), cwd), {lock: read}))
    return plans


def _read_lock(path: Path) -> LockedFile:
    if not path.is_file():
        raise UsageError(
            f"the lock {path} does not exist", hint="compile it first: lockctl compile"
        )
    return read_lockfile(path)


def _compile_command(
    index: IndexRequest, locks: Sequence[LockedFile], *, inputs: tuple[Path, ...]
) -> CompileCommand:
    """``compile --upgrade --dry-run`` of a project's locks, written as they were: with
    hashes if they have them, with the overrides their comments name from outside the
    project's file."""
    return CompileCommand(
        inputs=inputs,
        overrides=_comment_overrides(locks),
        upgrade=True,
        dry_run=True,
        generate_hashes=any(pin.hashes for each in locks for pin in each.pins),
        index=index,
    )


def _plain_command(lock: Path, locked: LockedFile, index: IndexRequest) -> CompileCommand:
    """The compile that wrote a lock outside a project: its ``.in`` beside it, for the target
    its digest records (else the Python its header names)."""
    sibling = lock.with_suffix(".in")
    if not sibling.is_file() or sibling == lock:
        raise UsageError(
            f"cannot tell which input {lock} was compiled from",
            hint=f"list it in [[tool.lockctl.lock]] of pyproject.toml, or keep {sibling.name} "
            "by it",
        )
    digest = find_digest(lock.read_text(encoding="utf-8"), path=lock)
    python, platform = locked.python_version, None
    if digest is not None:
        python, _, platform = digest.target.partition("/")
    return CompileCommand(
        inputs=(sibling,),
        output_file=lock,
        python_version=python,
        platform=platform or None,
        overrides=_comment_overrides([locked]),
        upgrade=True,
        dry_run=True,
        generate_hashes=any(pin.hashes for pin in locked.pins),
        header=locked.command is not None,
        command_line=locked.command or f"lockctl compile {sibling.name}",
        index=index,
    )


def _comment_overrides(locks: Sequence[LockedFile]) -> tuple[str, ...]:
    """The overrides the locks' comments name, but those of ``pyproject.toml`` (the project
    gives those, or no longer gives them), one per project."""
    found: dict[NormalizedName, str] = {}
    for locked in locks:
        for pin in locked.pins:
            for note in pin.overrides:
                if Path(note.source).name != "pyproject.toml":
                    name = canonicalize_name(note.requirement.name)
                    found.setdefault(name, str(note.requirement))
    return tuple(found.values())


def _chosen(plan: CompilePlan) -> list[CompileRequest]:
    return [request for request in plan.requests if request.chosen]


# -- the pins against the index -------------------------------------------------------------


def _inspect(
    plan: CompilePlan,
    locked: dict[Path, LockedFile],
    advisories: AdvisoryDatabase,
    cutoff: datetime | None,
    cwd: Path,
    reporter: Reporter,
) -> dict[Path, PinReport]:
    chosen = _chosen(plan)
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
                locked[request.output],
                each.roots,
                source,
                pre=request.pre or each.inputs.pre,
                advisories=advisories,
                cutoff=cutoff,
                relative_to=cwd,
            )
    return found


# -- a fresh compile --upgrade, as a dry run ----------------------------------------------------


def _recompile(plan: CompilePlan, locked: dict[Path, LockedFile], reporter: Reporter) -> _Outcome:
    chosen = _chosen(plan)
    try:
        results = compile_all(plan.requests, jobs=plan.requests[0].command.jobs, reporter=reporter)
    except ResolutionConflict as conflict:
        # The locks whose requirements take part; the others of the workspace cannot be
        # compiled without them, which is no finding of theirs.
        named = {path.resolve() for path in _conflict_locks(conflict)}
        hit = {r.output for r in chosen if r.output.resolve() in named} or {
            r.output for r in chosen
        }
        return _Outcome(
            recompiles={
                r.output: Recompile(status="unresolvable")
                if r.output in hit
                else Recompile(
                    status="unknown", error="another lock of its project does not resolve"
                )
                for r in chosen
            },
            conflicts=dict.fromkeys(hit, conflict),
        )
    except IndexFailure as error:
        return _Outcome(
            recompiles={r.output: Recompile(status="unknown", error=error.message) for r in chosen},
            conflicts={},
        )
    done = [
        (request, result)
        for request, result in zip(plan.requests, results, strict=True)
        if request.chosen
    ]
    return _Outcome(
        recompiles={
            request.output: Recompile(
                status="resolves", moves=_moves(locked[request.output], result)
            )
            for request, result in done
        },
        conflicts={},
        results=tuple(done),
    )


def _conflict_locks(conflict: ResolutionConflict) -> tuple[Path, ...]:
    locks: tuple[Path, ...] = getattr(conflict, "locks", ())
    if locks:
        return locks
    return (conflict.lock,) if conflict.lock is not None else ()


def _moves(locked: LockedFile, result: CompileResult) -> tuple[PinMove, ...]:
    old = {name: str(version) for name, version in locked.versions().items()}
    new = {pin.name: str(pin.version) for pin in result.resolution.pins}
    return tuple(
        PinMove(name=name, old=old.get(name), new=new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    )


def _for_real(request: CompileRequest) -> CompileRequest:
    """The request as ``--update`` writes it: compile's own request, no longer a dry run."""
    return replace(request, command=replace(request.command, dry_run=False))


# -- the report -------------------------------------------------------------------------------


def _lock_drift(
    request: CompileRequest,
    locked: LockedFile,
    pins: dict[Path, PinReport],
    outcome: _Outcome,
    cwd: Path,
) -> LockDrift:
    report = pins[request.output]
    findings = list(report.findings)
    conflict = outcome.conflicts.get(request.output)
    if conflict is not None:
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


def _written(lock: LockDrift, written: set[Path], cwd: Path) -> LockDrift:
    if not any(_shown(path, cwd) == lock.lock for path in written):
        return lock
    return replace(lock, recompile=replace(lock.recompile, written=True))


def _shown(path: Path, cwd: Path) -> Path:
    """A path relative to the working directory when it is inside it, as a person named it."""
    absolute = path if path.is_absolute() else cwd / path
    for base in (cwd, cwd.resolve()):
        if absolute.is_relative_to(base):
            return absolute.relative_to(base)
    return path
