"""Core metadata (METADATA / PKG-INFO) reduced to what resolution needs.

The file is in email header format. Only the fields resolution reads are taken from it, the
way ``packaging.metadata.parse_email`` reads them (header lines up to the first blank or
non-header line, folded lines kept with their newline, a field that is not UTF-8 unreadable,
a single-use field given twice unreadable), without importing the ``email`` package: that
import alone cost about 90 ms of a cold compile, before the first metadata could be read.
Fields that do not parse are collected as problems instead of sinking the whole release.
"""

from __future__ import annotations

import re
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
    raw, unparsed = _read_fields(data)
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
            requirements.append(Requirement(line))
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


_SINGLE_USE = frozenset(["metadata-version", "name", "version", "requires-python"])
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # what the email package splits on, no more
_HEADER = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)", re.DOTALL)


def _read_fields(data: bytes) -> tuple[dict[str, list[str]], list[str]]:
    """The wanted fields (lower-case names) and the names of those that could not be read."""
    text = data.decode("utf-8", "surrogateescape")
    fields: dict[str, list[str]] = {}
    current: str | None = None
    parts = _LINE_BREAK.split(text)  # line, its line break, line, ...
    for index in range(0, len(parts), 2):
        line = parts[index]
        if line[:1] in (" ", "\t"):
            if current is not None:  # folded: kept with its line break, as email keeps it
                fields[current][-1] += parts[index - 1] + line
            continue
        header = _HEADER.match(line)
        if header is None:  # a blank line, or the first line that is no header: the body
            break
        current = header.group(1).lower()
        if current in _WANTED:
            fields.setdefault(current, []).append(header.group(2))
        else:
            current = None
    unparsed = []
    for name, values in list(fields.items()):
        not_utf8 = any(_has_surrogates(value) for value in values)
        if not_utf8 or (name in _SINGLE_USE and len(values) > 1):
            unparsed.append(_TITLES[name])
            del fields[name]
    return fields, unparsed


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _single(fields: Mapping[str, list[str]], name: str) -> str | None:
    values = fields.get(name)
    return values[0] if values else None


_TITLES = {
    "metadata-version": "Metadata-Version",
    "name": "Name",
    "version": "Version",
    "requires-dist": "Requires-Dist",
    "requires-python": "Requires-Python",
    "provides-extra": "Provides-Extra",
    "dynamic": "Dynamic",
}
_WANTED = frozenset(_TITLES)
