"""Compile a project's locks together: one version of each shared project, chosen for all.

The locks that include each other (``-r``/``-c``, directly or through other files) are one
workspace, as in uv: their requirements are resolved together, once, so a narrower
requirement in an upper layer (``numpy<2``) also decides the lower layer's pin. Then each lock
is resolved on its own with every version of that shared resolution as a constraint, which
gives exactly the projects its own inputs need, at the shared versions.

A per-lock override (the "all" layer's ``pandas==2.1.1`` while the ML layer keeps 2.0.3) is
the one way to differ: the lines of that lock on the overridden project stay out of the shared
resolution, the lock is resolved with the override and without the shared version of that
project, and of each project that must differ because of it (found by resolving again); its
lock says so in its override comment. Overrides that every lock of the workspace has are
part of the shared resolution.

Locks that do not include each other are separate workspaces. A cycle of includes between
locks is bad input. Nothing is written unless every lock resolved: all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.errors import UsageError
from lockctl.events import Reporter, ignore_events
from lockctl.ops.compile import (
    CompileRequest,
    CompileResult,
    PreparedLock,
    ProgressSnapshot,
    compile_lock,
    prepare,
    render_lock,
    resolve_lock,
    resolve_roots,
    write_results,
)
from lockctl.ops.inputs import included_files
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.session import open_index
from lockctl.reqfile import shown_path
from lockctl.resolver import (
    Fix,
    Origin,
    Preferences,
    Resolution,
    ResolutionConflict,
    RootRequirement,
)

__all__ = ["LayerConflict", "compile_all", "compile_layers", "layer_order"]

_MAX_SETTLING = 8  # rounds of "this project must differ too" for one lock with overrides


class LayerConflict(ResolutionConflict):
    """The locks of a workspace cannot share one version of every project they have in common
    (exit 1). ``locks`` are the locks whose requirements take part; the causes and chains
    name each requirement with its file and line; ``fixes`` were checked by resolving again."""

    def __init__(
        self, *, locks: Sequence[Path], conflict: ResolutionConflict, fixes: Sequence[Fix]
    ) -> None:
        names = ", ".join(shown_path(path) for path in locks)
        super().__init__(
            conflict.causes,
            chains=conflict.chains,
            unavailable=conflict.unavailable,
            fixes=fixes,
            lock=locks[0] if len(locks) == 1 else None,
            message=f"the layers disagree: {names} cannot share one version of the projects "
            "they have in common",
        )
        self.locks = tuple(locks)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    request: CompileRequest
    prepared: PreparedLock
    files: frozenset[Path]  # every file its input includes, itself too (resolved paths)
    own_overrides: frozenset[NormalizedName]  # overridden in this lock, not in every lock


def compile_all(
    requests: Sequence[CompileRequest],
    *,
    jobs: int,
    reporter: Reporter = ignore_events,
    on_progress: Callable[[ProgressSnapshot], None] | None = None,
) -> list[CompileResult]:
    """Compile the locks of a plan: one on its own (with progress), several together."""
    if len(requests) == 1:
        return [compile_lock(requests[0], reporter=reporter, on_progress=on_progress)]
    return compile_layers(requests, jobs=jobs, reporter=reporter)


def compile_layers(
    requests: Sequence[CompileRequest], *, jobs: int = 4, reporter: Reporter = ignore_events
) -> list[CompileResult]:
    """Compile every lock, each workspace together; write them all only if all resolved."""
    prepared = [prepare(request, reporter=reporter) for request in requests]
    layers = _layers(requests, prepared)
    layer_order(layers)  # a cycle of includes is bad input, found before any index is asked
    all_files = [f for each in prepared for f in each.inputs.files]
    results: dict[int, tuple[Resolution, str]] = {}
    with open_index(prepared[0].index, files=all_files, reporter=reporter) as client:
        sources: dict[tuple[str, str], IndexPackageSource] = {}
        for workspace in _workspaces(layers):
            target = layers[workspace[0]].request.target
            key = (target.python_minor, target.platform)
            cutoff = layers[workspace[0]].prepared.exclude_newer  # one command: one cut-off
            source = sources.setdefault(
                key, IndexPackageSource(client, target, exclude_newer=cutoff)
            )
            members = [layers[i] for i in workspace]
            roots = _shared_roots(members)
            shared = _shared_resolution(members, roots, source)
            # Each lock at the shared versions: cheap resolutions from the same cache, at once.
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = {
                    i: pool.submit(_settle, layers[i], shared, source, roots) for i in workspace
                }
                results.update((i, future.result()) for i, future in futures.items())
    done = [
        (
            request,
            CompileResult(
                resolution=results[index][0],
                text=results[index][1],
                written=not request.dry_run and request.chosen,
            ),
        )
        for index, request in enumerate(requests)
    ]
    write_results([(request, result) for request, result in done if request.chosen])
    return [result for _, result in done]


def _layers(requests: Sequence[CompileRequest], prepared: Sequence[PreparedLock]) -> list[_Layer]:
    every = [_override_texts(each) for each in prepared]
    common = set.intersection(*every) if every else set()
    layers = []
    for request, each in zip(requests, prepared, strict=True):
        files = {path.resolve() for parsed in each.inputs.files for path in included_files(parsed)}
        own = frozenset(
            root.name
            for root in each.roots
            if root.kind == "override" and str(root.requirement) not in common
        )
        layers.append(
            _Layer(request=request, prepared=each, files=frozenset(files), own_overrides=own)
        )
    return layers


def _override_texts(prepared: PreparedLock) -> set[str]:
    return {str(root.requirement) for root in prepared.roots if root.kind == "override"}


def layer_order(layers: Sequence[_Layer]) -> list[list[_Layer]]:
    """Waves of locks: each wave only includes the inputs of earlier waves (a cycle: error)."""
    inputs = {layer.request.inputs[0].resolve(): index for index, layer in enumerate(layers)}
    below = {
        index: {inputs[path] for path in layer.files if inputs.get(path, index) != index}
        for index, layer in enumerate(layers)
    }
    waves: list[list[_Layer]] = []
    done: set[int] = set()
    while len(done) < len(layers):
        ready = [i for i in range(len(layers)) if i not in done and below[i] <= done]
        if not ready:
            stuck = [str(layers[i].request.inputs[0]) for i in range(len(layers)) if i not in done]
            raise UsageError(
                f"the layers include each other in a cycle: {', '.join(stuck)}",
                hint="a lower layer must not -r include an upper one",
            )
        waves.append([layers[i] for i in ready])
        done |= set(ready)
    return waves


def _workspaces(layers: Sequence[_Layer]) -> list[list[int]]:
    """Groups of locks joined by includes (a lock's input among another lock's files) or by
    a ``group`` they were given in ``[tool.lockctl]``."""
    inputs = {layer.request.inputs[0].resolve(): index for index, layer in enumerate(layers)}
    parent = list(range(len(layers)))

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    groups_seen: dict[str, int] = {}
    for index, layer in enumerate(layers):
        for path in layer.files:
            other = inputs.get(path)
            if other is not None:
                parent[find(other)] = find(index)
        group = layer.request.group
        if group is not None:
            parent[find(groups_seen.setdefault(group, index))] = find(index)
    groups: dict[int, list[int]] = {}
    for index in range(len(layers)):
        groups.setdefault(find(index), []).append(index)
    return list(groups.values())


def _root_key(root: RootRequirement) -> tuple[str, str, str]:
    line = root.origin.line
    return (root.kind, str(root.requirement), "" if line is None else f"{line.path}:{line.line}")


def _shared_roots(layers: Sequence[_Layer]) -> list[RootRequirement]:
    """Every lock's requirements once, but those on a project the lock overrides alone."""
    roots: dict[tuple[str, str, str], RootRequirement] = {}
    for layer in layers:
        for root in layer.prepared.roots:
            if root.name in layer.own_overrides:
                continue  # its own override decides it, apart from the others
            roots.setdefault(_root_key(root), root)
    return list(roots.values())


