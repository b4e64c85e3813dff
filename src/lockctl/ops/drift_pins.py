"""What the index says now about each pin of a lock: newer releases (allowed, or blocked and
by what), yanked and gone releases, and the advisories that name the pinned version.

A newer release counts when the target can use it: not yanked, a file for the target (wheel
tags, requires-python), not a pre-release unless the lock allows them, and not younger than
the ``--exclude-newer`` cut-off. It is allowed when every requirement on the project allows
it: the lock's input lines and ``-c`` constraints, and the requirements of the pinned
parents (their metadata, from the cache as ``ops.consistency`` reads it); an override
replaces all of those, as it does in compile. A requirement that excludes it is a blocker,
named with its file and line, or with the parent that asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.errors import IndexFailure
from lockctl.index import ProjectNotFound
from lockctl.lockfiles import LockedFile, LockedPin
from lockctl.ops.advisories import Advisory, AdvisoryDatabase
from lockctl.ops.commands import DriftKind
from lockctl.ops.cooldown import uploaded_after
from lockctl.ops.drift_findings import Blocker, DriftFinding, UnknownPin
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.snapshots import effective_requirements
from lockctl.resolver import Release, RootRequirement
from lockctl.resolver.models import release_at

__all__ = ["PinReport", "inspect_pins"]

_Demand = tuple[SpecifierSet, Blocker]


@dataclass(frozen=True, slots=True, kw_only=True)
class PinReport:
    findings: tuple[DriftFinding, ...]
    unknown: tuple[UnknownPin, ...]
    not_filtered: tuple[NormalizedName, ...]  # no upload times: --exclude-newer not applied


@dataclass(frozen=True, slots=True, kw_only=True)
class _Observed:
    """A pin's release as the index lists it now, and the newer releases the target can use."""

    pin: LockedPin
    findings: tuple[DriftFinding, ...]
    newer: tuple[Release, ...] = ()  # newest first


def inspect_pins(
    locked: LockedFile,
    roots: Sequence[RootRequirement],
    source: IndexPackageSource,
    *,
    pre: bool,
    advisories: AdvisoryDatabase,
    cutoff: datetime | None,
    relative_to: Path,
) -> PinReport:
    """Every pin of ``locked`` against the index and the advisories; ``roots`` are the lock's
    inputs and overrides as compile reads them. Files are named relative to ``relative_to``
    when they are inside it."""
    return _Inspector(
        locked,
        roots,
        source,
        pre=pre,
        advisories=advisories,
        cutoff=cutoff,
        relative_to=relative_to,
    ).run()


