"""``lockctl metadata``: the newest release matching each requirement, and its metadata.

This is not resolution (that is ``lockctl compile``): each requirement is looked at alone,
which is what a person wants when asking "what does mlflow 3.4.0 depend on?". The release is
chosen by the resolver's own rules (target files, requires-python, yanked, pre-releases).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.index import CoreMetadata, DistributionFile, IndexClient, ProjectNotFound
from lockctl.ops.package_source import IndexPackageSource, metadata_file
from lockctl.reqfile import SourceLine
from lockctl.resolver import Release, TargetEnvironment
from lockctl.resolver.models import versions_of
from lockctl.resolver.selection import iter_admissible

__all__ = ["LookupFailure", "ReleaseFound", "lookup_releases"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReleaseFound:
    requirement: Requirement
    origin: SourceLine | None
    version: Version
    file: DistributionFile
    metadata: CoreMetadata
    index: str  # redacted


@dataclass(frozen=True, slots=True, kw_only=True)
class LookupFailure:
    requirement: Requirement
    origin: SourceLine | None
    reason: str


def lookup_releases(
    requested: Sequence[tuple[Requirement, SourceLine | None]],
    client: IndexClient,
    *,
    target: TargetEnvironment,
) -> list[ReleaseFound | LookupFailure]:
    """One result per requirement, in order; metadata is fetched in parallel."""
    source = IndexPackageSource(client, target)
    source.prefetch_projects(requirement.name for requirement, _ in requested)
    python = Version(target.python_full_version)
    picked: list[Release | LookupFailure] = []
    for requirement, origin in requested:
        releases = source.releases(canonicalize_name(requirement.name))
        if isinstance(releases, ProjectNotFound):
            picked.append(
                LookupFailure(requirement=requirement, origin=origin, reason=str(releases))
            )
            continue
        newest = next(
            iter_admissible(releases, requirement.specifier, python=python, pre=False), None
        )
        if newest is None:
            reason = _why_none(requirement, versions_of(releases), target)
            picked.append(LookupFailure(requirement=requirement, origin=origin, reason=reason))
        else:
            picked.append(newest)
    source.prefetch(p for p in picked if not isinstance(p, LookupFailure))
    results: list[ReleaseFound | LookupFailure] = []
    for (requirement, origin), pick in zip(requested, picked, strict=True):
        if isinstance(pick, LookupFailure):
            results.append(pick)
            continue
        page = client.project(requirement.name)  # already loaded: for the index it came from
        results.append(
            ReleaseFound(
                requirement=requirement,
                origin=origin,
                version=pick.version,
                file=metadata_file(pick),
                metadata=source.metadata(pick),  # a hash mismatch or broken index is fatal
                index=page.source if not isinstance(page, ProjectNotFound) else "",
            )
        )
    return results


def _why_none(
    requirement: Requirement, versions: Sequence[Version], target: TargetEnvironment
) -> str:
    if not any(requirement.specifier.contains(v, prereleases=True) for v in versions):
        shown = ", ".join(str(v) for v in sorted(versions)[-5:]) or "none"
        return f"no release matches {requirement.specifier} (newest: {shown})"
    return f"no release matching {requirement.specifier} has a file for {target.describe()}"
