"""``lockctl reconcile LOCK``: a hand-edited lock beside what pip and lockctl really resolve.

Three views of one lock: the lock as written; what the real pip installs from it
(``pipreport``: pip runs in the background while lockctl resolves); and what lockctl
resolves from the lock's inputs with the lock's pins as preferences, exactly as
``lockctl compile`` would recompile it (the project's overrides, the lock's own
``# override:`` comments and ``--override`` honoured). Each package becomes a row
(``reconcile_classify``); ``--write`` replaces the lock, atomically and through compile's own
rendering, with that resolution: consistent hand edits kept, missing packages added, orphans
removed, annotations regenerated. When the inputs do not resolve there is no honest lock:
the report carries the conflict and the lock is left as it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.events import Reporter, ignore_events
from lockctl.lockfiles import LockedFile, LockWriteOptions
from lockctl.ops.commands import CompileCommand, ReconcileCommand
from lockctl.ops.compile import CompileRequest, PreparedLock, finish, prepare, resolve_lock
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.pipreport import PipDryRun
from lockctl.ops.plan import as_root, config_index_options
from lockctl.ops.reconcile_classify import classify_rows, plan_moves
from lockctl.ops.reconcile_graph import DemandReader
from lockctl.ops.reconcile_lock import LockUnderReview, check_hashes, find_lock
from lockctl.ops.reconcile_rows import ReconcileReport, Unreconcilable
from lockctl.ops.session import open_index
from lockctl.reqfile import shown_path
from lockctl.resolver import Resolution, ResolutionConflict

__all__ = ["reconcile"]


def reconcile(
    command: ReconcileCommand,
    cwd: Path,
    *,
    pip: Sequence[str] | None = None,
    reporter: Reporter = ignore_events,
) -> ReconcileReport:
    """Compare the lock with pip and with lockctl; with ``command.write``, rewrite it.

    ``pip`` is how to run pip (default ``pipreport.PIP``: ``python -m pip`` of this
    interpreter). Raises
    ``InputError`` for a lock or input that cannot be read as one (nothing is written) and
    ``ToolFailure`` when pip is missing or crashes; a lock that pip refuses is a finding.
    """
    lock = find_lock(command)
    request = _compile_request(command, lock, cwd)
    prepared = prepare(request, reporter=reporter)
    with open_index(prepared.index, files=prepared.inputs.files, reporter=reporter) as client:
        source = IndexPackageSource(client, lock.target)
        reader = DemandReader(source, prepared.roots)
        timeout = request.index.timeout
        settings = client.settings
        with PipDryRun(lock.path, lock.target, settings, pip=pip, timeout=timeout, cwd=cwd) as run:
            check_hashes(lock.locked, reader)
            resolution, text, conflict = _resolve(request, prepared, source, lock.locked)
            moves = (
                plan_moves(locked=lock.locked, reader=reader, resolution=resolution)
                if (resolution is not None)
                else ()
            )
            outcome = run.outcome()
        rows = classify_rows(
            locked=lock.locked, reader=reader, resolution=resolution, pip=outcome, relative_to=cwd
        )
    written = False
    if command.write and resolution is not None and text is not None and text != _text(lock):
        finish(request, resolution, text)  # compile's atomic write
        written = True
    return ReconcileReport(
        lock=lock.path,
        input=lock.input,
        target=lock.target,
        rows=rows,
        pip=outcome,
        moves=moves,
        conflict=conflict,
        overridden=_overridden(prepared, lock.locked, resolution),
        written=written,
        text=text,
    )


def _overridden(
    prepared: PreparedLock, locked: LockedFile, resolution: Resolution | None
) -> tuple[NormalizedName, ...]:
    """The pinned projects that an override replaces requirements on."""
    pinned = set(locked.pinned_names())
    if resolution is not None:
        pinned |= {pin.name for pin in resolution.pins}
    named = {root.name for root in prepared.roots if root.kind == "override"}
    return tuple(sorted(named & pinned))


def _text(lock: LockUnderReview) -> str:
    return lock.path.read_text(encoding="utf-8")


def _resolve(
    request: CompileRequest,
    prepared: PreparedLock,
    source: IndexPackageSource,
    locked: LockedFile,
) -> tuple[Resolution | None, str | None, Unreconcilable | None]:
    """Compile's resolution and text, or the conflict that stops it, with the pins it names."""
    try:
        resolution, text = resolve_lock(request, prepared, source)
    except ResolutionConflict as conflict:
        named: set[NormalizedName] = set()
        for cause in (*conflict.causes, *(link for chain in conflict.chains for link in chain)):
            named.add(canonicalize_name(cause.requirement.name))
            if cause.parent is not None:
                named.add(cause.parent[0])
        held = tuple(
            (pin.name, pin.version, pin.source.line) for pin in locked.pins if pin.name in named
        )
        return None, None, Unreconcilable(conflict=conflict, held=held)
    return resolution, text, None