class _Inspector:
    def __init__(
        self,
        locked: LockedFile,
        roots: Sequence[RootRequirement],
        source: IndexPackageSource,
        *,
        pre: bool,
        advisories: AdvisoryDatabase,
        cutoff: datetime | None,
        relative_to: Path,
    ) -> None:
        self.locked = locked
        self.source = source
        self.pre = pre
        self.advisories = advisories
        self.cutoff = cutoff
        self.markers = {**source.target.markers(), "extra": ""}
        applying = [root for root in roots if _applies(root.requirement, self.markers)]
        self.overrides = {root.name: root for root in applying if root.kind == "override"}
        self.roots: dict[NormalizedName, list[RootRequirement]] = {}
        for root in applying:
            if root.kind != "override":
                self.roots.setdefault(root.name, []).append(root)
        self.annotated = any(pin.parents or pin.roots for pin in locked.pins)
        # An override given on the command line is known from the lock's comment beside the
        # pin it changed: that line is where a reader finds it.
        self.noted = {
            canonicalize_name(note.requirement.name): pin
            for pin in locked.pins
            for note in pin.overrides
        }
        self.not_filtered: set[NormalizedName] = set()
        self.relative_to = relative_to
        self._requires: dict[NormalizedName, tuple[Requirement, ...]] = {}

    def run(self) -> PinReport:
        self.source.prefetch_projects(pin.name for pin in self.locked.pins)
        observed: list[_Observed] = []
        unknown: list[UnknownPin] = []
        for pin in self.locked.pins:
            try:
                observed.append(self._observe(pin))
            except IndexFailure as error:
                unknown.append(_unknown(pin, error))
        wanted = {p.name for seen in observed if seen.newer for p in self._parents_of(seen.pin)}
        self._prefetch_metadata(wanted)
        findings: list[DriftFinding] = []
        for seen in observed:
            try:
                findings += [*seen.findings, *self._newer_findings(seen)]
            except IndexFailure as error:  # a parent's metadata could not be read
                unknown.append(_unknown(seen.pin, error))
        return PinReport(
            findings=tuple(findings),
            unknown=tuple(unknown),
            not_filtered=tuple(sorted(self.not_filtered)),
        )

    # -- the pinned release --------------------------------------------------------------

    def _observe(self, pin: LockedPin) -> _Observed:
        releases = self.source.releases(pin.name)
        if isinstance(releases, ProjectNotFound):
            gone = _about(pin, "gone", reason="project-not-found")
            return _Observed(pin=pin, findings=(gone,))
        release = release_at(releases, pin.version)
        newer = self._usable_newer(pin, releases)
        if release is None or not release.all_files:
            gone = _about(pin, "gone", reason="version-not-listed")
            return _Observed(pin=pin, findings=(gone,), newer=newer)
        findings: list[DriftFinding] = []
        if release.yanked is not None:
            findings.append(_about(pin, "yanked", reason=release.yanked))
        if pin.hashes and not _any_hash_listed(pin.hashes, release):
            findings.append(_about(pin, "gone", reason="locked-files-not-listed"))
        elif not release.files:
            findings.append(
                _about(pin, "gone", reason="no-file-for-target", detail=release.rejected)
            )
        return _Observed(pin=pin, findings=tuple(findings), newer=newer)

    def _usable_newer(self, pin: LockedPin, releases: Sequence[Release]) -> tuple[Release, ...]:
        pre = self.pre or pin.version.is_prerelease
        found: list[Release] = []
        for release in releases:  # newest first
            if release.version <= pin.version:
                break
            if (release.version.is_prerelease and not pre) or release.yanked is not None:
                continue
            if not release.files:
                continue  # rejected for the target: requires-python, no file that fits
            if self.cutoff is not None:
                young = uploaded_after(release.all_files, self.cutoff)
                if young is None:
                    self.not_filtered.add(pin.name)
                elif young:
                    continue
            found.append(release)
        return tuple(found)

    # -- newer releases, and what blocks them ----------------------------------------------

    def _newer_findings(self, seen: _Observed) -> list[DriftFinding]:
        pin = seen.pin
        advisories = self.advisories.affecting(pin.name, pin.version)
        if not seen.newer and not advisories:
            return []
        demands = self._demands(pin) if seen.newer else []
        findings = [_vulnerable(pin, a, seen.newer, demands) for a in advisories]
        if not seen.newer:
            return findings
        latest = seen.newer[0]
        allowed = next((r for r in seen.newer if _allows(demands, r.version)), None)
        if allowed is not None:
            findings.append(_about(pin, "outdated", latest=str(allowed.version)))
        if allowed is not latest:
            blockers = _blocking(demands, latest.version)
            findings.append(_about(pin, "blocked", latest=str(latest.version), blocked_by=blockers))
        return findings

    def _demands(self, pin: LockedPin) -> list[_Demand]:
        """Every requirement on the pin's project, with where it was written."""
        override = self.overrides.get(pin.name)
        if override is not None:
            return [(override.requirement.specifier, self._blocker(override))]
        roots = self.roots.get(pin.name, [])
        demands = [(root.requirement.specifier, self._blocker(root)) for root in roots]
        for parent in self._parents_of(pin):
            for requirement in self._requirements_of(parent):
                if canonicalize_name(requirement.name) == pin.name:
                    asker = f"{parent.name}=={parent.version}"
                    blocker = Blocker(
                        requirement=str(requirement), kind="parent", required_by=asker
                    )
                    demands.append((requirement.specifier, blocker))
        return demands

    def _blocker(self, root: RootRequirement) -> Blocker:
        line = root.origin.line
        carrier = self.noted.get(root.name) if root.kind == "override" else None
        if line is not None:
            file, number = line.path, line.line
        elif carrier is not None:
            file, number = self.locked.path, carrier.source.line
        else:
            file, number = None, None
        if file is not None:
            file = _relative(file, self.relative_to)
        return Blocker(requirement=str(root.requirement), kind=root.kind, file=file, line=number)

    def _parents_of(self, pin: LockedPin) -> list[LockedPin]:
        """The pins that may require this one: its ``# via`` parents, else every other pin."""
        if self.annotated:
            return [p for name in pin.parents if (p := self.locked.get(name)) is not None]
        return [p for p in self.locked.pins if p.name != pin.name]

    def _requirements_of(self, parent: LockedPin) -> tuple[Requirement, ...]:
        known = self._requires.get(parent.name)
        if known is None:
            release = self._pinned_release(parent)
            found: tuple[Requirement, ...] = ()
            if release is not None:
                metadata = self.source.metadata(release)
                texts = effective_requirements(
                    metadata.requires_dist, parent.extras, self.source.target.markers()
                )
                found = tuple(Requirement(text) for text in texts)
            known = self._requires[parent.name] = found
        return known

    def _pinned_release(self, pin: LockedPin) -> Release | None:
        releases = self.source.releases(pin.name)
        if isinstance(releases, ProjectNotFound):
            return None
        release = release_at(releases, pin.version)
        return release if release is not None and release.all_files else None

    def _prefetch_metadata(self, names: Iterable[NormalizedName]) -> None:
        releases = []
        for name in names:
            pin = self.locked.get(name)
            try:
                release = self._pinned_release(pin) if pin is not None else None
            except IndexFailure:
                continue  # reported for the pin itself
            if release is not None:
                releases.append(release)
        self.source.prefetch(releases)


