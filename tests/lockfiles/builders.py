"""Small ``Resolution`` values built by hand, for writer, reader and pylock tests."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.index.models import DistributionFile
from lockctl.reqfile import SourceLine
from lockctl.resolver.models import (
    Origin,
    OverrideNote,
    Release,
    Resolution,
    ResolvedPin,
    RootRequirement,
)
from lockctl.urls import SecretURL

__all__ = ["BASE", "dist", "override", "pin", "resolution", "root"]

BASE = "http://127.0.0.1:8/files/"  # never contacted: these values are only rendered


def dist(filename: str, digest: str, *, size: int | None = 100) -> DistributionFile:
    return DistributionFile(
        filename=filename, url=SecretURL(BASE + filename), hashes={"sha256": digest}, size=size
    )


def root(
    text: str,
    path: str | None = "requirements.in",
    *,
    line: int = 1,
    kind: str = "requirement",
) -> RootRequirement:
    source = (
        None if path is None else SourceLine(path=Path(path), line=line, end_line=line, text=text)
    )
    assert kind in ("requirement", "constraint", "override")
    return RootRequirement(
        requirement=Requirement(text),
        origin=Origin(line=source),
        kind=kind,  # type: ignore[arg-type]
    )


def override(text: str, path: str | None, *replaced: tuple[str, str]) -> OverrideNote:
    return OverrideNote(
        override=root(text, path, kind="override"),
        replaced=tuple((who, Requirement(req)) for who, req in replaced),
    )


def pin(
    name: str,
    version: str,
    *,
    parents: Sequence[str] = (),
    roots: Sequence[RootRequirement] = (),
    extras: Sequence[str] = (),
    files: Sequence[DistributionFile] = (),
    overrides: Sequence[OverrideNote] = (),
) -> ResolvedPin:
    normalized = canonicalize_name(name)
    release = Release(
        name=normalized, version=Version(version), files=tuple(files), all_files=tuple(files)
    )
    return ResolvedPin(
        name=normalized,
        version=Version(version),
        release=release,
        extras=frozenset(canonicalize_name(e) for e in extras),
        parents=tuple(sorted(canonicalize_name(p) for p in parents)),
        roots=tuple(roots),
        overrides=tuple(overrides),
    )


def resolution(*pins: ResolvedPin) -> Resolution:
    return Resolution(pins=tuple(sorted(pins, key=lambda p: p.name)))
