"""A cache entry's body in named parts, each read and checked only when asked for: an optimisation.

The plain way is to read an entry whole and check one checksum over it, which is what
``cachefiles`` does for every entry of a few hundred kilobytes or less. A project page is
stored in parts, one a release (``EntryStore.write_parts``), and a page of a popular project
is megabytes long while a resolver looks at a few of its releases: a warm compile of the
``datascience`` stack read and hashed 31 MB of pages to use a few hundred kilobytes of them.
Here the head of a large entry is read (its metadata, which lists the parts with their
offsets and CRC-32s), the file stays open, and a part is read with ``os.pread`` and checked
when it is asked for. The gain shows in the warm and cold-lock runs of
``benchmarks/compile.py`` (the parent process also reads back every page the page worker
wrote).

An open entry holds a file descriptor until it is dropped; past ``MAX_OPEN`` of them, an entry
is read whole instead. A file replaced meanwhile (another run wrote the entry again) does not
matter: the descriptor still reads the file that was opened.
"""

from __future__ import annotations

import os
import threading
import weakref
import zlib
from collections.abc import Mapping, Sequence

__all__ = ["MAX_OPEN", "EntryParts", "HeldParts", "part_spans"]

MAX_OPEN = 256  # entries kept open at once; beyond, entries in parts are read whole

_open_count = 0
_open_lock = threading.Lock()


def part_spans(parts: Mapping[str, bytes]) -> list[list[object]]:
    """``[[name, start, end, crc32], ...]``: where each part sits in the body, back to back."""
    spans: list[list[object]] = []
    offset = 0
    for name, data in parts.items():
        spans.append([name, offset, offset + len(data), zlib.crc32(data)])
        offset += len(data)
    return spans


class EntryParts:
    """The parts of one entry's body, from memory or from an open file.

    Build with ``in_memory`` or ``open_file``; both check that the spans are well formed and
    cover the body exactly (``ValueError`` otherwise).
    """

    def __init__(
        self,
        spans: Sequence[object],
        size: int,
        *,
        body: bytes | memoryview | None,
        fd: int = -1,
        offset: int = 0,
    ) -> None:
        self._spans = _checked(spans, size)
        self._body = body
        self._fd = fd
        self._offset = offset

    @classmethod
    def in_memory(cls, spans: Sequence[object], body: bytes | memoryview) -> EntryParts:
        return cls(spans, len(body), body=body)

    @classmethod
    def open_file(cls, spans: Sequence[object], fd: int, offset: int, size: int) -> EntryParts:
        """Parts read from ``fd`` at ``offset`` onwards, ``size`` bytes in all.

        Takes ownership of ``fd``: it is closed when the parts are dropped, at once when they
        cannot be kept open (too many open, no ``os.pread``: the body is read into memory),
        and when this raises.
        """
        global _open_count
        with _open_lock:
            keep = hasattr(os, "pread") and _open_count < MAX_OPEN
            _open_count += keep
        if not keep:
            try:
                return cls(spans, size, body=_read_whole(fd, offset, size))
            finally:
                os.close(fd)
        try:
            parts = cls(spans, size, body=None, fd=fd, offset=offset)
        except BaseException:
            _release(fd)
            raise
        weakref.finalize(parts, _release, fd)
        return parts

    def names(self) -> list[str]:
        return list(self._spans)

    def __len__(self) -> int:
        return len(self._spans)

    def __contains__(self, name: object) -> bool:
        return name in self._spans

    def read(self, name: str) -> bytes | None:
        """The part, or None when it no longer matches its CRC (or cannot be read whole)."""
        start, end, crc = self._spans[name]
        if self._body is not None:
            data = bytes(self._body[start:end])
        else:
            try:
                data = _read_exactly(self._fd, self._offset + start, end - start)
            except (OSError, ValueError):
                return None
        return data if zlib.crc32(data) == crc else None


class HeldParts:
    """Parts this process has just made and holds, read as ``EntryParts`` are (nothing to
    check, nothing to copy): what a reader sees of a page the moment it is cached."""

    def __init__(self, parts: Mapping[str, bytes]) -> None:
        self._parts = parts

    def names(self) -> list[str]:
        return list(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __contains__(self, name: object) -> bool:
        return name in self._parts

    def read(self, name: str) -> bytes | None:
        return self._parts[name]


def _checked(spans: Sequence[object], size: int) -> dict[str, tuple[int, int, int]]:
    checked: dict[str, tuple[int, int, int]] = {}
    offset = 0
    for span in spans:
        if not isinstance(span, list) or len(span) != 4:
            raise ValueError("a part that is not [name, start, end, crc]")
        name, start, end, crc = span
        if not isinstance(name, str) or name in checked:
            raise ValueError("a part without a name of its own")
        if start != offset or type(end) is not int or end <= offset or type(crc) is not int:
            raise ValueError(f"the part {name} does not follow the one before it")
        checked[name] = (start, end, crc)
        offset = end
    if offset != size:
        raise ValueError("the parts do not cover the body")
    return checked


def _read_exactly(fd: int, offset: int, length: int) -> bytes:
    data = os.pread(fd, length, offset)
    while len(data) < length:  # pread may return less; a file cut short returns b""
        more = os.pread(fd, length - len(data), offset + len(data))
        if not more:
            raise ValueError("truncated entry")
        data += more
    return data


def _read_whole(fd: int, offset: int, length: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    chunks: list[bytes] = []
    left = length
    while left > 0:
        chunk = os.read(fd, left)
        if not chunk:
            raise ValueError("truncated entry")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _release(fd: int) -> None:
    global _open_count
    os.close(fd)
    with _open_lock:
        _open_count -= 1
