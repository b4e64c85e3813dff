"""How ``lockctl drift`` compiles each lock again: which locks, compiled how, and the dry run.

The locks are found as compile finds them: with no argument, every lock of the project
(``[tool.lockctl]``, else the ``requirements*.in`` here); a named lock of the project with its
project's settings; any other lock with the ``.in`` beside it, for the target its digest (or
its header's Python) records. Each becomes compile's own plan (``ops.plan.plan_compile``) of a
``compile --upgrade --dry-run``, written as the locks were (hashes if they have them, the
overrides their ``# override:`` comments name), and runs through compile's own code
(``ops.layers.compile_all``): what ``--update`` writes is what ``lockctl compile --upgrade``
would write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IndexFailure, UsageError
from lockctl.events import Reporter
from lockctl.lockfiles import LockedFile, find_digest, read_lockfile
from lockctl.ops.commands import CompileCommand, DriftCommand, IndexRequest
from lockctl.ops.compile import CompileRequest, CompileResult
from lockctl.ops.direct_source import written_url
from lockctl.ops.drift_findings import PinMove, Recompile
from lockctl.ops.layers import LayerConflict, compile_all
from lockctl.ops.locks import select_locks
from lockctl.ops.plan import CompilePlan, plan_compile
from lockctl.resolver import ResolutionConflict, UnknownProject

__all__ = ["DriftPlan", "Recompiled", "for_real", "plan_drift", "recompile"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftPlan:
    """Compile's plan for some locks, and those locks as they are now."""

    plan: CompilePlan
    locked: dict[Path, LockedFile]

    @property
    def chosen(self) -> list[CompileRequest]:
        return [request for request in self.plan.requests if request.chosen]


@dataclass(frozen=True, slots=True, kw_only=True)
class Recompiled:
    """The dry run of one plan: per lock, and the results ``--update`` would write.

    ``conflicts``: why a lock does not resolve, the resolver's conflict or a project that no
    index has any more.
    """

    recompiles: dict[Path, Recompile]
    conflicts: dict[Path, ResolutionConflict | UnknownProject]
    results: tuple[tuple[CompileRequest, CompileResult], ...] = ()


def plan_drift(
    command: DriftCommand, cwd: Path, index: IndexRequest, *, exclude_newer: str | None
) -> list[DriftPlan]:
    """Compile plans for the locks, as ``lockctl compile --upgrade --dry-run`` would make
    them, each with the locks it writes, read."""
    selection = select_locks(command.locks, cwd, command="drift")
    entries, plain = list(selection.entries), list(selection.plain)
    upgrade = CompileCommand(upgrade=True, dry_run=True, exclude_newer=exclude_newer, index=index)
    plans = []
    if entries:
        locked = {entry.output: _read_lock(entry.output) for entry in entries}
        inputs = tuple(entry.input for entry in entries) if command.locks else ()
        compile_command = _project_command(upgrade, list(locked.values()), inputs=inputs)
        plans.append(DriftPlan(plan=plan_compile(compile_command, cwd), locked=locked))
    for lock in plain:
        read = _read_lock(lock)
        plan = plan_compile(_plain_command(upgrade, lock, read), cwd)
        plans.append(DriftPlan(plan=plan, locked={lock: read}))
    return plans


def _read_lock(path: Path) -> LockedFile:
    if not path.is_file():
        raise UsageError(
            f"the lock {path} does not exist", hint="compile it first: lockctl compile"
        )
    return read_lockfile(path)


def _project_command(
    upgrade: CompileCommand, locks: Sequence[LockedFile], *, inputs: tuple[Path, ...]
) -> CompileCommand:
    """``compile --upgrade --dry-run`` of a project's locks, written as they were: with
    hashes if they have them, with the overrides their comments name from outside the
    project's file."""
    return replace(
        upgrade,
        inputs=inputs,
        overrides=_comment_overrides(locks),
        generate_hashes=any(_hashed(each) for each in locks),
    )


def _plain_command(upgrade: CompileCommand, lock: Path, locked: LockedFile) -> CompileCommand:
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
    return replace(
        upgrade,
        inputs=(sibling,),
        output_file=lock,
        python_version=python,
        platform=platform or None,
        overrides=_comment_overrides([locked]),
        generate_hashes=_hashed(locked),
        header=locked.command is not None,
        command_line=locked.command or f"lockctl compile {sibling.name}",
    )


def _hashed(locked: LockedFile) -> bool:
    return any(pin.hashes for pin in locked.pins) or any(pin.hashes for pin in locked.direct)


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


def recompile(drift: DriftPlan, reporter: Reporter) -> Recompiled:
    """``compile --upgrade --dry-run`` of the plan: it resolves (and what would move), it does
    not (the conflict, for the locks it names), or the index failed (unknown)."""
    plan, chosen = drift.plan, drift.chosen
    try:
        results = compile_all(plan.requests, jobs=plan.requests[0].command.jobs, reporter=reporter)
    except (ResolutionConflict, UnknownProject) as conflict:
        # The locks whose requirements take part; the others of the workspace cannot be
        # compiled without them, which is no finding of theirs.
        hit = _locks_hit(conflict, drift)
        return Recompiled(
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
        return Recompiled(
            recompiles={r.output: Recompile(status="unknown", error=error.message) for r in chosen},
            conflicts={},
        )
    done = [
        (request, result)
        for request, result in zip(plan.requests, results, strict=True)
        if request.chosen
    ]
    return Recompiled(
        recompiles={
            request.output: Recompile(
                status="resolves", moves=_moves(drift.locked[request.output], result)
            )
            for request, result in done
        },
        conflicts={},
        results=tuple(done),
    )


def _locks_hit(conflict: ResolutionConflict | UnknownProject, drift: DriftPlan) -> set[Path]:
    """The chosen locks a conflict names (those that pin a project no index has); all of
    them when it names none."""
    chosen = drift.chosen
    if isinstance(conflict, UnknownProject):
        named = {r.output for r in chosen if conflict.name in drift.locked[r.output].pinned_names()}
        return named or {r.output for r in chosen}
    if isinstance(conflict, LayerConflict):
        locks = {path.resolve() for path in conflict.locks}
    else:
        locks = {conflict.lock.resolve()} if conflict.lock is not None else set()
    return {r.output for r in chosen if r.output.resolve() in locks} or {r.output for r in chosen}


def _moves(locked: LockedFile, result: CompileResult) -> tuple[PinMove, ...]:
    """What moves; a ``name @ URL`` pin stands by its URL as written on both sides, so one
    the inputs still name does not move (an upgrade never changes a URL)."""
    old = {name: str(version) for name, version in locked.versions().items()}
    old.update({pin.name: pin.url for pin in locked.direct})
    new = {pin.name: written_url(pin.release) or str(pin.version) for pin in result.resolution.pins}
    return tuple(
        PinMove(name=name, old=old.get(name), new=new.get(name))
        for name in sorted(old.keys() | new.keys())
        if old.get(name) != new.get(name)
    )


def for_real(request: CompileRequest) -> CompileRequest:
    """The request as ``--update`` writes it: compile's own request, no longer a dry run."""
    return replace(request, command=replace(request.command, dry_run=False))
