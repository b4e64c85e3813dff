"""Compile several layered locks together: lower layers first, the same version everywhere.

Layers are ordered by their ``-r``/``-c`` include graph: a lock whose input includes another
lock's input comes after it. Every pin of a lock compiled earlier becomes a ``-c`` style
constraint (``name==version``) for the later ones, so a project that appears in two locks has
the same version in both; a lock that overrides the project is exempt, and its lock says so in
the override comment. Locks in the same layer (neither includes the other) resolve in
parallel, then are made consistent with each other. Nothing is written unless every lock
resolved: all or nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import UsageError
from lockctl.events import Reporter, ignore_events
from lockctl.lockfiles import parse_lockfile
from lockctl.ops.compile import (
    CompileRequest,
    CompileResult,
    PreparedLock,
    ProgressSnapshot,
    compile_lock,
    prepare,
    resolve_lock,
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


class LayerConflict(ResolutionConflict):
    """A lock resolves on its own but not with the versions other locks pinned (exit 1).

    ``lock`` could not use the pins of ``others``; ``conflict`` is what resolving it with
    those pins ran into; ``fixes`` are per-lock overrides, checked where they resolved.
    """

    def __init__(
        self,
        *,
        lock: Path,
        others: Sequence[Path],
        conflict: ResolutionConflict,
        fixes: Sequence[Fix],
    ) -> None:
        names = ", ".join(shown_path(path) for path in others)
        super().__init__(
            conflict.causes,
            chains=conflict.chains,
            unavailable=conflict.unavailable,
            fixes=fixes,
            lock=lock,
            message=f"{shown_path(lock)} cannot use the versions pinned in {names}: "
            "the layers disagree",
        )
        self.others = tuple(others)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    request: CompileRequest
    prepared: PreparedLock
    files: frozenset[Path]  # every file its input includes, itself too (resolved paths)


def layer_order(layers: Sequence[_Layer]) -> list[list[_Layer]]:
    """Waves of locks: each wave only includes the inputs of earlier waves."""
    inputs = {layer.request.inputs[0].resolve(): layer for layer in layers}
    below: dict[int, set[int]] = {}
    for index, layer in enumerate(layers):
        below[index] = {
            layers.index(inputs[path])
            for path in layer.files
            if path in inputs and inputs[path] is not layer
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


def _pins_as_constraints(
    output: Path, text: str, exempt: frozenset[NormalizedName]
) -> list[RootRequirement]:
    """Another lock's pins as constraints, each pointing at its line in that lock."""
    return [
        RootRequirement(
            requirement=Requirement(f"{pin.name}=={pin.version}"),
            origin=Origin(line=pin.source),
            kind="constraint",
        )
        for pin in parse_lockfile(text, path=output).pins
        if pin.name not in exempt
    ]


def _overridden(prepared: PreparedLock) -> frozenset[NormalizedName]:
    return frozenset(root.name for root in prepared.roots if root.kind == "override")


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
    """Compile every lock, lower layers first; write them all only if all of them resolved."""
    layers = []
    for request in requests:
        prepared = prepare(request, reporter=reporter)
        files: set[Path] = set()
        for parsed in prepared.inputs.files:
            files |= {path.resolve() for path in included_files(parsed)}
        layers.append(_Layer(request=request, prepared=prepared, files=frozenset(files)))
    all_files = [f for layer in layers for f in layer.prepared.inputs.files]
    first = layers[0].prepared.index
    resolved: dict[Path, Resolution] = {}
    texts: dict[Path, str] = {}
    with open_index(first, files=all_files, reporter=reporter) as client:
        # One source per target, made here before any thread runs: the pool only reads it.
        sources: dict[tuple[str, str], IndexPackageSource] = {}
        for layer in layers:
            target = layer.request.target
            key = (target.python_minor, target.platform)
            sources.setdefault(key, IndexPackageSource(client, target))

        def source_for(layer: _Layer) -> IndexPackageSource:
            return sources[(layer.request.target.python_minor, layer.request.target.platform)]

        def resolve_with(
            layer: _Layer, prepared: PreparedLock, earlier: Sequence[Path]
        ) -> tuple[Resolution, str]:
            """Resolve with the pins of the ``earlier`` locks as constraints."""
            exempt = _overridden(prepared)
            constraints = [
                c for path in earlier for c in _pins_as_constraints(path, texts[path], exempt)
            ]
            return resolve_lock(
                layer.request,
                prepared,
                source_for(layer),
                constraints=constraints,
                preferences=_merged_preferences(prepared.preferences, resolved.values()),
                explain=not constraints,
            )

        def run(layer: _Layer, earlier: Sequence[Path]) -> tuple[Resolution, str]:
            try:
                return resolve_with(layer, layer.prepared, earlier)
            except ResolutionConflict as conflict:
                if not earlier:
                    raise
                # Alone it may resolve: then the layers disagree, and that is the message.
                resolve_lock(layer.request, layer.prepared, source_for(layer))
                fixes = _layer_fixes(layer, conflict, earlier, resolve_with)
                raise LayerConflict(
                    lock=layer.request.output, others=earlier, conflict=conflict, fixes=fixes
                ) from None

        for wave in layer_order(layers):
            earlier = list(resolved)
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = [pool.submit(run, layer, earlier) for layer in wave]
                results = [future.result() for future in futures]
            for layer, (resolution, text) in zip(wave, results, strict=True):
                resolved[layer.request.output] = resolution
                texts[layer.request.output] = text
            _settle_wave(wave, resolved, texts, run, earlier)
    done = [
        (
            layer.request,
            CompileResult(
                resolution=resolved[layer.request.output],
                text=texts[layer.request.output],
                written=not layer.request.dry_run,
            ),
        )
        for layer in layers
    ]
    write_results(done)  # every lock of the project, or none
    return [result for _, result in done]


