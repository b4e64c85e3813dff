"""Values of the simple repository API: the files of a project, and "not found" as a value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.tags import Tag
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from lockctl.urls import SecretURL

__all__ = ["DistributionFile", "ProjectNotFound", "ProjectPage", "parse_dist_filename"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFilename:
    name: NormalizedName
    version: Version
    tags: frozenset[Tag]  # empty for an sdist
    is_wheel: bool


def parse_dist_filename(filename: str) -> ParsedFilename | None:
    """Name, version and tags of a wheel or sdist filename; None for anything else."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, tags = parse_wheel_filename(filename)
            return ParsedFilename(name=name, version=version, tags=tags, is_wheel=True)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return ParsedFilename(name=name, version=version, tags=frozenset(), is_wheel=False)
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class DistributionFile:
    """One file of a project as an index lists it (PEP 503 anchor or PEP 691 file dict)."""

    filename: str
    url: SecretURL
    hashes: Mapping[str, str] = field(default_factory=dict)
    requires_python: str | None = None
    yanked: str | None = None  # None: not yanked; "": yanked without a reason (PEP 592)
    core_metadata: Mapping[str, str] | None = None  # PEP 658/714: hashes of the .metadata file
    size: int | None = None

    @property
    def is_yanked(self) -> bool:
        return self.yanked is not None

    @property
    def sha256(self) -> str | None:
        return self.hashes.get("sha256")

    @property
    def parsed(self) -> ParsedFilename | None:
        return parse_dist_filename(self.filename)

    @property
    def is_wheel(self) -> bool:
        return self.filename.endswith(".whl")

    def to_dict(self) -> dict[str, Any]:
        """The cache form. It holds the secret URL, so it stays inside the user's cache."""
        return {
            "filename": self.filename,
            "url": self.url.secret,
            "hashes": dict(self.hashes),
            "requires_python": self.requires_python,
            "yanked": self.yanked,
            "core_metadata": None if self.core_metadata is None else dict(self.core_metadata),
            "size": self.size,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DistributionFile:
        core = data.get("core_metadata")
        return cls(
            filename=str(data["filename"]),
            url=SecretURL(str(data["url"])),
            hashes={str(k): str(v) for k, v in dict(data.get("hashes") or {}).items()},
            requires_python=data.get("requires_python"),
            yanked=data.get("yanked"),
            core_metadata=None if core is None else {str(k): str(v) for k, v in core.items()},
            size=data.get("size"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectPage:
    """The files one index (or find-links location) lists for a project."""

    name: NormalizedName
    source: str  # redacted URL of the index or find-links location
    files: tuple[DistributionFile, ...]

    def releases(self) -> dict[Version, list[DistributionFile]]:
        """Files grouped by version; files whose names do not parse are left out."""
        grouped: dict[Version, list[DistributionFile]] = {}
        for dist in self.files:
            parsed = dist.parsed
            if parsed is not None and parsed.name == self.name:
                grouped.setdefault(parsed.version, []).append(dist)
        return grouped


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectNotFound:
    """No configured index has the project: a value, not an exception (callers decide)."""

    name: NormalizedName
    searched: tuple[str, ...]  # redacted URLs of every index and find-links location asked

    def __str__(self) -> str:
        return f"{self.name} was not found on {', '.join(self.searched) or 'any index'}"
