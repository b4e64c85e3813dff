"""Core metadata (METADATA / PKG-INFO) reduced to what resolution needs.

Parsed with ``packaging.metadata.parse_email``, which never raises on odd but readable files;
fields that do not parse are collected as problems instead of sinking the whole release.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

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
            requires_dist=tuple(Requirement(r) for r in data["requires_dist"]),
            requires_python=None if python is None else SpecifierSet(python),
            provides_extra=tuple(canonicalize_name(e) for e in data["provides_extra"]),
            dynamic=tuple(str(d) for d in data["dynamic"]),
            problems=tuple(str(p) for p in data["problems"]),
        )


def parse_core_metadata(data: bytes) -> CoreMetadata:
    # Imported here: a run served from the cache never parses an email-format file.
    from packaging.metadata import parse_email

    raw, unparsed = parse_email(data)
    problems = [f"{field}: could not be read" for field in unparsed]
    name, version = raw.get("name"), raw.get("version")
    if not name or not version:
        raise MetadataParseError("metadata has no Name or no Version")
    try:
        parsed_version = Version(version)
    except InvalidVersion:
        raise MetadataParseError(f"invalid Version {version!r}") from None
    requirements: list[Requirement] = []
    for line in raw.get("requires_dist", []):
        try:
            requirements.append(Requirement(line))
        except InvalidRequirement:
            problems.append(f"Requires-Dist: {line!r} is not a valid requirement")
    python: SpecifierSet | None = None
    if raw.get("requires_python"):
        try:
            python = SpecifierSet(raw["requires_python"])
        except InvalidSpecifier:
            problems.append(f"Requires-Python: {raw['requires_python']!r} is not valid")
    return CoreMetadata(
        name=canonicalize_name(name),
        version=parsed_version,
        metadata_version=raw.get("metadata_version", "1.0"),
        requires_dist=tuple(requirements),
        requires_python=python,
        provides_extra=tuple(canonicalize_name(e) for e in raw.get("provides_extra", [])),
        dynamic=tuple(d.lower() for d in raw.get("dynamic", [])),
        problems=tuple(problems),
    )
