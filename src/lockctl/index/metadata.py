"""Learn one distribution file's core metadata: PEP 658, range reads, or a checked download."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from lockctl.errors import HashMismatch, IndexResponseError, MetadataUnavailable
from lockctl.index.coremeta import CoreMetadata, MetadataParseError, parse_core_metadata
from lockctl.index.fetcher import Fetcher
from lockctl.index.models import DistributionFile
from lockctl.index.sdist import NeedsBuild, build_metadata, read_static_metadata
from lockctl.index.wheelzip import (
    RangeNotSupported,
    WheelFormatError,
    read_member_by_range,
    read_member_from_bytes,
)
from lockctl.urls import SecretURL

__all__ = ["MetadataReader", "metadata_mismatch"]


class MetadataReader:
    """``member_elsewhere``: asked first for a wheel's METADATA member (the fetch worker's range
    reads); None from it means read it here."""

    def __init__(self, fetcher: Fetcher, *, allow_build: bool = False) -> None:
        self.fetcher = fetcher
        self.allow_build = allow_build
        self.member_elsewhere: Callable[[DistributionFile], bytes | None] | None = None

    def read(self, dist: DistributionFile) -> tuple[CoreMetadata, str]:
        """The metadata and where it came from: "pep658", "range", "download" or "build"."""
        if dist.core_metadata is not None:
            from_pep658 = self._pep658(dist)
            if from_pep658 is not None:
                return _checked(dist, from_pep658), "pep658"
        if dist.is_wheel:
            elsewhere = self.member_elsewhere
            member_read = elsewhere(dist) if elsewhere is not None else None
            if member_read is not None:
                return _checked(dist, _parse(dist, member_read)), "range"
            try:
                member = read_member_by_range(self.fetcher, dist.url)
            except RangeNotSupported as whole:
                # The server sent the whole wheel: use it, after checking it like any download.
                data = self._checked_body(dist, whole.response.body)
                return _checked(dist, _parse(dist, _wheel_metadata(dist, data))), "download"
            except WheelFormatError:
                pass  # an odd server or zip: a checked full download settles it
            else:
                return _checked(dist, _parse(dist, member)), "range"
            data = self._download(dist)
            return _checked(dist, _parse(dist, _wheel_metadata(dist, data))), "download"
        return self._sdist(dist)

    def _pep658(self, dist: DistributionFile) -> CoreMetadata | None:
        url = SecretURL(dist.url.secret + ".metadata")
        response = self.fetcher.get(url)
        if response.status in (404, 410):
            return None  # advertised but missing: fall back as pip does
        if not response.ok:
            raise IndexResponseError(
                f"unexpected HTTP {response.status}", url=url.redacted, status=response.status
            )
        expected = (dist.core_metadata or {}).get("sha256")
        if expected:
            _verify(url, response.body, "sha256", expected)
        return _parse(dist, response.body)

    def _download(self, dist: DistributionFile) -> bytes:
        response = self.fetcher.get(dist.url)
        if not response.ok:
            raise IndexResponseError(
                f"unexpected HTTP {response.status} downloading {dist.filename}",
                url=dist.url.redacted,
                status=response.status,
            )
        return self._checked_body(dist, response.body)

    def _checked_body(self, dist: DistributionFile, body: bytes) -> bytes:
        for algorithm, expected in dist.hashes.items():
            if algorithm in hashlib.algorithms_guaranteed:
                _verify(dist.url, body, algorithm, expected)
        return body

    def _sdist(self, dist: DistributionFile) -> tuple[CoreMetadata, str]:
        data = self._download(dist)
        try:
            return _checked(dist, read_static_metadata(dist.filename, data)), "download"
        except NeedsBuild as refused:
            if not self.allow_build:
                raise MetadataUnavailable(
                    f"{dist.filename} has no static metadata: {refused.reason}. Learning its "
                    "dependencies means building it, which runs its code; lockctl does that "
                    "only with --allow-build",
                    url=dist.url.redacted,
                    filename=dist.filename,
                ) from None
        try:
            return _checked(dist, build_metadata(dist.filename, data)), "build"
        except NeedsBuild as failed:
            raise MetadataUnavailable(
                f"{dist.filename}: {failed.reason}", url=dist.url.redacted, filename=dist.filename
            ) from None


def _verify(url: SecretURL, body: bytes, algorithm: str, expected: str) -> None:
    actual = hashlib.new(algorithm, body).hexdigest()
    if actual != expected.lower():
        raise HashMismatch(url=url.redacted, algorithm=algorithm, expected=expected, actual=actual)


def _wheel_metadata(dist: DistributionFile, data: bytes) -> bytes:
    try:
        return read_member_from_bytes(data)
    except WheelFormatError as exc:
        raise IndexResponseError(
            f"{dist.filename} is not a valid wheel: {exc}", url=dist.url.redacted
        ) from None


def _parse(dist: DistributionFile, data: bytes) -> CoreMetadata:
    try:
        return parse_core_metadata(data)
    except MetadataParseError as exc:
        raise IndexResponseError(
            f"the metadata of {dist.filename} cannot be read: {exc}", url=dist.url.redacted
        ) from None


def metadata_mismatch(dist: DistributionFile, metadata: CoreMetadata) -> str | None:
    """What is wrong when ``metadata`` names another project or version than ``dist``'s name.

    Asked of metadata just read (pip refuses such a file, and so does lockctl) and of
    metadata from the cache (an entry that landed on another file's key).
    """
    parsed = dist.parsed
    if parsed is None or (parsed.name, parsed.version) == (metadata.name, metadata.version):
        return None
    return f"it says {metadata.name} {metadata.version}, not {parsed.name} {parsed.version}"


def _checked(dist: DistributionFile, metadata: CoreMetadata) -> CoreMetadata:
    if metadata_mismatch(dist, metadata) is not None:
        raise IndexResponseError(
            f"{dist.filename} has inconsistent metadata: it says "
            f"{metadata.name} {metadata.version}",
            url=dist.url.redacted,
        )
    return metadata
