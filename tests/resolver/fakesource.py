"""A PackageSource from a JSON-able dict, filtering files for the target as the real one does.

``{"project": {"1.0": {"requires_dist": [...], "requires_python": ">=3.8", "yanked": false,
"wheel_tags": ["py3-none-any"] or "sdist"}}}``; every key of a release is optional (no
requirements, any Python, not yanked, one ``py3-none-any`` wheel). ``metadata_requires_python``
sets Requires-Python in the metadata only, as a release whose index page omits it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import parse_tag
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.index.coremeta import CoreMetadata
from lockctl.index.models import DistributionFile, ProjectNotFound
from lockctl.resolver import Release, TargetEnvironment
from lockctl.urls import SecretURL

__all__ = ["SEARCHED", "FakeSource"]

SEARCHED = ("http://127.0.0.1/simple/",)
IndexData = Mapping[str, Mapping[str, Mapping[str, Any]]]


class FakeSource:
    def __init__(self, index: IndexData, target: TargetEnvironment) -> None:
        self._index = {canonicalize_name(name): releases for name, releases in index.items()}
        self._tags = {tag: rank for rank, tag in enumerate(target.tags())}
        self._python = Version(target.python_full_version)
        self.release_calls: list[NormalizedName] = []
        self.metadata_calls: list[tuple[NormalizedName, Version]] = []
        self.prefetched: list[tuple[NormalizedName, Version]] = []

    def releases(self, name: NormalizedName) -> Sequence[Release] | ProjectNotFound:
        self.release_calls.append(name)
        data = self._index.get(name)
        if data is None:
            return ProjectNotFound(name=name, searched=SEARCHED)
        built = [self._release(name, Version(v), spec) for v, spec in data.items()]
        return sorted(built, key=lambda release: release.version, reverse=True)

    def metadata(self, release: Release) -> CoreMetadata:
        self.metadata_calls.append((release.name, release.version))
        spec = self._spec(release)
        python = spec.get("metadata_requires_python", spec.get("requires_python"))
        requires = tuple(Requirement(text) for text in spec.get("requires_dist", ()))
        extras = sorted({e for r in requires if r.marker for e in _extras_named(str(r.marker))})
        return CoreMetadata(
            name=release.name,
            version=release.version,
            metadata_version="2.3",
            requires_dist=requires,
            requires_python=None if python is None else SpecifierSet(python),
            provides_extra=tuple(canonicalize_name(e) for e in extras),
            dynamic=(),
            problems=(),
        )

    def prefetch(self, releases: Iterable[Release]) -> None:
        self.prefetched.extend((release.name, release.version) for release in releases)

    def direct(self, requirement: Requirement) -> Release:
        """A direct reference names the release ``{"url": URL}`` in the index data."""
        name = canonicalize_name(requirement.name)
        for text, spec in self._index.get(name, {}).items():
            if spec.get("url") == requirement.url:
                release = self._release(name, Version(text), spec)
                return replace(release, direct_reference=f"{name} @ {requirement.url}")
        raise KeyError(requirement.url)

    def _spec(self, release: Release) -> Mapping[str, Any]:
        for text, spec in self._index[release.name].items():
            if Version(text) == release.version:
                return spec
        raise KeyError(release.version)

    def _release(self, name: NormalizedName, version: Version, spec: Mapping[str, Any]) -> Release:
        tags = spec.get("wheel_tags", ["py3-none-any"])
        names = [f"{name}-{version}.tar.gz"] if tags == "sdist" else []
        if tags != "sdist":
            names = [f"{name.replace('-', '_')}-{version}-{tag}.whl" for tag in tags]
        yanked = spec.get("yanked", False)
        yanked_reason = None if yanked is False else ("" if yanked is True else str(yanked))
        all_files = tuple(
            DistributionFile(
                filename=filename,
                url=SecretURL(f"http://127.0.0.1/files/{filename}"),
                requires_python=spec.get("requires_python"),
                yanked=yanked_reason,
            )
            for filename in names
        )
        files = tuple(sorted((f for f in all_files if self._rank(f) is not None), key=self._key))
        python = spec.get("requires_python")
        requires_python = None if python is None else SpecifierSet(python)
        rejected = None
        if requires_python is not None and not requires_python.contains(self._python, True):
            rejected = f"requires Python {requires_python}"
        elif not files:
            rejected = "no file for the target"
        return Release(
            name=name,
            version=version,
            files=files,
            all_files=all_files,
            yanked=yanked_reason,
            requires_python=requires_python,
            rejected=rejected,
        )

    def _rank(self, file: DistributionFile) -> int | None:
        if not file.is_wheel:
            return len(self._tags)  # an sdist installs anywhere, after every wheel
        tags = parse_tag("-".join(file.filename[:-4].split("-")[-3:]))
        ranks = [self._tags[tag] for tag in tags if tag in self._tags]
        return min(ranks) if ranks else None

    def _key(self, file: DistributionFile) -> int:
        rank = self._rank(file)
        return len(self._tags) + 1 if rank is None else rank


def _extras_named(marker: str) -> list[str]:
    parts = marker.replace("'", '"').split('"')
    return [parts[i + 1] for i, part in enumerate(parts[:-1]) if part.rstrip().endswith("extra ==")]