def _shared_resolution(
    layers: Sequence[_Layer],
    roots: Sequence[RootRequirement],
    source: IndexPackageSource,
    *,
    explain: bool = True,
) -> Resolution:
    """One resolution of ``roots``, the requirements of every lock (``_shared_roots``)."""
    first = layers[0]
    pins: dict[NormalizedName, Version] = {}
    for layer in layers:  # every lock's previous pins, so a recompile changes little
        for name, version in layer.prepared.preferences.pins.items():
            pins.setdefault(name, version)
    preferences = replace(first.prepared.preferences, pins=pins)
    inputs = replace(first.prepared.inputs, pre=any(layer.prepared.inputs.pre for layer in layers))
    prepared = replace(first.prepared, inputs=inputs)
    try:
        return resolve_roots(
            first.request, prepared, source, roots, preferences=preferences, explain=explain
        )
    except ResolutionConflict as conflict:
        if len(layers) == 1 or not explain:
            raise
        # An override found on the shared resolution is one for every lock of the workspace.
        shared_fixes = [
            replace(fix, lock=None, in_project=first.request.project_root is not None)
            if fix.kind == "override"
            else fix
            for fix in conflict.fixes
        ]
        fixes = [*shared_fixes, *_per_lock_fixes(conflict, layers, source)]
        raise LayerConflict(
            locks=_locks_in(conflict, layers), conflict=conflict, fixes=fixes
        ) from None


