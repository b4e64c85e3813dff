"""Who requires what in a set of pins: the requirements of pinned releases, read for a target.

``DemandReader`` answers from the same ``PackageSource`` the resolver used (so the metadata is
already in memory or the cache) and applies the same rules: markers evaluated for the target
(with the extras a pin was asked for), overrides replacing every requirement on their project
(``lockctl.resolver.inputs.RootInputs``). ``PinGraph`` is one set of pins (the lock as
written, or a resolution) with every ``Demand`` on each project, extras propagated from the
inputs down.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.index import ProjectNotFound
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.reconcile_rows import Asker, AskerKind, Demand
from lockctl.resolver import Release, RootRequirement
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import release_at

__all__ = ["DemandReader", "PinGraph"]


class DemandReader:
    """The requirements of the inputs and of pinned releases, as ``Demand`` values."""

    def __init__(self, source: IndexPackageSource, roots: Iterable[RootRequirement]) -> None:
        self._source = source
        self._inputs = RootInputs(tuple(roots), source.target)
        self._demands: dict[tuple[NormalizedName, Version, frozenset[str]], tuple[Demand, ...]] = {}

    def release(self, name: NormalizedName, version: Version) -> Release | None:
        found = self._source.releases(name)
        if isinstance(found, ProjectNotFound):
            return None
        return release_at(found, version)

    def unavailable(self, name: NormalizedName, version: Version) -> str | None:
        """Why the release cannot be installed on the target, or None when it can."""
        found = self._source.releases(name)
        if isinstance(found, ProjectNotFound):
            return "no index has this project"
        release = release_at(found, version)
        if release is None:
            return f"{version} is not on the index"
        if release.rejected is not None:
            return release.rejected
        if release.yanked is not None:
            return f"{version} is yanked" + (f" ({release.yanked})" if release.yanked else "")
        return None

    def of_inputs(self) -> tuple[Demand, ...]:
        """What the input files ask for (requirements and -c constraints), overrides applied."""
        demands = []
        for root in (*self._inputs.requirements, *self._inputs.constraint_lines):
            kind: AskerKind = "input" if root.kind == "requirement" else "constraint"
            asker = Asker(kind=kind, where=root.origin.line)
            demands.append(self._demand(root.requirement, asker))
        return tuple(demands)

    def of_pin(
        self, name: NormalizedName, version: Version, extras: Iterable[str] = ()
    ) -> tuple[Demand, ...]:
        """What the release ``name`` ``version`` requires on the target (none if unknown)."""
        wanted = frozenset(extras)
        key = (name, version, wanted)
        known = self._demands.get(key)
        if known is None:
            known = self._demands[key] = tuple(self._read(name, version, wanted))
        return known

    def _read(self, name: NormalizedName, version: Version, extras: frozenset[str]) -> list[Demand]:
        release = self.release(name, version)
        if release is None or not release.all_files:
            return []
        metadata = self._source.metadata(release)
        asker = Asker(kind="pin", name=name, version=version)
        demands = []
        for requirement in metadata.requires_dist:
            if canonicalize_name(requirement.name) == name or requirement.url:
                continue
            if self._inputs.holds(requirement) or any(
                self._inputs.holds(requirement, extra) for extra in sorted(extras)
            ):
                demands.append(self._demand(requirement, asker))
        return demands

    def _demand(self, requirement: Requirement, asker: Asker) -> Demand:
        dependency = self._inputs.dependency(requirement, root=None)
        if dependency.overrides:
            first = dependency.overrides[0]
            asker = Asker(
                kind="override", name=asker.name, version=asker.version, where=first.origin.line
            )
        return Demand(project=dependency.name, requirement=dependency.requirement, asker=asker)


@dataclass(frozen=True, slots=True, kw_only=True)
class PinGraph:
    """A set of pins and every demand on each project: what the inputs and the pins ask."""

    versions: Mapping[NormalizedName, Version]
    demands: Mapping[NormalizedName, tuple[Demand, ...]]  # by the project asked for
    reachable: frozenset[NormalizedName]  # from the inputs, through the pins' requirements

    @classmethod
    def build(
        cls,
        versions: Mapping[NormalizedName, Version],
        reader: DemandReader,
        extras: Mapping[NormalizedName, frozenset[str]] | None = None,
    ) -> PinGraph:
        """Every demand of the inputs and of each pin, with the extras each pin is asked for.

        Without ``extras`` (a lock written with ``--strip-extras`` forgets them) they are
        gathered from the demands themselves until nothing changes.
        """
        inputs = reader.of_inputs()
        wanted: dict[NormalizedName, set[str]] = {name: set() for name in versions}
        if extras is not None:
            for name, chosen in extras.items():
                wanted.setdefault(name, set()).update(chosen)
        while True:
            by_pin = {
                name: reader.of_pin(name, version, wanted.get(name, ()))
                for name, version in versions.items()
            }
            grown = False
            for demand in (*inputs, *(d for each in by_pin.values() for d in each)):
                new = {canonicalize_name(e) for e in demand.requirement.extras}
                if extras is None and not new <= wanted.setdefault(demand.project, set()):
                    wanted[demand.project] |= new
                    grown = True
            if not grown:
                break
        demands: dict[NormalizedName, list[Demand]] = {}
        for demand in (*inputs, *(d for each in by_pin.values() for d in each)):
            demands.setdefault(demand.project, []).append(demand)
        return cls(
            versions=versions,
            demands={name: tuple(found) for name, found in demands.items()},
            reachable=_reachable(inputs, by_pin),
        )

    def on(self, name: NormalizedName) -> tuple[Demand, ...]:
        return self.demands.get(name, ())

    def required_by_pins(self, name: NormalizedName) -> tuple[Demand, ...]:
        """The demands on ``name`` made by pinned releases (its requirers), itself excluded."""
        return tuple(
            demand
            for demand in self.on(name)
            if demand.asker.name is not None and demand.asker.name != name
        )


def _reachable(
    inputs: Iterable[Demand], by_pin: Mapping[NormalizedName, tuple[Demand, ...]]
) -> frozenset[NormalizedName]:
    """Projects the inputs lead to through the pins (a -c constraint alone leads nowhere)."""
    seen: set[NormalizedName] = set()
    todo = [d.project for d in inputs if d.asker.kind != "constraint"]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += [demand.project for demand in by_pin.get(name, ())]
    return frozenset(seen)
