"""``lockctl compile``: inputs, resolution, a pinned lock written atomically and only on success."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.atomic import check_writable, write_all
from lockctl.errors import InputError, UsageError
from lockctl.events import PreviousLockIgnored, Reporter, ignore_events
from lockctl.index import IndexClient, IndexSettings, default_cache_dir
from lockctl.lockfiles import (
    LockWriteOptions,
    find_digest,
    parse_lockfile,
    read_lockfile,
    render_piptools,
)
from lockctl.lockfiles.quickscan import quick_pins_digest
from lockctl.ops.commands import CompileCommand, IndexRequest
from lockctl.ops.cooldown import parse_cutoff
from lockctl.ops.fingerprint import (
    InputState,
    input_files,
    input_state,
    lock_digest,
    pins_digest,
)
from lockctl.ops.inputs import CompileInputs, included_files, parse_overrides, read_inputs
from lockctl.ops.lookahead import Lookahead
from lockctl.ops.optionlines import with_option_lines
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.project_build import project_builder
from lockctl.ops.session import open_index
from lockctl.ops.snapshots import (
    PinSnapshot,
    SnapshotStore,
    effective_requirements,
    requirement_lines,
)
from lockctl.resolver import (
    Fix,
    Preferences,
    Resolution,
    ResolutionConflict,
    RootRequirement,
    TargetEnvironment,
    UnknownProject,
    resolve,
    suggest_fixes,
)
from lockctl.resolver.inputs import RootInputs

__all__ = [
    "CompileRequest",
    "CompileResult",
    "ProgressSnapshot",
    "check_outputs",
    "compile_lock",
    "render_lock",
    "resolution_json",
    "resolve_lock",
    "resolve_roots",
    "write_results",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileRequest:
    """One lock to compile: the command as given, and what ``ops.plan`` decided for this lock.

    ``index`` is the command's, with the project's index settings below it; ``write`` has the
    target's Python; ``project_root`` is set when the lock is one of a project's (a fix that
    adds an override then names the lock as ``pyproject.toml`` does).
    """

    command: CompileCommand = field(default_factory=CompileCommand)
    inputs: tuple[Path, ...]
    output: Path
    target: TargetEnvironment
    index: IndexRequest = field(default_factory=IndexRequest)
    write: LockWriteOptions
    extra_overrides: tuple[RootRequirement, ...] = ()  # from [tool.lockctl], with their lines
    other_locks: tuple[Path, ...] = ()  # sibling layers: their pins are preferences too
    project_root: Path | None = None
    chosen: bool = True  # False: resolved with the others of its project, but not written
    group: str | None = None  # locks of one group share versions even without includes

    @property
    def pre(self) -> bool:
        return self.command.pre

    @property
    def dry_run(self) -> bool:
        return self.command.dry_run


@dataclass(frozen=True, slots=True, kw_only=True)
class ProgressSnapshot:
    projects: int
    in_flight: int
    cache_hits: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileResult:
    resolution: Resolution
    text: str
    written: bool


def compile_lock(
    request: CompileRequest,
    *,
    reporter: Reporter = ignore_events,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
) -> CompileResult:
    prepared = prepare(request, reporter=reporter)
    with open_index(prepared.index, files=prepared.inputs.files, reporter=reporter) as client:
        source = IndexPackageSource(client, request.target, exclude_newer=prepared.exclude_newer)
        if on_progress is not None:
            watch_progress(source, client, on_progress)
        resolution, text = resolve_lock(request, prepared, source)
    return finish(request, resolution, text)


@dataclass(frozen=True, slots=True, kw_only=True)
class PreparedLock:
    """A lock's inputs read and checked, before any index is asked."""

    inputs: CompileInputs
    roots: tuple[RootRequirement, ...]
    preferences: Preferences
    index: IndexRequest
    exclude_newer: datetime | None = None  # files uploaded after it are ignored


