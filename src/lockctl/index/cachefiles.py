"""The cache's entry files on disk: their format, the checks on reading them, and repairs.

An entry is the file ``v4/<kind>/<hh>/<sha256 of its key>.json`` (``hh``: the digest's first two
hex digits), in three parts:

1. a JSON line ``{"format": 4, "checksum": <sha256 of parts 2 and 3>}``;
2. a JSON line of metadata: ``"key"``, the key it was written for, and what its kind keeps;
3. the body, for its kind to read.

An entry written in parts (``write_parts``: a project page, one part a release) differs in
what is checked when: its line 1 adds ``"parts": true`` and its checksum covers part 2 alone,
which lists the parts of the body with their offsets and CRC-32s (``entryparts``); a part is
checked when it is read, and one that does not match is the caller's to report.

``v4`` names this format (``FORMAT``): a new format starts a new folder, and an older folder is
never read again (4: entries in parts). Reading an entry checks that it can be read,
then its format, its checksum and its key: an entry copied onto another key's path is not
trusted. The kinds check their own content on top (``cache.py``). Whatever is wrong is reported
(``CacheEntryCorrupt``, with the path), removed and answered as a miss, so it is fetched again:
garbage, a truncated file, a folder or a link loop where an entry should be, a file where a
folder of the cache should be (the format folder included).

Entries are written atomically: into ``v4/tmp/``, then renamed into place. A run that is killed
mid-write leaves its temporary file behind; the first write of each later run removes those
older than ``STRAY_AFTER`` seconds.

A cache that cannot be used only costs speed: a cache directory that is a file or cannot be
made, one that cannot be read or written. That is reported once a run (``CacheUnusable``) and
the run goes on without the part it cannot do: a cache that can be read but not written (a
read-only mount) is still read.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.events import CacheEntryCorrupt, CacheUnusable, Reporter
from lockctl.index.entryparts import EntryParts, part_spans

__all__ = ["FORMAT", "STRAY_AFTER", "EntryStore", "RawEntry"]

FORMAT = 4  # 4: entries in parts; 3: each entry names its key; 2: pages keep the index's dicts
# Seconds after which a temporary file is a leftover of a killed run: a live write takes far less.
STRAY_AFTER = 600.0
_TEMPORARY_PREFIX = "entry-"
_HEAD = 1 << 16  # read first: all of a small entry, the metadata of most large ones
_SMALL = 1 << 18  # an entry up to this size is read in one go


@dataclass(frozen=True, slots=True)
class RawEntry:
    meta: dict[str, Any]  # part 2, its "key" already checked
    body: memoryview  # part 3 (empty for an entry written in parts)
    parts: EntryParts | None = None  # part 3 of an entry written in parts (``write_parts``)


class EntryStore:
    """The entry files under ``cache_dir``; safe to use from many threads and processes."""

    def __init__(self, cache_dir: Path, *, reporter: Reporter) -> None:
        self.cache_dir = cache_dir
        self.root = cache_dir / f"v{FORMAT}"
        self.reporter = reporter
        self.hits = 0
        self.misses = 0
        self.readable = True
        self.writable = True
        self._lock = threading.Lock()
        self._warned = False
        self._reported: set[Path] = set()
        self._temporary_ready = False
        self._folders_made: set[Path] = set()  # shard folders known to exist (one mkdir each)
        self._open()

    def path(self, kind: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / kind / digest[:2] / f"{digest}.json"

    def exists(self, kind: str, key: str) -> bool:
        """Whether an entry is there (not whether it is sound: reading it checks that)."""
        try:
            return self.readable and self.path(kind, key).is_file()
        except OSError:
            return False

    # -- reading ------------------------------------------------------------------------------

    def read(self, kind: str, key: str) -> RawEntry | None:
        """The entry for ``key``, or None: absent, or damaged (reported and removed)."""
        if not self.readable:
            self.misses += 1
            return None
        path = self.path(kind, key)
        try:
            entry = _read_entry(path, key)
        except FileNotFoundError:  # a dangling link too: the next write replaces it
            self.misses += 1
            return None
        except OSError as exc:
            self._unreadable(path, exc)
            return None
        if isinstance(entry, str):
            self.discard(path, entry)
            return None
        self.hits += 1
        return entry

    def discard(self, path: Path, reason: str, *, folder: bool = False) -> None:
        """Report a damaged entry and remove it: it is a miss, and fetched again.

        ``folder``: what is in the entry's place is a folder, removed with all it holds.
        Otherwise only a file is removed: a file that stood where a folder should be may be
        a folder again by now, made by another thread for the entries it writes.
        """
        self.misses += 1
        with self._lock:
            reported = path in self._reported
            self._reported.add(path)
        if not reported:  # threads that meet the same damage report it once
            self.reporter(CacheEntryCorrupt(path=path, reason=reason))
        if path != self.root and self.root not in path.parents:
            return  # never anything outside the cache
        with contextlib.suppress(OSError):  # gone already, a folder now, or a read-only cache
            if folder and _is_dir(path) and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()

    def _unreadable(self, path: Path, exc: OSError) -> None:
        if exc.errno == errno.ENOTDIR:  # a file where one of the entry's folders should be
            if not self._clear_way(path):
                self.misses += 1
        elif exc.errno == errno.EISDIR:
            self.discard(path, "a folder where the entry should be", folder=True)
        elif exc.errno in (errno.EACCES, errno.EPERM) and not os.access(
            self.root, os.R_OK | os.X_OK
        ):
            self.misses += 1
            self._unusable(f"cannot be read ({exc.strerror})", readable=False)
        else:  # a link loop, an unreadable file, an I/O error: this entry is lost
            self.discard(path, f"cannot be read ({exc.strerror})")

    # -- writing ------------------------------------------------------------------------------

    def write(self, kind: str, key: str, meta: dict[str, Any], body: bytes) -> bool:
        """Write the entry for ``key`` atomically; False when the cache cannot be written."""
        if not self.writable:
            return False
        rest = json.dumps({"key": key, **meta}, separators=(",", ":")).encode() + b"\n" + body
        header = json.dumps({"format": FORMAT, "checksum": _checksum(rest)}).encode()
        return self._write_entry(self.path(kind, key), header + b"\n" + rest)

    def write_parts(
        self, kind: str, key: str, meta: dict[str, Any], parts: Mapping[str, bytes]
    ) -> bool:
        """Write an entry whose body is read part by part (``entryparts``): the checksum
        covers the metadata, which lists each part with its CRC-32."""
        if not self.writable:
            return False
        described = {"key": key, **meta, "parts": part_spans(parts)}
        line = json.dumps(described, separators=(",", ":")).encode() + b"\n"
        header = json.dumps({"format": FORMAT, "checksum": _checksum(line), "parts": True})
        return self._write_entry(
            self.path(kind, key), b"".join([header.encode(), b"\n", line, *parts.values()])
        )

    def _write_entry(self, path: Path, data: bytes) -> bool:
        for attempt in range(_REPAIRS + 1):
            try:
                self._write_file(path, data)
                return True
            except OSError as exc:
                if attempt < _REPAIRS and exc.errno in _IN_THE_WAY and self._clear_way_to(path):
                    continue  # a file where a folder should be, or the reverse: cleared
                self._unusable(f"cannot be written ({exc.strerror})", readable=self.readable)
                break
        return False

    def _clear_way_to(self, path: Path) -> bool:
        """Clear the way to the entry, or to the folder of temporary files."""
        return self._clear_way(path) or self._clear_way(self.root / "tmp" / _TEMPORARY_PREFIX)

    def _write_file(self, path: Path, data: bytes) -> None:
        temporary_dir = self.root / "tmp"
        if not self._temporary_ready:
            temporary_dir.mkdir(parents=True, exist_ok=True)
            self._temporary_ready = True
            _remove_strays(temporary_dir)
        if path.parent not in self._folders_made:  # one mkdir per shard folder and run
            path.parent.mkdir(parents=True, exist_ok=True)
            self._folders_made.add(path.parent)
        handle, name = tempfile.mkstemp(dir=temporary_dir, prefix=_TEMPORARY_PREFIX)
        try:
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
            try:
                Path(name).replace(path)
            except FileNotFoundError:  # its folder was removed since this run made it
                path.parent.mkdir(parents=True, exist_ok=True)
                Path(name).replace(path)
        except BaseException:
            with contextlib.suppress(OSError):
                Path(name).unlink()
            raise

    # -- repairs ------------------------------------------------------------------------------

    def _open(self) -> None:
        """Make the format folder, clearing a file in its way; else say the cache is unusable."""
        for attempt in range(2):
            try:
                self.root.mkdir(parents=True, exist_ok=True)
                return
            except OSError as exc:
                failure = exc
            if attempt or not _is_dir(self.cache_dir) or not self._clear_way(self.root / "_"):
                break
        if _is_dir(self.cache_dir):
            self._unusable(f"cannot be used ({failure.strerror})", readable=False)
        elif os.path.lexists(self.cache_dir):
            self._unusable("is not a directory", readable=False)
        else:
            self._unusable(f"cannot be created ({failure.strerror})", readable=False)

    def _clear_way(self, path: Path) -> bool:
        """Remove what stands in the way of ``path`` inside the format folder; True if anything.

        A file (or a dangling link) where one of its folders should be, the format folder
        itself included, or a folder where the entry itself should be. Each is reported as a
        corrupt entry.
        """
        try:
            relative = path.relative_to(self.root)
        except ValueError:
            return False
        for parent in reversed(relative.parents):
            folder = self.root / parent
            if not os.path.lexists(folder):
                return False
            if not _is_dir(folder):
                self.discard(folder, "a file where a folder of the cache should be")
                self._temporary_ready = False
                self._folders_made.clear()
                return True
        if _is_dir(path) and not path.is_symlink():
            self.discard(path, "a folder where the entry should be", folder=True)
            return True
        return False

    def _unusable(self, reason: str, *, readable: bool) -> None:
        with self._lock:
            self.writable = False
            self.readable = self.readable and readable
            if self._warned:
                return
            self._warned = True
        self.reporter(CacheUnusable(path=self.cache_dir, reason=reason, readable=readable))


# What a write meets when a file stands where a folder should be, or a folder where the file;
# each attempt clears one such thing, and there are at most four on the way (kind, shard,
# entry, the temporary folder; the format folder is cleared when the store opens).
_IN_THE_WAY = frozenset({errno.ENOTDIR, errno.EEXIST, errno.EISDIR, errno.ENOTEMPTY})
_REPAIRS = 4


def _read_entry(path: Path, key: str) -> RawEntry | str:
    """The entry at ``path``, or why it cannot be trusted; raises ``OSError``.

    An entry is read up to the end of its metadata first. One written in parts and larger
    than that is then left open and read part by part (``entryparts``); any other is read
    whole and its checksum checked.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        size = os.fstat(fd).st_size
        head = os.read(fd, max(_HEAD, size + 1) if size <= _SMALL else _HEAD)
        while head.count(b"\n") < 2 and len(head) < size:
            more = os.read(fd, _HEAD)
            if not more:
                break
            head += more
        found = _split(head, key)
        if isinstance(found, str):
            return found
        check, meta, start = found
        if check.get("parts") is not True:
            raw = head + _read_rest(fd) if len(head) < size else head
            return _whole(check.get("checksum"), meta, raw, start)
        spans = meta.get("parts")
        if not isinstance(spans, list):
            return "not a valid cache entry"
        try:
            if len(head) >= size:
                parts = EntryParts.in_memory(spans, memoryview(head)[start:])
            else:
                parts, fd = EntryParts.open_file(spans, fd, start, size - start), -1
        except ValueError as exc:
            return f"not a valid cache entry ({exc})"
        return RawEntry(meta, memoryview(b""), parts)
    finally:
        if fd >= 0:
            os.close(fd)


