"""The lock that ``reconcile`` looks at: read and checked, with its input, project and target.

A hand-edited lock is bad input (exit 2, nothing rewritten) when it cannot be taken as a
lock at all: a line that does not parse, a project pinned twice, a requirement that is not
``name==version`` nor ``name @ URL``, or a ``--hash`` that matches no file of the release on
the index. Every such problem is reported at once, each with its file and line.

The input is ``--input``, else the input of the project's lock that writes LOCK, else LOCK
with ``.in``. The target is the command line's, else the project's, else the Python named in
the lock's header on this machine's platform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from lockctl.config import LockEntry, ProjectConfig, find_pyproject
from lockctl.errors import RequirementsFileError, RequirementsFileErrors, SourceSpan, UsageError
from lockctl.lockfiles import LockedDirectPin, LockedFile, LockedPin, read_lockfile
from lockctl.ops.commands import CompileCommand, ReconcileCommand
from lockctl.ops.reconcile_graph import DemandReader
from lockctl.ops.targets import project_target
from lockctl.reqfile import RequirementEntry, SourceLine, shown_path
from lockctl.resolver import TargetEnvironment

__all__ = ["LockUnderReview", "check_hashes", "check_lock", "find_lock"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockUnderReview:
    """The lock, what it was compiled from, and for which target.

    ``config`` and ``entry`` are set when the lock is one of a project's locks.
    """

    path: Path
    locked: LockedFile
    input: Path
    target: TargetEnvironment
    config: ProjectConfig | None = None
    entry: LockEntry | None = None


def find_lock(command: ReconcileCommand) -> LockUnderReview:
    """Read and check the lock, then find its input, its project and its target."""
    locked = read_lockfile(command.lock)
    check_lock(locked)
    config = _project(command.lock)
    wanted = command.lock.resolve()
    entry = None
    if config is not None:
        entry = next((lock for lock in config.locks if lock.output.resolve() == wanted), None)
    return LockUnderReview(
        path=command.lock,
        locked=locked,
        input=_input(command, entry),
        target=_target(command, locked, config),
        config=config,
        entry=entry,
    )


def _project(lock: Path) -> ProjectConfig | None:
    found = find_pyproject(lock.absolute().parent)
    if found is None:
        return None
    from lockctl.config.load import load_config  # tomlkit: only for projects

    return load_config(found)


def _input(command: ReconcileCommand, entry: LockEntry | None) -> Path:
    if command.input is not None:
        if command.input.is_file():
            return command.input
        looked = [f"{command.input} (--input)"]
    elif entry is not None:
        return entry.input
    else:
        default = command.lock.with_suffix(".in")
        if default.is_file() and default != command.lock:
            return default
        looked = [
            f"a [[tool.lockctl.lock]] whose output is {shown_path(command.lock)}",
            f"{shown_path(default)} (the lock's name with .in)",
        ]
    raise UsageError(
        f"cannot find the input of {shown_path(command.lock)}: looked for " + " and ".join(looked),
        hint="name the .in file it was compiled from with --input IN",
    )


def _target(
    command: ReconcileCommand, locked: LockedFile, config: ProjectConfig | None
) -> TargetEnvironment:
    """The command line's target, else the project's, else the header's Python here."""
    base = config or ProjectConfig(
        path=command.lock.parent / "pyproject.toml", root=command.lock.parent
    )
    if base.python_version is None and base.dockerfile is None:
        base = replace(base, python_version=locked.python_version)
    given = CompileCommand(
        python_version=command.python_version,
        platform=command.platform,
        from_dockerfile=command.from_dockerfile,
    )
    return project_target(base, given)


def check_lock(locked: LockedFile) -> None:
    """Every project pinned once, every requirement ``name==version`` or ``name @ URL``
    (pip-compile's pin of a direct reference): else exit 2."""
    problems: list[RequirementsFileError] = []
    first: dict[str, LockedPin | LockedDirectPin] = {}
    every: list[LockedPin | LockedDirectPin] = [*locked.pins, *locked.direct]
    for pin in sorted(every, key=lambda pin: pin.source.line):
        earlier = first.setdefault(pin.name, pin)
        if earlier is not pin:
            problems.append(
                RequirementsFileError(
                    f"{pin.name} is pinned twice, here and on line {earlier.source.line}",
                    span=pin.source.span(),
                    hint="a lock pins each project once: keep one of the two lines",
                )
            )
    for entry in locked.unpinned:
        problems.append(
            RequirementsFileError(
                _unpinned(entry),
                span=entry.source.span(),
                hint="a lock pins each project with ==, for example rich==13.9.4",
            )
        )
    _raise_all(problems)


def _unpinned(entry: RequirementEntry) -> str:
    if entry.editable:
        return "an editable requirement cannot be reconciled (lockctl resolves from indexes)"
    return f"{entry.requirement} is not pinned with == to one version"


def check_hashes(locked: LockedFile, reader: DemandReader) -> None:
    """Every ``--hash`` of a pin matches a file of that release on the index: else exit 2.

    A hash of an algorithm the index does not give for the release cannot be checked and is
    let through; a release the index does not have is a reconcile row, not an input error.
    """
    problems: list[RequirementsFileError] = []
    for pin in locked.pins:
        if not pin.hashes:
            continue
        release = reader.release(pin.name, pin.version)
        if release is None:
            continue
        known = {
            f"{alg}:{digest}" for dist in release.all_files for alg, digest in dist.hashes.items()
        }
        offered = {alg for dist in release.all_files for alg in dist.hashes}
        for written in pin.hashes:
            algorithm = written.partition(":")[0].lower()
            if algorithm in offered and written.lower() not in known:
                problems.append(
                    RequirementsFileError(
                        f"this hash matches no file of {pin.name} {pin.version} on the index",
                        span=_hash_span(pin.source, written),
                        hint="the pin was edited without its hashes? delete this pin's "
                        "--hash lines and run lockctl reconcile --write to write the right ones",
                    )
                )
    _raise_all(problems)


def _raise_all(problems: Sequence[RequirementsFileError]) -> None:
    ordered = sorted(problems, key=lambda problem: (problem.span.line, problem.span.column))
    if len(ordered) == 1:
        raise ordered[0]
    if ordered:
        raise RequirementsFileErrors(tuple(ordered))


def _hash_span(source: SourceLine, written: str) -> SourceSpan:
    """The physical line of a pin's logical line that holds the hash, the hash underlined."""
    for shown in (f"--hash={written}", written):
        for offset, text in enumerate(source.text.splitlines()):
            column = text.find(shown)
            if column >= 0:
                return SourceSpan(
                    path=source.path,
                    line=source.line + offset,
                    column=column + 1,
                    text=text,
                    length=len(shown),
                )
    return source.span()