def prepare(request: CompileRequest, *, reporter: Reporter = ignore_events) -> PreparedLock:
    command = request.command
    inputs = read_inputs(
        request.inputs,
        request.command.constraints,
        extras=command.extras,
        all_extras=command.all_extras,
        build=project_builder(request.index),
    )
    check_outputs(request, inputs)
    overrides = parse_overrides(command.overrides, command.override_files)
    upgrade_names, upgrade_pins = _upgrade_packages(command.upgrade_packages)
    # Asking for the newest means asking the index now, not a page cached minutes ago.
    index = replace(
        request.index,
        refresh=request.index.refresh or command.upgrade,
        refresh_projects=request.index.refresh_projects | upgrade_names,
    )
    cutoff = command.exclude_newer
    return PreparedLock(
        inputs=inputs,
        roots=(*inputs.roots, *request.extra_overrides, *overrides, *upgrade_pins),
        preferences=_preferences(request, upgrade_names, reporter),
        index=index,
        exclude_newer=parse_cutoff(cutoff, now=datetime.now(timezone.utc)) if cutoff else None,
    )


def watch_progress(
    source: IndexPackageSource, client: IndexClient, on_progress: Callable[[ProgressSnapshot], None]
) -> None:
    stats = getattr(client.fetcher, "stats", None)
    source.on_activity = lambda: on_progress(
        ProgressSnapshot(
            projects=source.projects_loaded,
            in_flight=stats.in_flight if stats is not None else 0,
            cache_hits=client.cache.hits,
        )
    )


def resolve_lock(
    request: CompileRequest,
    prepared: PreparedLock,
    source: IndexPackageSource,
    *,
    constraints: Sequence[RootRequirement] = (),
    preferences: Preferences | None = None,
    explain: bool = True,
    lookahead: bool = True,
) -> tuple[Resolution, str]:
    """Resolve and render one lock; nothing is written. ``constraints`` come from other locks."""
    resolution = resolve_roots(
        request,
        prepared,
        source,
        (*prepared.roots, *constraints),
        preferences=preferences or prepared.preferences,
        explain=explain,
        lookahead=lookahead,
    )
    return resolution, render_lock(request, prepared, resolution, source)


def render_lock(
    request: CompileRequest,
    prepared: PreparedLock,
    resolution: Resolution,
    source: IndexPackageSource,
) -> str:
    """The lock's text, and the snapshots ``lockctl check`` reads, for a resolution."""
    text = _render(request, prepared, resolution, source.client.settings)
    _remember(request, prepared, resolution, text, source)
    return text


def resolve_roots(
    request: CompileRequest,
    prepared: PreparedLock,
    source: IndexPackageSource,
    roots: Sequence[RootRequirement],
    *,
    preferences: Preferences,
    explain: bool = True,
    lookahead: bool = True,
) -> Resolution:
    """Resolve ``roots`` for the request's target; a conflict is raised explained, once.

    ``lookahead=False`` when the metadata is known to be at hand already (a lock resolved at
    versions another resolution chose): walking the graph ahead would only cost CPU.
    """
    pre = request.pre or prepared.inputs.pre
    if lookahead:
        inputs = RootInputs(roots, request.target)
        Lookahead(source, inputs, preferred=preferences.preferred(), pre=pre).start()

    def run(changed: Sequence[RootRequirement]) -> Resolution:
        return resolve(
            changed,
            source=source,
            target=request.target,
            preferences=preferences,
            pre=pre,
            tracer=source.client.tracer,
        )

    try:
        return replace(run(roots), editables=prepared.inputs.editables)
    except UnknownProject as unknown:
        source.client.check_index_roots()  # a wrong index URL explains every "not found"
        found = source.client.suggest_names(unknown.name)
        raise unknown.with_suggestions(found.names, gave_up_after=found.gave_up_after) from None
    except ResolutionConflict as conflict:
        fixes = suggest_fixes(conflict, roots, run) if explain else []
        raise conflict.explained(fixes=_in_project(request, fixes), lock=request.output) from None