_Run = Callable[[_Layer, Sequence[Path]], tuple[Resolution, str]]
_ResolveWith = Callable[[_Layer, PreparedLock, Sequence[Path]], tuple[Resolution, str]]


def _layer_fixes(
    layer: _Layer,
    conflict: ResolutionConflict,
    earlier: Sequence[Path],
    resolve_with: _ResolveWith,
) -> list[Fix]:
    """Per-lock overrides that let ``layer`` differ from the other locks, each tried.

    For every project whose pin from another lock took part in the conflict, the lock's own
    requirement on it becomes an override for this lock only; it is kept as a checked fix
    when the lock then resolves beside the others, and as an unchecked one otherwise.
    """
    others = {path.resolve() for path in earlier}
    their_pins = _pins_of_others(conflict, others)
    pinned_elsewhere = {root.name for root in their_pins}
    fixes: list[Fix] = []
    seen: set[str] = set()
    for cause in conflict.causes:
        wanted = cause.requirement
        if canonicalize_name(wanted.name) not in pinned_elsewhere or cause.root in their_pins:
            continue
        extras = f"[{','.join(sorted(wanted.extras))}]" if wanted.extras else ""
        override = Requirement(f"{wanted.name}{extras}{wanted.specifier}")
        if str(override) in seen:
            continue
        seen.add(str(override))
        fix = Fix(
            kind="override",
            requirement=override,
            asked_by=cause.parent[0] if cause.parent else None,
            lock=_as_named(layer.request),
            checked=False,
        )
        root = RootRequirement(requirement=override, origin=Origin(line=None), kind="override")
        prepared = replace(layer.prepared, roots=(*layer.prepared.roots, root))
        try:
            resolution, _ = resolve_with(layer, prepared, earlier)
        except ResolutionConflict:
            fixes.append(fix)
            continue
        pin = resolution.get(override.name)
        outcome = None if pin is None else (pin.name, pin.version)
        fixes.append(replace(fix, checked=True, resolves_to=outcome))
    return sorted(fixes, key=lambda fix: not fix.checked)


def _pins_of_others(conflict: ResolutionConflict, others: set[Path]) -> set[RootRequirement]:
    """The causes that are pins of the other locks, not requirements of this one."""
    return {
        cause.root
        for cause in conflict.causes
        if cause.root is not None
        and cause.root.kind == "constraint"
        and cause.root.origin.line is not None
        and cause.root.origin.line.path.resolve() in others
    }


def _as_named(request: CompileRequest) -> Path:
    """The lock's output as ``pyproject.toml`` names it: relative to the project."""
    root = request.project_root
    output = request.output
    return output.relative_to(root) if root is not None and output.is_relative_to(root) else output


def _settle_wave(
    wave: Sequence[_Layer],
    resolved: dict[Path, Resolution],
    texts: dict[Path, str],
    run: _Run,
    earlier: Sequence[Path],
) -> None:
    """Locks of one wave resolved side by side; where they disagree, the later one follows."""
    for position, layer in enumerate(wave[1:], start=1):
        mine = {pin.name: pin.version for pin in resolved[layer.request.output].pins}
        exempt = _overridden(layer.prepared)
        previous = [w.request.output for w in wave[:position]]
        if any(
            pin.name in mine and mine[pin.name] != pin.version and pin.name not in exempt
            for path in previous
            for pin in resolved[path].pins
        ):
            resolution, text = run(layer, [*earlier, *previous])
            resolved[layer.request.output] = resolution
            texts[layer.request.output] = text


def _merged_preferences(own: Preferences, others: Iterable[Resolution]) -> Preferences:
    """The lock's own previous pins first, then versions other layers already chose."""
    pins = dict(own.pins)
    if not own.upgrade_all:
        for resolution in others:
            for pin in resolution.pins:
                pins.setdefault(pin.name, pin.version)
    return Preferences(pins=pins, upgrade_all=own.upgrade_all, upgrade=own.upgrade)
