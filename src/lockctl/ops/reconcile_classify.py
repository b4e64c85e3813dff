"""Sort each package of a lock into a reconcile row, and list what the honest lock moves.

Three views of one lock: the lock as written, what pip installs from it (``pipreport``), and
what lockctl resolves from its inputs keeping the lock's pins where they hold (a
``Resolution``, or None when the inputs do not resolve). Requirements are read as the lock
would be installed: the lock's own pins, plus whatever is missing at the version lockctl (or
else pip) chose, so a pin that clashes with a dependency the lock forgot is caught too.

A ``name @ URL`` pin is judged by its URL: ok when lockctl resolves the inputs to the same
URL, hand-edited when to another, orphaned when to nothing; its version (from the file name)
is what the row shows, and what a move from it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from packaging.markers import InvalidMarker, UndefinedComparison, UndefinedEnvironmentName
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.lockfiles import LockedDirectPin, LockedFile, LockedPin
from lockctl.lockfiles.comments import via_sources
from lockctl.ops.direct_source import written_url
from lockctl.ops.pipreport import PipOutcome
from lockctl.ops.reconcile_graph import DemandReader, PinGraph
from lockctl.ops.reconcile_rows import Asker, Clash, Demand, Move, ReconcileRow
from lockctl.resolver import Resolution, ResolvedPin

__all__ = ["classify_rows", "plan_moves", "written_via"]

_INPUT_KINDS = ("input", "constraint", "override")
_Finding = TypeVar("_Finding", ReconcileRow, Move)


def classify_rows(
    *,
    locked: LockedFile,
    reader: DemandReader,
    resolution: Resolution | None,
    pip: PipOutcome,
    relative_to: Path,
) -> tuple[ReconcileRow, ...]:
    """One row per package of any of the three views, sorted by name."""
    pins = {pin.name: pin for pin in locked.pins}
    resolved = {pin.name: pin for pin in resolution.pins} if resolution is not None else {}
    pip_versions = pip.versions()
    installed = {**pip_versions, **{n: p.version for n, p in resolved.items()}}
    installed.update(locked.versions())
    as_installed = PinGraph.build(installed, reader)
    ideal = _graph_of(resolution, reader) if resolution is not None else None
    lock_only = PinGraph.build(locked.versions(), reader) if resolution is None else None
    direct = {pin.name: pin for pin in locked.direct}
    names = {*pins, *direct, *resolved, *pip_versions}
    if lock_only is not None:  # no resolution to say what the lock lacks: its own graph does
        names |= {name for name in lock_only.reachable if lock_only.on(name)}
    kept = _locked_versions(locked)
    rows = []
    for name in sorted(names):
        by_url = direct.get(name)
        if by_url is not None:
            row = _by_url(by_url, pip_versions, resolved, resolution is not None)
            rows.append(_with_kept(row, kept))
            continue
        pin = pins.get(name)
        row = ReconcileRow(
            name=name,
            kind="ok",
            lock=None if pin is None else pin.version,
            pip=pip_versions.get(name),
            lockctl=resolved[name].version if name in resolved else None,
            line=None if pin is None else pin.source.line,
        )
        if pin is None:
            row = _missing(row, as_installed, pip)
        else:
            row = _pinned(row, pin, as_installed, ideal, lock_only, reader, resolved, relative_to)
        rows.append(_with_kept(row, kept))
    return tuple(rows)


def _locked_versions(locked: LockedFile) -> dict[NormalizedName, Version]:
    """The lock's versions, a ``name @ URL`` pin's from its file name where it gives one."""
    versions = locked.versions()
    versions.update({p.name: p.version for p in locked.direct if p.version is not None})
    return versions


def _by_url(
    pin: LockedDirectPin,
    pip_versions: Mapping[NormalizedName, Version],
    resolved: Mapping[NormalizedName, ResolvedPin],
    resolves: bool,
) -> ReconcileRow:
    target = resolved.get(pin.name)
    row = ReconcileRow(
        name=pin.name,
        kind="ok",
        lock=pin.version,
        pip=pip_versions.get(pin.name),
        lockctl=target.version if target is not None else None,
        line=pin.source.line,
    )
    if not resolves:  # the conflict is the report; the URL is not judged without it
        return row
    if target is None:
        return replace(row, kind="orphaned", via=written_via(pin))
    if written_url(target.release) != pin.url:
        return replace(row, kind="hand-edited")
    return row


def _graph_of(resolution: Resolution, reader: DemandReader) -> PinGraph:
    versions = {pin.name: pin.version for pin in resolution.pins}
    extras = {pin.name: frozenset(pin.extras) for pin in resolution.pins}
    return PinGraph.build(versions, reader, extras=extras)


def _missing(row: ReconcileRow, graph: PinGraph, pip: PipOutcome) -> ReconcileRow:
    demands = tuple(
        demand
        for demand in graph.on(row.name)
        if demand.asker.kind != "constraint" and demand.asker.name != row.name
    )
    return replace(row, kind="missing", demands=demands or _asked_in_pip(row.name, pip))


def _asked_in_pip(name: NormalizedName, pip: PipOutcome) -> tuple[Demand, ...]:
    """Who asked for ``name`` in pip's report (when lockctl's own graph does not say)."""
    found = []
    environment = {**pip.environment, "extra": ""}
    for package in pip.packages:
        for requirement in package.requires_dist:
            if canonicalize_name(requirement.name) != name:
                continue
            try:
                holds = requirement.marker is None or requirement.marker.evaluate(environment)
            except (InvalidMarker, UndefinedComparison, UndefinedEnvironmentName):
                holds = True
            if holds:
                asker = Asker(kind="pin", name=package.name, version=package.version)
                found.append(Demand(project=name, requirement=requirement, asker=asker))
    return tuple(found)


def _pinned(
    row: ReconcileRow,
    pin: LockedPin,
    installed: PinGraph,
    ideal: PinGraph | None,
    lock_only: PinGraph | None,
    reader: DemandReader,
    resolved: Mapping[NormalizedName, ResolvedPin],
    relative_to: Path,
) -> ReconcileRow:
    version = pin.version
    violated = tuple(
        Clash(demand=demand, version=version)
        for demand in installed.required_by_pins(pin.name)
        if demand.asker.kind == "pin" and not demand.allows(version)
    )
    if violated:
        return replace(row, kind="inconsistent", clashes=violated)
    needed = resolved if lock_only is None else lock_only.reachable
    if pin.name not in needed:
        return replace(row, kind="orphaned", via=written_via(pin))
    excluded = tuple(
        Clash(demand=demand, version=version)
        for demand in installed.on(pin.name)
        if demand.asker.kind in _INPUT_KINDS and not demand.allows(version)
    )
    if ideal is not None and row.lockctl != version:
        own = own_clashes(reader, pin.name, version, ideal.versions)
        return replace(
            row,
            kind="hand-edited",
            clashes=excluded + own,
            unavailable=reader.unavailable(pin.name, version),
        )
    if ideal is None and excluded:
        return replace(row, kind="hand-edited", clashes=excluded)
    target = resolved.get(pin.name)
    if target is not None and not _via_matches(pin, target, relative_to):
        expected = tuple(sorted(via_sources(target, relative_to)))
        return replace(row, kind="stale-annotation", via=written_via(pin), expected_via=expected)
    return row


def own_clashes(
    reader: DemandReader,
    name: NormalizedName,
    version: Version,
    versions: Mapping[NormalizedName, Version],
) -> tuple[Clash, ...]:
    """The release's own requirements that exclude the version ``versions`` pins."""
    return tuple(
        Clash(demand=demand, version=versions[demand.project])
        for demand in reader.of_pin(name, version)
        if demand.project in versions and not demand.allows(versions[demand.project])
    )