def _remember(
    request: CompileRequest,
    prepared: PreparedLock,
    resolution: Resolution,
    text: str,
    source: IndexPackageSource,
) -> None:
    """Keep what ``lockctl check`` needs to say what changed since this lock was written."""
    digest = find_digest(text, path=request.output)
    if digest is None:
        return
    store = SnapshotStore(prepared.index.cache_dir or default_cache_dir())
    digests = dict(digest.files)
    for name, parsed in input_files(prepared.inputs.files, lock=request.output).items():
        if name in digests:
            store.save_inputs(digests[name], requirement_lines(parsed))
    markers = request.target.markers()
    store.save_pins(
        digest.pins,
        {
            pin.name: PinSnapshot(
                version=str(pin.version),
                requires=effective_requirements(
                    source.metadata(pin.release).requires_dist, pin.extras, markers
                ),
            )
            for pin in resolution.pins
            if pin.release.all_files or pin.release.direct_reference is not None  # git, a dir
        },
    )


def _in_project(request: CompileRequest, fixes: Sequence[Fix]) -> list[Fix]:
    """In a project, an override belongs in this lock's table of ``[tool.lockctl]``."""
    root = request.project_root
    if root is None:
        return list(fixes)
    output = request.output
    lock = output.relative_to(root) if output.is_relative_to(root) else output
    return [replace(fix, lock=lock) if fix.kind == "override" else fix for fix in fixes]


def finish(request: CompileRequest, resolution: Resolution, text: str) -> CompileResult:
    """Write the lock (and its JSON), both or neither, unless this is a dry run."""
    result = CompileResult(resolution=resolution, text=text, written=not request.dry_run)
    write_results([(request, result)])
    return result


def outputs_of(request: CompileRequest, result: CompileResult) -> list[tuple[Path, str]]:
    """The files one compiled lock writes: its JSON (with ``--json``), then the lock."""
    if request.dry_run:
        return []
    files: list[tuple[Path, str]] = []
    json_output = request.command.json_output
    if json_output is not None:
        resolution = json.dumps(resolution_json(result.resolution, request.target), indent=2)
        files.append((json_output, resolution + "\n"))
    files.append((request.output, result.text))
    return files


def write_results(done: Sequence[tuple[CompileRequest, CompileResult]]) -> None:
    """Write every output of a run, or none (``lockctl.atomic.write_all``)."""
    write_all([file for request, result in done for file in outputs_of(request, result)])


def check_outputs(request: CompileRequest, inputs: CompileInputs) -> None:
    """Refuse, before any work, an output that cannot be written or would destroy an input.

    pip-compile refuses an output that is its input; an output that an input includes with
    ``-r``/``-c``, or an override file, would be read as an input and overwritten the same way.
    """
    if request.dry_run or not request.chosen:
        return
    read = {path.resolve(): path for parsed in inputs.files for path in included_files(parsed)}
    read.update((path.resolve(), path) for path in request.command.override_files)
    hint = "choose another output" if request.project_root else "choose another --output-file"
    outputs = [request.output]
    json_output = request.command.json_output
    if json_output is not None:
        if json_output.resolve() == request.output.resolve():
            raise UsageError(
                f"--json {json_output} is the lock itself: one would be written over the other",
                hint="write the JSON to another file",
            )
        outputs.append(json_output)
    for output in outputs:
        source = read.get(output.resolve())
        if source is not None:
            raise UsageError(
                f"the output {output} is {source}, which this lock reads as an input: "
                "writing it would destroy the input",
                hint=hint,
            )
        check_writable(output)


def _render(
    request: CompileRequest,
    prepared: PreparedLock,
    resolution: Resolution,
    settings: IndexSettings,
) -> str:
    if request.command.format == "pylock":
        from lockctl.lockfiles.pylock import render_pylock

        first = settings.indexes[0] if settings.indexes else None
        return render_pylock(
            resolution,
            target=request.target,
            index_url=first,
            lock_dir=request.output.absolute().parent,
        )
    # The lock names the indexes it was compiled from, as pip-compile writes them (as given;
    # pip's own default left out, so the lock installs from whatever default pip has).
    cache_dir = prepared.index.cache_dir or default_cache_dir()
    options = with_option_lines(request.write, settings, cache_dir=cache_dir)
    text = render_piptools(resolution, options)
    if not options.emit_header:
        return text
    # The digest of the pins is of the pins as written, read back as check will read them:
    # by the line scan check uses first, else by the full reader.
    pins = quick_pins_digest(text)
    if pins is None:
        locked = parse_lockfile(text, path=request.output)
        pins = pins_digest(locked.pins, locked.unpinned, locked.direct)
    digest = lock_digest(input_state_of(request, prepared), pins)
    return render_piptools(resolution, replace(options, digest=digest))