def _compile_request(command: ReconcileCommand, lock: LockUnderReview, cwd: Path) -> CompileRequest:
    """The compile that would write this lock: the project's settings, the lock's own."""
    config, entry = lock.config, lock.entry
    project_overrides = config.overrides_for(entry) if config is not None and entry else ()
    taken = {override.name for override in project_overrides}
    overrides, override_files = _lock_overrides(command, lock, cwd, taken)
    compile_command = CompileCommand(
        inputs=(lock.input,),
        output_file=lock.path,
        python_version=command.python_version,
        platform=command.platform,
        from_dockerfile=command.from_dockerfile,
        overrides=overrides,
        override_files=override_files,
        dry_run=not command.write,
        index=command.index,
    )
    # pip reads the index as it is now; so does lockctl, revalidating every page it cached
    # (a version edited into a lock may be newer than the page a compile left in the cache).
    index = replace(command.index, refresh=not command.index.offline)
    if config is not None:
        index = replace(index, config_options=config_index_options(config))
    siblings: tuple[Path, ...] = ()
    if config is not None and entry is not None:
        siblings = tuple(sorted(other.output for other in config.locks if other is not entry))
    return CompileRequest(
        command=compile_command,
        inputs=(lock.input,),
        output=lock.path,
        target=lock.target,
        index=index,
        write=_write_options(lock, cwd),
        extra_overrides=tuple(as_root(override) for override in project_overrides),
        other_locks=siblings,
        project_root=config.root if config is not None and entry is not None else None,
    )


def _lock_overrides(
    command: ReconcileCommand, lock: LockUnderReview, cwd: Path, taken: set[NormalizedName]
) -> tuple[tuple[str, ...], tuple[Path, ...]]:
    """``--override``, then the lock's own ``# override:`` comments on other projects.

    One from the command line is applied again as given; one from a file reads that file
    again (as ``--override-file``); one from pyproject.toml is the project's, which
    ``[tool.lockctl]`` gives (or no longer gives). A file that is gone leaves its override
    as if it came from the command line.
    """
    texts = list(command.overrides)
    named = set(taken) | {name for name in map(_name, texts) if name is not None}
    files: list[Path] = []
    for pin in lock.locked.pins:
        for note in pin.overrides:
            name = canonicalize_name(note.requirement.name)
            if name in named or Path(note.source).name == "pyproject.toml":
                continue
            named.add(name)
            found = None if note.from_command_line else _existing(note.source, cwd, lock.path)
            if found is None:
                texts.append(str(note.requirement))
            elif found not in files:
                files.append(found)
    return tuple(texts), tuple(files)


def _name(text: str) -> NormalizedName | None:
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement:
        return None  # compile's own check reports it with its usage hint


def _existing(source: str, cwd: Path, lock: Path) -> Path | None:
    for base in (cwd, lock.parent):
        candidate = base / source
        if candidate.is_file():
            return candidate
    return None


def _write_options(lock: LockUnderReview, cwd: Path) -> LockWriteOptions:
    """compile's writer, switched as the lock was written: hashes, header, annotations,
    which option lines it carries."""
    locked = lock.locked
    pins = locked.pins
    options = locked.options
    generate_hashes = any(pin.hashes for pin in pins) or any(p.hashes for p in locked.direct)
    if lock.config is not None and lock.config.generate_hashes:
        generate_hashes = True
    return LockWriteOptions(
        python_version=lock.target.python_minor,
        command=locked.command or f"lockctl compile {shown_path(lock.input)}",
        emit_header=locked.command is not None or locked.python_version is not None,
        annotate=not pins or any(pin.parents or pin.roots for pin in pins),
        strip_extras=not any(pin.extras for pin in pins),
        generate_hashes=generate_hashes,
        unsafe_style="omit" if locked.unsafe_unpinned else "section",
        emit_index_url=options.index_url is not None or bool(options.extra_index_urls),
        emit_find_links=bool(options.find_links),
        emit_trusted_host=bool(options.trusted_hosts),
        paths_relative_to=cwd,
    )