def _read_rest(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _split(head: bytes, key: str) -> tuple[dict[str, Any], dict[str, Any], int] | str:
    """The check line, the metadata and where the body starts; or why it cannot be trusted.

    The checksum of an entry in parts covers its metadata alone, and is checked here; that of
    a whole entry covers the body too, and is checked by ``_whole``.
    """
    first = head.find(b"\n")
    second = head.find(b"\n", first + 1) if first >= 0 else -1
    if second < 0:
        return "truncated entry"
    try:
        check = json.loads(head[:first])
        if not isinstance(check, dict) or check.get("format") != FORMAT:
            return "not a valid cache entry"
        if check.get("parts") is True and check.get("checksum") != _checksum(
            memoryview(head)[first + 1 : second + 1]
        ):
            return "checksum does not match its content"
        meta = json.loads(head[first + 1 : second])
    except (ValueError, UnicodeDecodeError):
        return "not a valid cache entry"
    if not isinstance(meta, dict):
        return "not a valid cache entry"
    if meta.get("key") != key:
        return "it was written for another key"
    return check, meta, second + 1


def _whole(checksum: object, meta: dict[str, Any], raw: bytes, start: int) -> RawEntry | str:
    """A whole entry, once its checksum (of the metadata and the body) is checked."""
    view = memoryview(raw)
    if checksum != _checksum(view[raw.find(b"\n") + 1 :]):
        return "checksum does not match its content"
    return RawEntry(meta, view[start:])


def _checksum(body: bytes | memoryview) -> str:
    return hashlib.sha256(body).hexdigest()


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _remove_strays(temporary_dir: Path) -> None:
    """Remove the temporary files of writes that a killed run never finished."""
    cutoff = time.time() - STRAY_AFTER
    with contextlib.suppress(OSError), os.scandir(temporary_dir) as found:
        for item in found:
            with contextlib.suppress(OSError):
                if item.name.startswith(_TEMPORARY_PREFIX) and item.stat().st_mtime < cutoff:
                    Path(item.path).unlink()
