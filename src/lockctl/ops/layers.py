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
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from lockctl.errors import UsageError
from lockctl.events import Reporter, ignore_events
from lockctl.ops.compile import (
    CompileRequest,
    CompileResult,
    PreparedLock,
    finish,
    prepare,
    resolve_lock,
)
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.session import open_index
from lockctl.reqfile import IncludeEntry, RequirementsFile, SourceLine
from lockctl.resolver import (
    Origin,
    Preferences,
    Resolution,
    ResolutionConflict,
    RootRequirement,
)

__all__ = ["LayerConflict", "compile_layers", "layer_order"]


class LayerConflict(ResolutionConflict):
    """A lock resolves on its own but not with the versions other locks pinned (exit 1)."""

    def __init__(self, lock: Path, others: Sequence[Path], conflict: ResolutionConflict) -> None:
        super().__init__(conflict.causes, chains=conflict.chains, unavailable=conflict.unavailable)
        self.lock = lock
        self.others = tuple(others)
        names = ", ".join(str(path) for path in self.others)
        self.args = (f"{lock} cannot use the versions pinned in {names}: the layers disagree",)
        self.fixes = (
            f"override the disagreeing project for {lock} only "
            "(an override in its [[tool.lockctl.lock]] table), or relax the lower layer",
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Layer:
    request: CompileRequest
    prepared: PreparedLock
    files: frozenset[Path]  # every file its input includes, itself too (resolved paths)


def _included(parsed: RequirementsFile) -> set[Path]:
    found = {parsed.path.resolve()}
    for entry in parsed.entries:
        if isinstance(entry, IncludeEntry):
            found |= _included(entry.file)
    return found


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
    resolution: Resolution, output: Path, text: str, exempt: frozenset[NormalizedName]
) -> list[RootRequirement]:
    """Another lock's pins as constraints, each pointing at its line in that lock."""
    lines = {
        line.split("==", 1)[0].split("[", 1)[0]: number
        for number, line in enumerate(text.splitlines(), start=1)
        if "==" in line and not line.startswith((" ", "#", "-"))
    }
    constraints = []
    for pin in resolution.pins:
        if pin.name in exempt:
            continue
        pinned = f"{pin.name}=={pin.version}"
        number = lines.get(pin.name, 1)
        constraints.append(
            RootRequirement(
                requirement=Requirement(pinned),
                origin=Origin(
                    line=SourceLine(path=output, line=number, end_line=number, text=pinned)
                ),
                kind="constraint",
            )
        )
    return constraints


def _overridden(prepared: PreparedLock) -> frozenset[NormalizedName]:
    return frozenset(root.name for root in prepared.roots if root.kind == "override")


def compile_layers(
    requests: Sequence[CompileRequest], *, jobs: int = 4, reporter: Reporter = ignore_events
) -> list[CompileResult]:
    """Compile every lock, lower layers first; write them all only if all of them resolved."""
    layers = []
    for request in requests:
        prepared = prepare(request, reporter=reporter)
        files: set[Path] = set()
        for parsed in prepared.inputs.files:
            files |= _included(parsed)
        layers.append(_Layer(request=request, prepared=prepared, files=frozenset(files)))
    all_files = [f for layer in layers for f in layer.prepared.inputs.files]
    first = layers[0].prepared.index
    resolved: dict[Path, Resolution] = {}
    texts: dict[Path, str] = {}
    with open_index(first, files=all_files, reporter=reporter) as client:
        sources = {}

        def source_for(layer: _Layer) -> IndexPackageSource:
            key = (layer.request.target.python_minor, layer.request.target.platform)
            if key not in sources:
                sources[key] = IndexPackageSource(client, layer.request.target)
            return sources[key]

        def run(layer: _Layer, earlier: Sequence[Path]) -> tuple[Resolution, str]:
            exempt = _overridden(layer.prepared)
            constraints = [
                c
                for path in earlier
                for c in _pins_as_constraints(resolved[path], path, texts[path], exempt)
            ]
            preferences = _merged_preferences(layer.prepared.preferences, resolved.values())
            try:
                return resolve_lock(
                    layer.request,
                    layer.prepared,
                    source_for(layer),
                    constraints=constraints,
                    preferences=preferences,
                    explain=not constraints,
                )
            except ResolutionConflict as conflict:
                conflict.lock = layer.request.output
                if not constraints:
                    raise
                # Alone it may resolve: then the layers disagree, and that is the message.
                try:
                    resolve_lock(layer.request, layer.prepared, source_for(layer))
                except ResolutionConflict as alone:
                    alone.lock = layer.request.output
                    raise
                raise LayerConflict(layer.request.output, earlier, conflict) from None

        for wave in layer_order(layers):
            earlier = list(resolved)
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                futures = [pool.submit(run, layer, earlier) for layer in wave]
                results = [future.result() for future in futures]
            for layer, (resolution, text) in zip(wave, results, strict=True):
                resolved[layer.request.output] = resolution
                texts[layer.request.output] = text
            _settle_wave(wave, resolved, texts, run, earlier)
    return [
        finish(layer.request, resolved[layer.request.output], texts[layer.request.output])
        for layer in layers
    ]


_Run = Callable[[_Layer, Sequence[Path]], tuple[Resolution, str]]


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