_MAX_LOCK_FIXES = 4  # each is a shared resolution and a lock's: a suggestion must stay cheap


def _per_lock_fixes(
    conflict: ResolutionConflict, layers: Sequence[_Layer], source: IndexPackageSource
) -> list[Fix]:
    """Let one lock keep its own requirement on a clashing project, as a per-lock override;
    kept when the workspace then resolves (checked by resolving again)."""
    fixes: list[Fix] = []
    tried: set[tuple[int, str]] = set()
    for cause in conflict.causes:
        root = cause.root
        if root is None or root.kind != "requirement" or root.origin.line is None:
            continue
        where = root.origin.line.path.resolve()
        for index, layer in enumerate(layers):
            wanted = root.requirement
            if where not in layer.files or (index, str(wanted)) in tried:
                continue
            tried.add((index, str(wanted)))
            if len(tried) > _MAX_LOCK_FIXES:
                return fixes
            override = RootRequirement(
                requirement=Requirement(f"{wanted.name}{wanted.specifier}"),
                origin=Origin(line=None),
                kind="override",
            )
            changed = replace(
                layer,
                prepared=replace(layer.prepared, roots=(*layer.prepared.roots, override)),
                own_overrides=layer.own_overrides | {root.name},
            )
            trial = [changed if other is layer else other for other in layers]
            try:
                trial_roots = _shared_roots(trial)
                shared = _shared_resolution(trial, trial_roots, source, explain=False)
                resolution, _ = _settle(changed, shared, source, trial_roots)
            except ResolutionConflict:
                continue
            pin = resolution.get(root.name)
            fixes.append(
                Fix(
                    kind="override",
                    requirement=override.requirement,
                    lock=_as_named(layer.request),
                    resolves_to=None if pin is None else (pin.name, pin.version),
                )
            )
    return fixes


def _as_named(request: CompileRequest) -> Path:
    """The lock's output as ``pyproject.toml`` names it: relative to the project."""
    root, output = request.project_root, request.output
    return output.relative_to(root) if root is not None and output.is_relative_to(root) else output


def _locks_in(conflict: ResolutionConflict, layers: Sequence[_Layer]) -> list[Path]:
    """The locks whose input files hold a requirement that takes part in the conflict."""
    files = {
        cause.root.origin.line.path.resolve()
        for chain in (conflict.chains or tuple((cause,) for cause in conflict.causes))
        for cause in chain
        if cause.root is not None and cause.root.origin.line is not None
    }
    named = [layer.request.output for layer in layers if layer.files & files]
    return named or [layer.request.output for layer in layers]


def _settle(
    layer: _Layer,
    shared: Resolution,
    source: IndexPackageSource,
    shared_roots: Sequence[RootRequirement],
) -> tuple[Resolution, str]:
    """The lock's own resolution at the shared versions, but where its overrides differ."""
    own = {_root_key(root) for root in layer.prepared.roots}
    if not layer.own_overrides and own == {_root_key(root) for root in shared_roots}:
        # The lock that has every requirement of the workspace: the shared resolution is its.
        return shared, render_lock(layer.request, layer.prepared, shared, source)
    exempt = set(layer.own_overrides)
    preferences = Preferences(pins={pin.name: pin.version for pin in shared.pins})
    last: ResolutionConflict | None = None
    for _ in range(_MAX_SETTLING):
        constraints = [
            RootRequirement(
                requirement=Requirement(f"{pin.name}=={pin.version}"),
                origin=Origin(line=None),
                kind="constraint",
            )
            for pin in shared.pins
            if pin.name not in exempt
        ]
        try:
            return resolve_lock(
                layer.request,
                layer.prepared,
                source,
                constraints=constraints,
                preferences=preferences,
                explain=False,
                lookahead=False,
            )
        except ResolutionConflict as conflict:
            last = conflict
            pinned = {str(c.requirement) for c in constraints}
            clashing = {
                cause.root.name
                for cause in conflict.causes
                if cause.root is not None and str(cause.root.requirement) in pinned
            }
            if not clashing - exempt:
                break
            exempt |= clashing
    # Alone, its own requirements may not resolve either: then that is the error, explained.
    resolve_lock(layer.request, layer.prepared, source, preferences=preferences)
    assert last is not None
    raise LayerConflict(locks=[layer.request.output], conflict=last, fixes=())