def input_state_of(request: CompileRequest, prepared: PreparedLock) -> InputState:
    """What decided this lock, but the pins: its input files, overrides, target and --pre."""
    return input_state(
        prepared.inputs.files,
        lock=request.output,
        overrides=(str(root.requirement) for root in prepared.roots if root.kind == "override"),
        target=request.target,
        pre=request.pre or prepared.inputs.pre,
    )


def _upgrade_packages(
    specs: Sequence[str],
) -> tuple[frozenset[NormalizedName], tuple[RootRequirement, ...]]:
    """``-P NAME`` frees NAME from the old lock; ``-P NAME==VERSION`` also asks for VERSION."""
    from packaging.requirements import InvalidRequirement, Requirement

    from lockctl.resolver import Origin

    names: set[NormalizedName] = set()
    pins: list[RootRequirement] = []
    for spec in specs:
        try:
            requirement = Requirement(spec)
        except InvalidRequirement:
            raise UsageError(
                f"--upgrade-package {spec!r} is not NAME or NAME==VERSION",
                hint="for example -P rich or -P rich==13.9.4",
            ) from None
        names.add(canonicalize_name(requirement.name))
        if requirement.specifier:
            pins.append(
                RootRequirement(
                    requirement=requirement, origin=Origin(line=None), kind="constraint"
                )
            )
    return frozenset(names), tuple(pins)


def _preferences(
    request: CompileRequest, upgrade: frozenset[NormalizedName], reporter: Reporter
) -> Preferences:
    """The pins of the existing output file, preferred so that diffs stay small (pip-tools).

    A lock that cannot be read (a hand edit gone wrong) only costs the preferences: the point
    of compiling is to replace it.
    """
    command = request.command
    if command.upgrade or command.format != "txt":
        return Preferences(upgrade_all=command.upgrade, upgrade=upgrade)
    pins: dict[NormalizedName, Version] = {}
    # Sibling layers first, the lock's own pins over them: one layer compiled alone keeps
    # the versions the others chose where it can.
    for path in (*request.other_locks, request.output):
        if not path.exists():
            continue
        try:
            pins.update(read_lockfile(path).versions())
        except InputError as error:
            reporter(PreviousLockIgnored(path=path, reason=error.message))
    return Preferences(pins=pins, upgrade=upgrade)


def resolution_json(resolution: Resolution, target: TargetEnvironment) -> dict[str, Any]:
    """The resolution as plain data: what ``--json`` writes (``editables`` when -e lines are)."""
    data = _pins_json(resolution, target)
    if resolution.editables:
        data["editables"] = [
            {
                "name": editable.name,
                "url": editable.url,
                "requested_in": [root.origin.describe() for root in editable.roots],
            }
            for editable in resolution.editables
        ]
    return data


def _pins_json(resolution: Resolution, target: TargetEnvironment) -> dict[str, Any]:
    return {
        "target": {"python_version": target.python_minor, "platform": target.platform},
        "packages": [
            {
                "name": pin.name,
                "version": str(pin.version),
                "extras": sorted(pin.extras),
                "required_by": list(pin.parents),
                "requested_in": [
                    root.origin.describe() for root in pin.roots if root.kind == "requirement"
                ],
                "overrides": [
                    {
                        "override": str(note.override.requirement),
                        "replaced": [
                            {"by": who, "requirement": str(req)} for who, req in note.replaced
                        ],
                    }
                    for note in pin.overrides
                ],
                "files": [
                    {"filename": f.filename, "url": f.url.redacted, "hashes": dict(f.hashes)}
                    for f in pin.release.all_files
                ],
            }
            for pin in resolution.pins
        ],
    }
