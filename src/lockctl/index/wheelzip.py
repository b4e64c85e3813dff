"""Read one member of a remote wheel with HTTP range requests.

A wheel is a zip file, and a zip file is read from its end: the end-of-central-directory record
(and its ZIP64 variant) says where the central directory is, the central directory says where
each member's local header is. So the ``.dist-info/METADATA`` of a 12 MB wheel costs a suffix
request of ``tail`` bytes and, for a wheel with a large directory, one or two more small ranges.

The METADATA entry is found in the central directory by searching for its name
(``zipsearch``, an optimisation); reading every entry in order (``_members``) is the plain
way, and what happens whenever that search is unsure.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from lockctl.index.fetcher import Fetcher, Response
from lockctl.index.zipsearch import entries_named_with_suffix
from lockctl.urls import SecretURL

__all__ = [
    "RangeNotSupported",
    "WheelFormatError",
    "read_member_by_range",
    "read_member_from_bytes",
]

_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"
_LOCAL = b"PK\x03\x04"
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+)")
_METADATA_MEMBER = re.compile(r"^[^/]+\.dist-info/METADATA$")
_METADATA_SUFFIX = b".dist-info/METADATA"


class WheelFormatError(ValueError):
    """The bytes are not a zip file with exactly one ``.dist-info/METADATA``."""


class RangeNotSupported(Exception):
    """The server answered a range request with the whole file (kept in ``response``)."""

    def __init__(self, response: Response) -> None:
        super().__init__("range requests not supported")
        self.response = response


@dataclass(frozen=True, slots=True)
class _Member:
    name: str
    method: int
    compressed_size: int
    header_offset: int


class _RemoteFile:
    """The parts of a remote file fetched so far, and range requests for the rest."""

    def __init__(self, fetcher: Fetcher | None, url: SecretURL) -> None:
        self.fetcher = fetcher  # None: everything is already in ``segments``
        self.url = url
        self.size = 0
        self.segments: list[tuple[int, bytes]] = []

    @classmethod
    def in_memory(cls, data: bytes) -> _RemoteFile:
        local = cls(None, SecretURL(""))
        local.size = len(data)
        local.segments.append((0, data))
        return local

    def load_tail(self, length: int) -> None:
        assert self.fetcher is not None
        response = self.fetcher.get_tail(self.url, length)
        if response.status == 200:
            raise RangeNotSupported(response)
        self._expect_partial(response)

    def read(self, offset: int, length: int) -> bytes:
        for start, data in self.segments:
            if start <= offset and offset + length <= start + len(data):
                return data[offset - start : offset - start + length]
        if offset < 0 or offset + length > self.size or self.fetcher is None:
            raise WheelFormatError("zip structure points outside the file")
        response = self.fetcher.get_range(self.url, offset, offset + length - 1)
        if response.status == 200:
            raise RangeNotSupported(response)
        self._expect_partial(response)
        return self.read(offset, length)

    def _expect_partial(self, response: Response) -> None:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", "").strip())
        if response.status != 206 or match is None:
            raise WheelFormatError(f"unexpected answer to a range request: HTTP {response.status}")
        start, end, total = (int(group) for group in match.groups())
        if end - start + 1 != len(response.body):
            raise WheelFormatError("range answer is shorter than its Content-Range says")
        self.size = total
        self.segments.append((start, response.body))


def read_member_by_range(fetcher: Fetcher, url: SecretURL, *, tail: int = 65536) -> bytes:
    """The ``*.dist-info/METADATA`` member of the wheel at ``url``, read by ranges.

    Raises RangeNotSupported when the server sent the whole file instead.
    """
    remote = _RemoteFile(fetcher, url)
    remote.load_tail(tail)
    return _extract_metadata(remote)


def read_member_from_bytes(data: bytes) -> bytes:
    """The same, for a wheel already in memory."""
    return _extract_metadata(_RemoteFile.in_memory(data))


def _extract_metadata(remote: _RemoteFile) -> bytes:
    directory, entries = _directory_bytes(remote)
    offsets = entries_named_with_suffix(directory, _METADATA_SUFFIX)
    if offsets is None:  # the quick search was not sure: read every entry
        candidates = _members(directory, entries)
    else:
        candidates = [_member_at(directory, offset) for offset in offsets]
    members = [m for m in candidates if _METADATA_MEMBER.match(m.name)]
    if len(members) != 1:
        raise WheelFormatError(f"expected one .dist-info/METADATA, found {len(members)}")
    return _read_member(remote, members[0])


def _directory_bytes(remote: _RemoteFile) -> tuple[bytes, int]:
    """The central directory and its number of entries."""
    tail_start, tail = remote.segments[-1]
    position = tail.rfind(_EOCD)
    if position < 0 or len(tail) - position < 22:
        raise WheelFormatError("no end-of-central-directory record")
    eocd_offset = tail_start + position
    (_, _, _, _, entries, cd_size, cd_offset, _) = struct.unpack(
        "<4s4H2LH", tail[position : position + 22]
    )
    if cd_offset == 0xFFFFFFFF or cd_size == 0xFFFFFFFF or entries == 0xFFFF:
        entries, cd_size, cd_offset = _zip64_directory(remote, eocd_offset)
    return remote.read(cd_offset, cd_size), entries


def _members(directory: bytes, entries: int) -> list[_Member]:
    """Every entry of the central directory, in order."""
    members: list[_Member] = []
    offset = 0
    for _ in range(entries):
        member = _member_at(directory, offset)
        members.append(member)
        name_len, extra_len, comment_len = struct.unpack_from("<3H", directory, offset + 28)
        offset += 46 + name_len + extra_len + comment_len
    return members


def _member_at(directory: bytes, offset: int) -> _Member:
    """The central directory entry whose header starts at ``offset``."""
    if directory[offset : offset + 4] != _CENTRAL or offset + 46 > len(directory):
        raise WheelFormatError("corrupt central directory")
    fields = struct.unpack("<4s6H3L5H2L", directory[offset : offset + 46])
    method, compressed, name_len, extra_len, header = (
        fields[4],
        fields[8],
        fields[10],
        fields[11],
        fields[16],
    )
    name = directory[offset + 46 : offset + 46 + name_len].decode("utf-8", "replace")
    extra = directory[offset + 46 + name_len : offset + 46 + name_len + extra_len]
    if compressed == 0xFFFFFFFF or header == 0xFFFFFFFF:
        compressed, header = _zip64_extra(extra, fields[9], compressed, header)
    return _Member(name, method, compressed, header)


def _zip64_directory(remote: _RemoteFile, eocd_offset: int) -> tuple[int, int, int]:
    locator = remote.read(eocd_offset - 20, 20)
    if locator[:4] != _ZIP64_LOCATOR:
        raise WheelFormatError("ZIP64 locator missing")
    (record_offset,) = struct.unpack("<Q", locator[8:16])
    record = remote.read(record_offset, 56)
    if record[:4] != _ZIP64_EOCD:
        raise WheelFormatError("ZIP64 end-of-central-directory record missing")
    entries, cd_size, cd_offset = struct.unpack("<QQQ", record[32:56])
    return entries, cd_size, cd_offset


def _zip64_extra(extra: bytes, size: int, compressed: int, header: int) -> tuple[int, int]:
    """Values that overflowed 32 bits sit in the ZIP64 extra field (id 1), in a fixed order."""
    position = 0
    while position + 4 <= len(extra):
        kind, length = struct.unpack("<HH", extra[position : position + 4])
        body = extra[position + 4 : position + 4 + length]
        if kind == 1:
            values = [v for (v,) in struct.iter_unpack("<Q", body[: len(body) // 8 * 8])]
            if size == 0xFFFFFFFF and values:
                values.pop(0)
            if compressed == 0xFFFFFFFF and values:
                compressed = values.pop(0)
            if header == 0xFFFFFFFF and values:
                header = values.pop(0)
            return compressed, header
        position += 4 + length
    raise WheelFormatError("ZIP64 sizes missing")


def _read_member(remote: _RemoteFile, member: _Member) -> bytes:
    # Read the local header with the data in one go, guessing the local extra field is small.
    guess = 30 + len(member.name.encode()) + 64 + member.compressed_size
    chunk = remote.read(member.header_offset, min(guess, remote.size - member.header_offset))
    if chunk[:4] != _LOCAL:
        raise WheelFormatError("corrupt local file header")
    name_len, extra_len = struct.unpack("<HH", chunk[26:30])
    data_start = member.header_offset + 30 + name_len + extra_len
    data = remote.read(data_start, member.compressed_size)
    if member.method == 0:
        return data
    if member.method == 8:
        try:
            return zlib.decompressobj(-zlib.MAX_WBITS).decompress(data)
        except zlib.error as exc:
            raise WheelFormatError(f"cannot inflate METADATA: {exc}") from None
    raise WheelFormatError(f"unsupported zip compression method {member.method}")
