"""The root inputs for one target: requirements, constraints and overrides, markers evaluated.

``RootInputs.dependency`` is the one place a requirement (root or from metadata) becomes a
``Dependency``, so an override replaces a requirement wherever it was written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.resolver.dependency import Dependency, identifier_for
from lockctl.resolver.direct import direct_roots
from lockctl.resolver.models import RootRequirement
from lockctl.target import TargetEnvironment

__all__ = ["ActiveOverride", "RootInputs"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ActiveOverride:
    """The overrides on one project whose markers hold for the target, merged into one."""

    requirement: Requirement
    sources: tuple[RootRequirement, ...]


class RootInputs:
    """Root requirements, constraints and overrides as they apply to one target."""

    def __init__(self, roots: Sequence[RootRequirement], target: TargetEnvironment) -> None:
        self._environment = target.markers()
        self._environments: dict[str, dict[str, str]] = {}
        self._verdicts: dict[tuple[int, str], tuple[Marker, bool]] = {}
        active = [root for root in roots if self.holds(root.requirement)]
        # name @ URL roots: the URL is the project's one candidate (resolver.direct).
        self.direct: Mapping[NormalizedName, RootRequirement] = direct_roots(active)
        self.requirements = tuple(root for root in active if root.kind == "requirement")
        self.constraint_lines = tuple(root for root in active if root.kind == "constraint")
        self.constraints: Mapping[NormalizedName, SpecifierSet] = _merged_specifiers(
            self.constraint_lines
        )
        self.overrides: Mapping[NormalizedName, ActiveOverride] = _merged_overrides(
            [root for root in active if root.kind == "override"]
        )

    def holds(self, requirement: Requirement, extra: str = "") -> bool:
        """Whether the requirement's marker is true for the target (``extra`` as requested)."""
        marker = requirement.marker
        if marker is None:
            return True
        # The same marker objects come back again and again (metadata's requirements are
        # parsed once per text), and packaging rebuilds its default environment on every
        # evaluate: the answer is kept beside the marker, which keeps its id from being reused.
        key = (id(marker), extra)
        known = self._verdicts.get(key)
        if known is not None:
            return known[1]
        environment = self._environments.get(extra)
        if environment is None:
            environment = self._environments[extra] = {**self._environment, "extra": extra}
        verdict = marker.evaluate(environment)
        self._verdicts[key] = (marker, verdict)
        return verdict

    def dependency(self, requirement: Requirement, *, root: RootRequirement | None) -> Dependency:
        """The requirement as the resolver sees it, replaced by an override on its project.

        As ``uv pip compile --override`` does, the override takes the place of the requirement
        (its specifier and extras), wherever the requirement was written.
        """
        name = canonicalize_name(requirement.name)
        override = self.overrides.get(name)
        shown = requirement if override is None else override.requirement
        extras = frozenset(canonicalize_name(extra) for extra in shown.extras)
        return Dependency(
            identifier=identifier_for(name, extras),
            name=name,
            extras=extras,
            specifier=shown.specifier,
            requirement=shown,
            root=root,
            overrides=() if override is None else override.sources,
            replaced=None if override is None else requirement,
        )


def _merged_specifiers(lines: Sequence[RootRequirement]) -> dict[NormalizedName, SpecifierSet]:
    merged: dict[NormalizedName, SpecifierSet] = {}
    for line in lines:
        merged[line.name] = merged.get(line.name, SpecifierSet()) & line.requirement.specifier
    return merged


def _merged_overrides(lines: Sequence[RootRequirement]) -> dict[NormalizedName, ActiveOverride]:
    """One override per project; several on a project merge, as uv accepts several."""
    grouped: dict[NormalizedName, list[RootRequirement]] = {}
    for line in lines:
        grouped.setdefault(line.name, []).append(line)
    merged: dict[NormalizedName, ActiveOverride] = {}
    for name, group in grouped.items():
        specifier = SpecifierSet()
        extras: set[str] = set()
        for line in group:
            specifier &= line.requirement.specifier
            extras.update(line.requirement.extras)
        extras_text = f"[{','.join(sorted(extras))}]" if extras else ""
        text = f"{group[0].requirement.name}{extras_text}{specifier}"
        merged[name] = ActiveOverride(requirement=Requirement(text), sources=tuple(group))
    return merged
