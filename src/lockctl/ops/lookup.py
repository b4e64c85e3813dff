"""``lockctl metadata``: the newest release matching each requirement, and its metadata.

This is not resolution (that is ``lockctl compile``): each requirement is looked at alone,
which is what a person wants when asking "what does mlflow 3.4.0 depend on?".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.tags import Tag, sys_tags
from packaging.version import Version

from lockctl.index import CoreMetadata, DistributionFile, IndexClient, ProjectNotFound, ProjectPage
from lockctl.reqfile import SourceLine

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
    python_version: Version,
    tags: Sequence[Tag] | None = None,
) -> list[ReleaseFound | LookupFailure]:
    """One result per requirement, in order; metadata is fetched in parallel."""
    supported = list(tags if tags is not None else sys_tags())
    client.prefetch_projects(r.name for r, _ in requested)
    chosen: list[
        tuple[Requirement, SourceLine | None, Version, DistributionFile, str] | LookupFailure
    ] = []
    for requirement, origin in requested:
        page = client.project(requirement.name)
        if isinstance(page, ProjectNotFound):
            chosen.append(LookupFailure(requirement=requirement, origin=origin, reason=str(page)))
            continue
        pick = _newest(requirement, page, python_version, supported)
        if isinstance(pick, str):
            chosen.append(LookupFailure(requirement=requirement, origin=origin, reason=pick))
        else:
            chosen.append((requirement, origin, pick[0], pick[1], page.source))
    client.prefetch_metadata(c[3] for c in chosen if not isinstance(c, LookupFailure))
    return [_with_metadata(c, client) for c in chosen]


def _with_metadata(
    choice: tuple[Requirement, SourceLine | None, Version, DistributionFile, str] | LookupFailure,
    client: IndexClient,
) -> ReleaseFound | LookupFailure:
    if isinstance(choice, LookupFailure):
        return choice
    requirement, origin, version, dist, index = choice
    metadata = client.metadata(dist)  # a hash mismatch or a broken index is fatal, not a miss
    return ReleaseFound(
        requirement=requirement,
        origin=origin,
        version=version,
        file=dist,
        metadata=metadata,
        index=index,
    )


def _newest(
    requirement: Requirement,
    page: ProjectPage,
    python_version: Version,
    tags: Sequence[Tag],
) -> tuple[Version, DistributionFile] | str:
    """The newest allowed version with an installable file, or why there is none."""
    versions = page.versions()
    allowed = list(requirement.specifier.filter(versions))
    if not allowed:
        shown = ", ".join(str(v) for v in versions[-5:]) or "none"
        return f"no release matches {requirement.specifier} (newest: {shown})"
    for version in sorted(allowed, reverse=True):
        # PEP 592: a yanked file is only chosen by an exact pin.
        exact = any(s.operator in ("==", "===") for s in requirement.specifier)
        files = [f for f in page.files_for(version) if exact or not f.is_yanked]
        files = [f for f in files if _python_ok(f, python_version)]
        best = _best_file(files, tags)
        if best is not None:
            return version, best
    return f"no release matching {requirement.specifier} has a file for this Python and platform"


def _python_ok(dist: DistributionFile, python_version: Version) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    if not dist.requires_python:
        return True
    try:
        return SpecifierSet(dist.requires_python).contains(python_version, prereleases=True)
    except InvalidSpecifier:
        return True  # pip ignores an invalid data-requires-python too


def _best_file(files: Iterable[DistributionFile], tags: Sequence[Tag]) -> DistributionFile | None:
    """The wheel whose tag ranks best for the target; an sdist only when no wheel fits."""
    rank = {tag: position for position, tag in enumerate(tags)}
    best: tuple[int, DistributionFile] | None = None
    sdist: DistributionFile | None = None
    for dist in files:
        parsed = dist.parsed
        if parsed is None:
            continue
        if not parsed.is_wheel:
            sdist = sdist or dist
            continue
        score = min((rank[t] for t in parsed.tags if t in rank), default=None)
        if score is not None and (best is None or score < best[0]):
            best = (score, dist)
    return best[1] if best is not None else sdist