def _about(pin: LockedPin, kind: DriftKind, **facts: Any) -> DriftFinding:
    return DriftFinding(
        kind=kind, name=pin.name, version=str(pin.version), line=pin.source.line, **facts
    )


def _vulnerable(
    pin: LockedPin, advisory: Advisory, newer: Sequence[Release], demands: Sequence[_Demand]
) -> DriftFinding:
    """The advisory's finding: the first newer release it does not affect that is allowed."""
    unaffected = [r.version for r in reversed(newer) if not advisory.affects(r.version)]
    allowed = next((v for v in unaffected if _allows(demands, v)), None)
    blocked_by = _blocking(demands, unaffected[0]) if unaffected and allowed is None else ()
    return _about(
        pin,
        "vulnerable",
        advisory=advisory,
        fixed=tuple(str(v) for v in advisory.fixed_for(pin.version)),
        fixed_allowed=None if allowed is None else str(allowed),
        blocked_by=blocked_by,
    )


def _applies(requirement: Requirement, markers: Mapping[str, str]) -> bool:
    return requirement.marker is None or requirement.marker.evaluate(dict(markers))


def _allows(demands: Sequence[_Demand], version: Version) -> bool:
    return all(spec.contains(version, prereleases=True) for spec, _ in demands)


def _blocking(demands: Sequence[_Demand], version: Version) -> tuple[Blocker, ...]:
    return tuple(b for spec, b in demands if not spec.contains(version, prereleases=True))


def _any_hash_listed(hashes: Sequence[str], release: Release) -> bool:
    """Whether a ``--hash`` of the pin is a file the index lists; an algorithm the index does
    not give cannot be checked, and counts as listed."""
    listed = {f"{alg}:{digest}" for f in release.all_files for alg, digest in f.hashes.items()}
    offered = {alg for f in release.all_files for alg in f.hashes}
    for written in hashes:
        algorithm = written.partition(":")[0].lower()
        if algorithm not in offered or written.lower() in listed:
            return True
    return False


def _relative(path: Path, base: Path) -> Path:
    absolute = path if path.is_absolute() else base / path
    for each in (base, base.resolve()):
        if absolute.is_relative_to(each):
            return absolute.relative_to(each)
    return path


def _unknown(pin: LockedPin, error: IndexFailure) -> UnknownPin:
    return UnknownPin(
        name=pin.name,
        version=str(pin.version),
        line=pin.source.line,
        error=error.message,
        url=error.url,
    )
