"""Values of the simple repository API: the files of a project, and "not found" as a value."""

from __future__ import annotations

import functools
from abc import ABC
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

from packaging.tags import Tag, parse_tag
from packaging.utils import (
    InvalidSdistFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
)
from packaging.version import InvalidVersion, Version

from lockctl.urls import SecretURL

__all__ = [
    "DistributionFile",
    "FileRecord",
    "NewestFirst",
    "ProjectNotFound",
    "ProjectPage",
    "VersionsByKey",
    "build_file",
    "parse_dist_filename",
    "release_key",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedFilename:
    name: NormalizedName
    version: Version
    tags: frozenset[Tag]  # empty for an sdist
    is_wheel: bool


@functools.lru_cache(maxsize=4096)
def _tags(tag_text: str) -> frozenset[Tag]:
    # Thousands of wheels share a handful of tag strings; parsing each string once matters.
    return parse_tag(tag_text)


@functools.lru_cache(maxsize=16384)
def _version(text: str) -> Version:
    return Version(text)


@functools.lru_cache(maxsize=65536)
def parse_dist_filename(filename: str) -> ParsedFilename | None:
    """Name, version and tags of a wheel or sdist filename; None for anything else."""
    try:
        if filename.endswith(".whl"):
            # The wheel spec's {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl, split
            # by hand: packaging's parser re-validates what the index already vouched for, and
            # this runs for every candidate file of every release a resolver looks at.
            parts = filename[:-4].split("-")
            if len(parts) not in (5, 6) or not parts[0]:
                return None
            return ParsedFilename(
                name=canonicalize_name(parts[0]),
                version=_version(parts[1]),
                tags=_tags("-".join(parts[-3:])),
                is_wheel=True,
            )
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return ParsedFilename(name=name, version=version, tags=frozenset(), is_wheel=False)
    except (InvalidSdistFilename, InvalidVersion, ValueError):
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
    upload_time: str | None = None  # PEP 700, as the JSON page gives it; HTML pages have none

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


# One file as a page lists it, in the shape of a PEP 691 file dict ("filename", "url" absolute
# or relative to the page, "hashes", "requires-python", "yanked", "core-metadata", "size",
# and PEP 700's "upload-time").
FileRecord = dict[str, Any]
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")


def release_key(filename: str, project: NormalizedName, memo: dict[str, str | None]) -> str | None:
    """The normalised version a file belongs to, or None for another project or an odd name.

    This runs for every file of every page (tens of thousands for a data-science stack), so it
    splits the name by hand and parses each distinct version string once, through ``memo``;
    wheel tags are parsed later, only for the releases a caller looks at.
    """
    if filename.endswith(".whl"):
        parts = filename.split("-", 2)
        if len(parts) != 3:
            return None
        name, raw = parts[0], parts[1]
    else:
        stem = next((filename[: -len(s)] for s in _SDIST_SUFFIXES if filename.endswith(s)), None)
        if stem is None:
            return None
        name, _, raw = stem.rpartition("-")
    if name not in memo:
        memo[name] = "" if canonicalize_name(name) == project else None
    if memo[name] is None:
        return None
    key = "=" + raw  # version strings and names share the memo without colliding
    if key not in memo:
        try:
            memo[key] = str(Version(raw))
        except InvalidVersion:
            memo[key] = None
    return memo[key]


class NewestFirst(Mapping[str, Sequence[FileRecord]], ABC):
    """A page's releases keyed by normalised version, in order from the newest, each version
    once: a reader can walk them in a resolver's order parsing only the versions it reaches.
    (``cache.LazyGroups``: a cached page is stored that way.)"""


class ProjectPage:
    """The files one index lists for a project, grouped by release and built on demand.

    A page of a popular project lists thousands of files, and a resolver looks at a handful of
    releases. So the page keeps compact records per release (possibly still undecoded, straight
    from the cache) and makes ``DistributionFile`` values only for the releases asked for.
    """

    __slots__ = ("_built", "base", "extra", "groups", "name", "source")

    def __init__(
        self,
        *,
        name: NormalizedName,
        source: str,
        base: SecretURL,
        groups: Mapping[str, Sequence[FileRecord]],
        extra: tuple[DistributionFile, ...] = (),
    ) -> None:
        self.name = name
        self.source = source  # redacted URL of the index or find-links location
        self.base = base
        self.groups = groups  # normalised version string -> records
        self.extra = extra  # find-links files, already built
        self._built: dict[Version, tuple[DistributionFile, ...]] = {}

    def __repr__(self) -> str:
        return f"ProjectPage(name={self.name!r}, source={self.source!r})"

    def versions(self) -> list[Version]:
        found = {_version(key) for key in self.groups}
        found.update(f.parsed.version for f in self.extra if f.parsed is not None)
        return sorted(found)

    def newest_first(self) -> Sequence[Version]:
        """The versions from the newest; parsed as they are reached where the groups allow."""
        if isinstance(self.groups, NewestFirst) and not self.extra:
            return VersionsByKey(tuple(self.groups))
        return sorted(self.versions(), reverse=True)

    def files_for(self, version: Version) -> tuple[DistributionFile, ...]:
        built = self._built.get(version)
        if built is None:
            records = self.groups.get(str(version), ())
            own = tuple(build_file(self.base, record) for record in records)
            linked = tuple(
                f for f in self.extra if f.parsed is not None and f.parsed.version == version
            )
            built = self._built[version] = own + linked
        return built

    @property
    def files(self) -> tuple[DistributionFile, ...]:
        """Every file (builds them all: for small pages and tests)."""
        return tuple(f for version in self.versions() for f in self.files_for(version))

    def releases(self) -> dict[Version, list[DistributionFile]]:
        return {version: list(self.files_for(version)) for version in self.versions()}


class VersionsByKey(Sequence[Version]):
    """Normalised version strings in order, each parsed when it is first looked at."""

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._keys = keys
        self._parsed: list[Version | None] = [None] * len(keys)
        self._positions: dict[str, int] | None = None

    @overload
    def __getitem__(self, index: int) -> Version: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Version]: ...

    def __getitem__(self, index: int | slice) -> Version | Sequence[Version]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._keys)))]
        version = self._parsed[index]
        if version is None:
            version = self._parsed[index] = _version(self._keys[index])
        return version

    def __len__(self) -> int:
        return len(self._keys)

    def __iter__(self) -> Iterator[Version]:
        return (self[i] for i in range(len(self._keys)))

    def position(self, version: Version) -> int | None:
        """Where ``version`` is: by its normalised string, which is how the keys are written."""
        if self._positions is None:
            self._positions = {key: i for i, key in enumerate(self._keys)}
        return self._positions.get(str(version))