def written_via(pin: LockedPin | LockedDirectPin) -> tuple[str, ...]:
    """The lock's ``# via`` sources as written, sorted as pip-tools sorts them."""
    roots = [f"{'-c' if root.kind == 'constraint' else '-r'} {root.path}" for root in pin.roots]
    return tuple(sorted([*pin.parents, *roots]))


def _via_matches(pin: LockedPin, target: ResolvedPin, relative_to: Path) -> bool:
    """The lock's ``# via`` names the same parents and input files as the resolution.

    A file is matched by what it is, not how it is spelled: pip-tools writes it relative to
    the directory it ran in, which need not be this one (or the lock's).
    """
    if set(pin.parents) != set(target.parents):
        return False
    expected = {
        (root.kind, root.origin.line.path.resolve())
        for root in target.roots
        if root.kind != "override" and root.origin.line is not None
    }
    bases = (relative_to, pin.source.path.parent)
    written = set()
    for root in pin.roots:
        spellings = {(base / root.path).resolve() for base in bases}
        match = next((e for e in expected if e[0] == root.kind and e[1] in spellings), None)
        if match is None:
            return False
        written.add(match)
    return written == expected


def plan_moves(
    *, locked: LockedFile, reader: DemandReader, resolution: Resolution
) -> tuple[Move, ...]:
    """Every pin the honest lock adds, removes or moves, with why, sorted by name."""
    pins: dict[NormalizedName, LockedPin | LockedDirectPin] = {p.name: p for p in locked.pins}
    pins.update({pin.name: pin for pin in locked.direct})
    graph = _graph_of(resolution, reader)
    old_versions = _locked_versions(locked)
    resolved = {pin.name: pin for pin in resolution.pins}
    moves = []
    for name in sorted({*pins, *graph.versions}):
        old, new = old_versions.get(name), graph.versions.get(name)
        if _same_url(pins.get(name), resolved.get(name)):
            continue  # a name @ URL pin the inputs still name
        if old == new:
            continue
        if old is None:
            demands = tuple(
                d for d in graph.on(name) if d.asker.kind != "constraint" and d.asker.name != name
            )
            move = Move(kind="added", name=name, new=new, demands=demands)
        elif new is None:
            move = Move(kind="removed", name=name, old=old, via=written_via(pins[name]))
        else:
            clashes = tuple(
                Clash(demand=demand, version=old)
                for demand in graph.on(name)
                if demand.asker.name != name and not demand.allows(old)
            )
            move = Move(
                kind="moved",
                name=name,
                old=old,
                new=new,
                clashes=clashes + own_clashes(reader, name, old, graph.versions),
                unavailable=reader.unavailable(name, old),
            )
        moves.append(_with_kept(move, old_versions))
    return tuple(moves)


def _same_url(pin: LockedPin | LockedDirectPin | None, target: ResolvedPin | None) -> bool:
    if not isinstance(pin, LockedDirectPin) or target is None:
        return False
    return written_url(target.release) == pin.url


def _kept(demands: Iterable[Demand], lock: Mapping[NormalizedName, Version]) -> list[Demand]:
    marked = []
    for demand in demands:
        asker = demand.asker
        if asker.name is not None and asker.version is not None:
            asker = replace(asker, kept=lock.get(asker.name) == asker.version)
        marked.append(replace(demand, asker=asker))
    return marked


def _with_kept(value: _Finding, lock: Mapping[NormalizedName, Version]) -> _Finding:
    """The value with every pin that asks marked ``kept`` when the lock has its version."""
    clashes = tuple(
        replace(clash, demand=_kept([clash.demand], lock)[0]) for clash in value.clashes
    )
    return replace(value, demands=tuple(_kept(value.demands, lock)), clashes=clashes)
