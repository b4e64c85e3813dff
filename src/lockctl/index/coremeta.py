"""Core metadata (METADATA / PKG-INFO) reduced to what resolution needs.

Only the fields resolution reads are kept: name, version, Requires-Dist, Requires-Python,
Provides-Extra and Dynamic (PEP 643). Fields that do not parse are collected as problems
instead of sinking the whole release; a file without a usable Name or Version is refused. The
header lines are read by ``metaheaders.read_fields``, an optimisation that stands in for the
``email`` package (see there).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.index.metaheaders import read_fields

__all__ = ["CoreMetadata", "MetadataParseError", "parse_core_metadata"]


class MetadataParseError(ValueError):
    """The file has no usable Name or Version."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CoreMetadata:
    name: NormalizedName
    version: Version
    metadata_version: str
    requires_dist: tuple[Requirement, ...]
    requires_python: SpecifierSet | None
    provides_extra: tuple[NormalizedName, ...]
    dynamic: tuple[str, ...]  # PEP 643, lower-case field names
    problems: tuple[str, ...]  # entries that were skipped because they did not parse

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": str(self.version),
            "metadata_version": self.metadata_version,
            "requires_dist": [str(r) for r in self.requires_dist],
            "requires_python": None if self.requires_python is None else str(self.requires_python),
            "provides_extra": list(self.provides_extra),
            "dynamic": list(self.dynamic),
            "problems": list(self.problems),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CoreMetadata:
        python = data.get("requires_python")
        return cls(
            name=canonicalize_name(str(data["name"])),
            version=Version(str(data["version"])),
            metadata_version=str(data["metadata_version"]),
            requires_dist=tuple(_requirement(r) for r in data["requires_dist"]),
            requires_python=None if python is None else SpecifierSet(python),
            provides_extra=tuple(canonicalize_name(e) for e in data["provides_extra"]),
            dynamic=tuple(str(d) for d in data["dynamic"]),
            problems=tuple(str(p) for p in data["problems"]),
        )


def parse_core_metadata(data: bytes) -> CoreMetadata:
    raw, unparsed = read_fields(data)
    problems = [f"{field}: could not be read" for field in unparsed]
    name, version = _single(raw, "name"), _single(raw, "version")
    if not name or not version:
        raise MetadataParseError("metadata has no Name or no Version")
    try:
        parsed_version = Version(version)
    except InvalidVersion:
        raise MetadataParseError(f"invalid Version {version!r}") from None
    requirements: list[Requirement] = []
    for line in raw.get("requires-dist", []):
        try:
            requirements.append(_requirement(line))
        except InvalidRequirement:
            problems.append(f"Requires-Dist: {line!r} is not a valid requirement")
    python: SpecifierSet | None = None
    requires_python = _single(raw, "requires-python")
    if requires_python:
        try:
            python = SpecifierSet(requires_python)
        except InvalidSpecifier:
            problems.append(f"Requires-Python: {requires_python!r} is not valid")
    return CoreMetadata(
        name=canonicalize_name(name),
        version=parsed_version,
        metadata_version=_single(raw, "metadata-version") or "1.0",
        requires_dist=tuple(requirements),
        requires_python=python,
        provides_extra=tuple(canonicalize_name(e) for e in raw.get("provides-extra", [])),
        dynamic=tuple(d.lower() for d in raw.get("dynamic", [])),
        problems=tuple(problems),
    )


@functools.lru_cache(maxsize=16384)
def _requirement(text: str) -> Requirement:
    """One parse per distinct text: the releases of a project repeat the same requirements
    (a walk down fastapi's 100 releases reads ``pydantic>=...`` a hundred times), and
    packaging's parser was the largest single cost of reading metadata (benchmarks/compile.py,
    the ml stack). The objects are shared, so nothing may change them: callers that need a
    variant build a new one from ``str()``."""
    return Requirement(text)


def _single(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None