def build_file(base: SecretURL, record: Mapping[str, Any]) -> DistributionFile:
    """A PEP 691 file dict (or an HTML anchor put in that shape) as a value."""
    # PEP 714 renamed dist-info-metadata to core-metadata; old servers send only the old key.
    core = record.get("core-metadata", record.get("dist-info-metadata"))
    yanked = record.get("yanked")
    size = record.get("size")
    uploaded = record.get("upload-time")
    return DistributionFile(
        filename=record["filename"],
        url=base.join(record["url"]),
        hashes={str(k).lower(): str(v).lower() for k, v in (record.get("hashes") or {}).items()},
        requires_python=record.get("requires-python") or None,
        yanked=None
        if yanked is None or yanked is False
        else (yanked if isinstance(yanked, str) else ""),
        core_metadata=_hashes(core),
        size=size if isinstance(size, int) else None,
        upload_time=uploaded if isinstance(uploaded, str) else None,
    )


def _hashes(value: object) -> dict[str, str] | None:
    """PEP 691 ``core-metadata``: a dict of hashes, ``true`` (no hash known) or absent."""
    if isinstance(value, Mapping):
        return {str(k).lower(): str(v).lower() for k, v in value.items()}
    return {} if value is True else None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectNotFound:
    """No configured index has the project: a value, not an exception (callers decide)."""

    name: NormalizedName
    searched: tuple[str, ...]  # redacted URLs of every index and find-links location asked

    def __str__(self) -> str:
        return f"{self.name} was not found on {', '.join(self.searched) or 'any index'}"
