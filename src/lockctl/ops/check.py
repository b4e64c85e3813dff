"""``lockctl check``: is each lock still what its inputs compile to? Offline, and at once.

For each lock: the digests in its ``# lockctl:`` header line (``lockctl.lockfiles.digest``)
are compared with the inputs as they are now (``ops.fingerprint``), which tells "inputs
changed" and "edited by hand" apart with no network; the snapshots compile left in the cache
(``ops.snapshots``) say which lines and pins. A lock that is not in sync, or that has no
digest (pip-compile wrote it), is also checked for consistency (``ops.consistency``).
Nothing here imports the resolver or the HTTP client unless a pin's metadata must be read.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from lockctl.config import LockEntry, ProjectConfig
from lockctl.errors import RequirementsFileError, SourceSpan, UsageError
from lockctl.lockfiles import LockDigest, LockedFile, find_digest, parse_lockfile
from lockctl.lockfiles.quickscan import quick_pins_digest
from lockctl.lockfiles.reader import read_header
from lockctl.ops.commands import CheckCommand, CompileCommand
from lockctl.ops.findings import Finding, InputChange
from lockctl.ops.fingerprint import InputState, input_files, input_state, pins_digest
from lockctl.ops.inputs import CompileInputs, parse_overrides, read_inputs
from lockctl.ops.locks import select_locks
from lockctl.ops.snapshots import InputLine, SnapshotStore, requirement_lines
from lockctl.ops.targets import command_target, project_target
from lockctl.reqfile import RequirementsFile
from lockctl.target import TargetEnvironment
from lockctl.urls import redact_text

__all__ = ["CheckReport", "LockCheck", "check_locks"]

RecordedCommand = Callable[[str], CompileCommand | None]  # a header's command, parsed


@dataclass(frozen=True, slots=True, kw_only=True)
class LockCheck:
    lock: Path
    inputs: tuple[Path, ...]
    has_digest: bool
    findings: tuple[Finding, ...]
    fix: tuple[str, ...]  # the command that compiles the lock again, as argv

    @property
    def groups(self) -> tuple[str, ...]:
        order = ("inputs-changed", "hand-edited", "inconsistent", "not-checked")
        present = {finding.group for finding in self.findings}
        return tuple(group for group in order if group in present)

    @property
    def in_sync(self) -> bool:
        return not set(self.groups) - {"not-checked"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "lock": str(self.lock),
            "inputs": [str(path) for path in self.inputs],
            "has_digest": self.has_digest,
            "in_sync": self.in_sync,
            "states": list(self.groups) or ["in-sync"],
            "findings": [finding.to_dict() for finding in self.findings],
            "fix": shlex.join(self.fix) if not self.in_sync else None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckReport:
    locks: tuple[LockCheck, ...]

    @property
    def in_sync(self) -> bool:
        return all(lock.in_sync for lock in self.locks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "in_sync": self.in_sync,
            "locks": [lock.to_dict() for lock in self.locks],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class _Subject:
    """One lock to check, and what it should have been compiled from."""

    lock: Path
    inputs: tuple[Path, ...]
    target: TargetEnvironment | None  # None: the one its digest records
    overrides: tuple[str, ...]
    pre: bool
    fix: tuple[str, ...]
    constraints: tuple[Path, ...] = ()  # the compile's -c FILE options
    extras: tuple[str, ...] = ()  # the compile's --extra of a project input
    all_extras: bool = False


def check_locks(command: CheckCommand, cwd: Path, *, recorded: RecordedCommand) -> CheckReport:
    store = _LazyStore(command.index.cache_dir)
    subjects = _subjects(command, cwd, recorded)
    return CheckReport(locks=tuple(_check(subject, store, command) for subject in subjects))


def _subjects(command: CheckCommand, cwd: Path, recorded: RecordedCommand) -> list[_Subject]:
    selection = select_locks(command.locks, cwd, command="check")
    config = selection.config
    subjects = [] if config is None else [_project_subject(config, e) for e in selection.entries]
    subjects += [_plain_subject(lock, cwd, recorded) for lock in selection.plain]
    return subjects


def _project_subject(config: ProjectConfig, entry: LockEntry) -> _Subject:
    return _Subject(
        lock=entry.output,
        inputs=(entry.input,),
        target=project_target(config, CompileCommand()),
        overrides=tuple(str(o.requirement) for o in config.overrides_for(entry)),
        pre=False,
        fix=("lockctl", "compile"),
    )


def _plain_subject(lock: Path, cwd: Path, recorded: RecordedCommand) -> _Subject:
    header = read_header(_read_lock(lock))[1] or ""
    compiled = recorded(header) if header.startswith(("lockctl compile", "pip-compile")) else None
    inputs = _recorded_inputs(compiled, lock, cwd) or _sibling_input(lock)
    if compiled is None:
        return _Subject(
            lock=lock,
            inputs=inputs,
            target=None,
            overrides=(),
            pre=False,
            fix=("lockctl", "compile", *map(str, inputs), "-o", str(lock)),
        )
    explicit = compiled.python_version is not None or compiled.from_dockerfile is not None
    overrides = parse_overrides(compiled.overrides, compiled.override_files)
    return _Subject(
        lock=lock,
        inputs=inputs,
        constraints=_recorded_paths(compiled.constraints, lock, cwd),
        extras=compiled.extras,
        all_extras=compiled.all_extras,
        target=command_target(compiled) if explicit else None,
        overrides=tuple(str(root.requirement) for root in overrides),
        pre=compiled.pre,
        fix=tuple(shlex.split(header)) if header.startswith("lockctl") else ("lockctl", "compile"),
    )


def _recorded_inputs(compiled: CompileCommand | None, lock: Path, cwd: Path) -> tuple[Path, ...]:
    """The inputs the header's command named, from here or from the lock's folder."""
    if compiled is None or not compiled.inputs:
        return ()
    return _recorded_paths(compiled.inputs, lock, cwd)


def _recorded_paths(named: tuple[Path, ...], lock: Path, cwd: Path) -> tuple[Path, ...]:
    if not named:
        return ()
    for base in (cwd, lock.parent):
        paths = tuple(path if path.is_absolute() else base / path for path in named)
        if all(path.is_file() for path in paths):
            return paths
    return ()


def _sibling_input(lock: Path) -> tuple[Path, ...]:
    sibling = lock.with_suffix(".in")
    if sibling.is_file():
        return (sibling,)
    raise UsageError(
        f"cannot tell which input {lock} was compiled from",
        hint=f"list it in [[tool.lockctl.lock]] of pyproject.toml, or keep {sibling.name} by it",
    )


class _LazyStore:
    """The snapshot store, opened only for a lock that is not in sync (the cache's location
    and the store's module are not needed for the common case)."""

    def __init__(self, cache_dir: Path | None) -> None:
        self._cache_dir = cache_dir
        self._store: SnapshotStore | None = None

    def get(self) -> SnapshotStore:
        if self._store is None:
            from lockctl.index.cache import default_cache_dir

            self._store = SnapshotStore(self._cache_dir or default_cache_dir())
        return self._store


def _read_lock(lock: Path) -> str:
    try:
        return lock.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        before = exc.object[: exc.start]
        line_start = before.rfind(b"\n") + 1
        text = exc.object[line_start:].split(b"\n", 1)[0].decode("utf-8", "replace")
        span = SourceSpan(
            path=lock,
            line=before.count(b"\n") + 1,
            column=len(before[line_start:].decode("utf-8", "replace")) + 1,
            text=text,
        )
        raise RequirementsFileError("this byte is not UTF-8 text", span=span) from None
    except OSError as exc:
        reason = "it is a directory" if lock.is_dir() else exc.strerror
        raise UsageError(f"cannot read the lock {lock}: {reason}") from None


def _check(subject: _Subject, lazy: _LazyStore, command: CheckCommand) -> LockCheck:
    text = _read_lock(subject.lock)
    digest = find_digest(text, path=subject.lock)
    inputs = read_inputs(
        subject.inputs,
        subject.constraints,
        extras=subject.extras,
        all_extras=subject.all_extras,
    )
    target = subject.target or _recorded_target(digest, text)
    state = input_state(
        inputs.files,
        lock=subject.lock,
        overrides=subject.overrides,
        target=target,
        pre=subject.pre or inputs.pre,
    )
    if digest is not None and _unchanged(digest, state) and quick_pins_digest(text) == digest.pins:
        return _result(subject, digest, ())  # in sync: the common case, without a full parse
    from lockctl.ops.consistency import check_consistency  # only for a lock not in sync

    store = lazy.get()
    locked = parse_lockfile(text, path=subject.lock)
    findings: list[Finding] = []
    if digest is not None:
        findings += _input_changes(digest, state, inputs, locked, store)
        findings += _pin_edits(digest, locked, store)
    if digest is None or findings:
        findings += check_consistency(
            locked,
            inputs,
            target=target,
            overrides=subject.overrides,
            snapshot=store.load_pins(digest.pins) if digest is not None else None,
            online=command.online,
            index=command.index,
            pins_as_written=not any(finding.group == "hand-edited" for finding in findings),
        )
    return _result(subject, digest, findings)


def _unchanged(digest: LockDigest, state: InputState) -> bool:
    return (digest.target, digest.overrides, digest.options, digest.files) == (
        state.target,
        state.overrides,
        state.options,
        state.files,
    )


def _result(subject: _Subject, digest: LockDigest | None, findings: Sequence[Finding]) -> LockCheck:
    return LockCheck(
        lock=subject.lock,
        inputs=subject.inputs,
        has_digest=digest is not None,
        findings=tuple(findings),
        fix=subject.fix,
    )


def _recorded_target(digest: LockDigest | None, text: str) -> TargetEnvironment:
    """The target the digest records, else the Python the pip-tools header names."""
    if digest is not None:
        python, _, platform = digest.target.partition("/")
        return TargetEnvironment.create(python_version=python, platform=platform)
    return TargetEnvironment.create(python_version=read_header(text)[0])


def _input_changes(
    digest: LockDigest,
    state: InputState,
    inputs: CompileInputs,
    locked: LockedFile,
    store: SnapshotStore,
) -> list[Finding]:
    findings: list[Finding] = []
    if digest.target != state.target:
        findings.append(Finding(kind="target-changed", was=digest.target, now=state.target))
    if digest.overrides != state.overrides:
        findings.append(Finding(kind="overrides-changed"))
    if digest.options != state.options:
        findings.append(Finding(kind="options-changed"))
    was, now = dict(digest.files), dict(state.files)
    parsed = input_files(inputs.files, lock=locked.path)
    for name, value in now.items():
        if name not in was:
            findings.append(Finding(kind="file-added", file=Path(name)))
        elif was[name] != value:
            old = store.load_inputs(was[name])
            current = requirement_lines(parsed[name])
            changes = _line_changes(old, current) if old is not None else ()
            if old is None:
                changes = _changes_against_pins(parsed[name], locked)
            findings.append(Finding(kind="file-changed", file=Path(name), changes=changes))
    findings += [Finding(kind="file-removed", file=Path(name)) for name in was if name not in now]
    return findings


def _line_changes(old: Sequence[InputLine], new: Sequence[InputLine]) -> tuple[InputChange, ...]:
    def by_name(lines: Sequence[InputLine]) -> dict[str, InputLine]:
        return {_project(line.requirement): line for line in lines}

    before, after = by_name(old), by_name(new)
    changes = [
        InputChange(change="added", requirement=line.requirement, line=line.line)
        for name, line in after.items()
        if name not in before
    ]
    changes += [
        InputChange(
            change="changed",
            requirement=line.requirement,
            line=line.line,
            was=before[name].requirement,
        )
        for name, line in after.items()
        if name in before and before[name].requirement != line.requirement
    ]
    changes += [
        InputChange(change="removed", requirement=line.requirement, line=None)
        for name, line in before.items()
        if name not in after
    ]
    return tuple(changes)


def _changes_against_pins(parsed: RequirementsFile, locked: LockedFile) -> tuple[InputChange, ...]:
    """Without the old lines: new requirements are those the lock does not pin."""
    return tuple(
        InputChange(change="added", requirement=line.requirement, line=line.line)
        for line in requirement_lines(parsed)
        if _project(line.requirement) not in locked.pinned_names()
    )


def _pin_edits(digest: LockDigest, locked: LockedFile, store: SnapshotStore) -> list[Finding]:
    if pins_digest(locked.pins, locked.unpinned, locked.direct) == digest.pins:
        return []
    written = store.load_pins(digest.pins)
    if written is None:
        return [Finding(kind="pins-edited")]
    now: dict[str, str] = {pin.name: str(pin.version) for pin in locked.pins}
    # A name @ URL pin: the version its file name gives, else its URL (the snapshot keeps
    # versions only, so a URL edit that keeps the version is told as "pins-edited").
    now.update({pin.name: str(pin.version or redact_text(pin.url)) for pin in locked.direct})
    was = {name: pin.version for name, pin in written.items()}
    edits = [
        Finding(kind="pin-edited", name=name, was=was.get(name), now=now.get(name))
        for name in sorted(set(was) | set(now))
        if was.get(name) != now.get(name)
    ]
    return edits or [Finding(kind="pins-edited")]  # hashes only


def _project(requirement: str) -> str:
    from packaging.requirements import Requirement

    return canonicalize_name(Requirement(requirement).name)
