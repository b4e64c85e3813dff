"""The persistent cache: ``$LOCKCTL_CACHE_DIR``, else the platform's user cache directory.

Three kinds of entry, each a file that ``cachefiles.EntryStore`` writes atomically and checks on
reading (format, checksum, and the key it was written for), under ``v4/<kind>/``:

- ``metadata``: a distribution file's core metadata, under the key the client gives it
  (``sha256:<the file's hash>``, or ``url:<its URL>`` when the index lists no hash). These
  never expire: a file with that hash has that metadata forever (a URL key is kept as long).
  The client checks the name and version against the file's, as it does after a download.
- ``pages``: a project page, keyed by the page URL without credentials: its base URL, its files
  grouped by release, the server's ETag, when it was fetched, and whether the index had the
  project at all (a 404 is remembered too). Fresh for ``page_ttl`` seconds (600 unless the
  caller says otherwise); a stale one is returned only with ``allow_stale``, for revalidation
  with its ETag, and a 304 (``touch_page``) makes it fresh again.
- ``names``: the project names an index's root page lists (for "did you mean"), canonical and
  one a line, fresh for a day.

The body is a JSON document for metadata, the names' text for names; for a page, each release's
JSON array of file dicts, newest release first, one part of the entry each
(``EntryStore.write_parts``), read, checked and decoded only when a caller asks for that
release (``LazyGroups``). An entry whose content does not fit its kind is reported
(``CacheEntryCorrupt``, with its path), removed and answered as a miss, so it is fetched again;
a release that fails its check or does not decode when it is asked for is reported the same
way and answered from the page fetched again (offline, that is a cache failure, exit 3, and
the next run fetches it).
Credentials are never written: keys are hashed, callers pass page URLs without them, and a file
URL in a record the cache encodes itself is stripped of them.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from lockctl.errors import IndexFailure
from lockctl.events import Reporter, ignore_events
from lockctl.index.cachefiles import EntryStore, RawEntry
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.entryparts import EntryParts, HeldParts
from lockctl.index.models import FileRecord, NewestFirst
from lockctl.urls import SecretURL, strip_credentials

__all__ = [
    "Cache",
    "CachedPage",
    "LazyGroups",
    "default_cache_dir",
    "is_cacheable",
    "newest_first",
    "url_key",
]


def default_cache_dir() -> Path:
    """``$LOCKCTL_CACHE_DIR``, else the platform's user cache directory."""
    override = os.environ.get("LOCKCTL_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs  # imported here: a cached run should not pay for what it does not use

    return Path(platformdirs.user_cache_dir("lockctl", appauthor=False))


def is_cacheable(url: SecretURL) -> bool:
    """Whether what is fetched from ``url`` (a project page, a project list) is cached.

    Everything but ``file://``: a local index is read from the disk as cheaply as the cache
    would be, and a cached copy would hide a file added to it until the entry expired.
    """
    return url.scheme != "file"


def url_key(url: SecretURL) -> str:
    """The key of a page or project list: its URL without credentials."""
    return url.without_credentials().secret


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPage:
    base: str  # the page's URL (or <base href>), without credentials
    groups: Mapping[str, Sequence[FileRecord]]
    fetched_at: float
    etag: str | None
    found: bool  # False: the index answered 404 (also worth remembering for a while)


# Fetches a page again: its releases, or None when the index no longer has the project.
Refetch = Callable[[], Mapping[str, Sequence[FileRecord]] | None]


class LazyGroups(NewestFirst):
    """A cached page's releases, newest first, each decoded from its part of the entry only
    when asked for.

    A warm run reads a hundred pages holding tens of thousands of files and looks at a few
    releases of each; decoding only those keeps it fast. A release that fails its check or does
    not decode is reported through ``on_damage`` (its entry is then removed) and answered from
    the page fetched again (``recover_with``); without a way to fetch it, it is an
    ``IndexFailure`` whose hint says to run again.
    """

    def __init__(
        self, parts: EntryParts | HeldParts, *, on_damage: Callable[[str], None] | None = None
    ) -> None:
        self._parts = parts
        self._on_damage = on_damage
        self._refetch: Refetch | None = None
        self._fresh: Mapping[str, Sequence[FileRecord]] | None = None
        self._lock = threading.Lock()

    def recover_with(
        self, refetch: Callable[[], Mapping[str, Sequence[FileRecord]] | None]
    ) -> None:
        """How to get the page again should a release turn out damaged (None: no such page)."""
        self._refetch = refetch

    def raw(self, key: str) -> bytes:
        """The release's part as stored (or as fetched again, if the stored one is damaged)."""
        data = self._parts.read(key)
        if data is not None:
            return data
        fresh = self._recover(f"release {key} does not match its checksum")
        if isinstance(fresh, LazyGroups):
            return fresh.raw(key) if key in fresh else b"[]"
        return _encode(fresh.get(key, ()))

    def __getitem__(self, key: str) -> Sequence[FileRecord]:
        if key not in self._parts:
            raise KeyError(key)
        data = self._parts.read(key)
        reason = f"release {key} does not match its checksum"
        if data is not None:
            try:
                records = json.loads(data)
            except ValueError:
                records = None
            if _are_records(records):
                assert isinstance(records, list)
                return records
            reason = f"release {key} does not decode to a list of files"
        return self._recover(reason).get(key, [])

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts.names())

    def __len__(self) -> int:
        return len(self._parts)

    def __contains__(self, key: object) -> bool:
        return key in self._parts

    def _recover(self, reason: str) -> Mapping[str, Sequence[FileRecord]]:
        """The page fetched again, once, after ``reason`` was reported; or ``IndexFailure``."""
        with self._lock:
            if self._fresh is None:
                if self._on_damage is not None:
                    self._on_damage(reason)
                fresh = self._refetch() if self._refetch is not None else None
                if fresh is None:
                    raise IndexFailure(
                        f"a cached page is damaged ({reason})",
                        hint="it has been removed from the cache: run the command again to "
                        "fetch it",
                    )
                self._fresh = fresh
            return self._fresh


class Cache:
    def __init__(
        self,
        root: Path | None = None,
        *,
        page_ttl: float = 600.0,
        reporter: Reporter = ignore_events,
    ) -> None:
        self._store = EntryStore(root or default_cache_dir(), reporter=reporter)
        self.root = self._store.root  # the format folder
        self.page_ttl = page_ttl
        self.reporter = reporter

    @property
    def hits(self) -> int:
        return self._store.hits

    @property
    def misses(self) -> int:
        return self._store.misses

    @property
    def writable(self) -> bool:
        """Whether entries can still be written (a cache that cannot is reported once)."""
        return self._store.writable

    # -- metadata -----------------------------------------------------------------------------

    def get_metadata(self, key: str) -> CoreMetadata | None:
        payload = self._read_json("metadata", key)
        if payload is None:
            return None
        try:
            return CoreMetadata.from_dict(payload)
        except (KeyError, TypeError, ValueError) as exc:
            self.discard_metadata(key, f"unreadable metadata: {exc}")
            return None

    def has_metadata(self, key: str) -> bool:
        """Whether an entry exists (not whether it is sound: reading it checks that)."""
        return self._store.exists("metadata", key)

    def put_metadata(self, key: str, metadata: CoreMetadata) -> None:
        self._write_json("metadata", key, metadata.to_dict())

    def discard_metadata(self, key: str, reason: str) -> None:
        """A metadata entry that is sound as a file but wrong for its release: fetched again."""
        self._store.discard(self._store.path("metadata", key), reason)

    # -- project lists (for "did you mean"): a day is fresh enough -----------------------------

    def get_project_names(self, url: str) -> str | None:
        """The names an index listed, canonical, one a line (``ProjectNames.text``), or None.

        Kept as that text, not as JSON: a list of the public index (about a million names)
        is then one read and one decode, where a JSON list took a parse of its own.
        """
        entry = self._store.read("names", url)
        if entry is None:
            return None
        fetched_at = entry.meta.get("fetched_at")
        if entry.meta.get("form") != "lines":
            return None  # an older form of the entry: fetched again, and replaced
        if not isinstance(fetched_at, int | float) or not 0 <= time.time() - fetched_at <= 86400:
            return None
        try:
            text = str(entry.body, "utf-8")
        except UnicodeDecodeError:
            text = ""
        if not (text.startswith("\n") and text.endswith("\n")):
            self._store.discard(self._store.path("names", url), "not a list of project names")
            return None
        return text

    def put_project_names(self, url: str, text: str) -> None:
        meta = {"form": "lines", "fetched_at": time.time()}
        self._store.write("names", url, meta, text.encode())

    # -- project pages ------------------------------------------------------------------------

    def get_page(self, url: str, *, allow_stale: bool = False) -> CachedPage | None:
        """The cached page; a stale one only when ``allow_stale`` (for ETag revalidation)."""
        entry = self._store.read("pages", url)
        if entry is None:
            return None
        path = self._store.path("pages", url)
        try:
            page = _page(entry, on_damage=lambda reason: self._store.discard(path, reason))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._store.discard(path, f"unreadable page: {exc}")
            return None
        return page if allow_stale or self.is_fresh(page) else None

    def is_fresh(self, page: CachedPage) -> bool:
        # A fetch time in the future (a clock set back) makes a page stale, never fresh forever.
        return 0 <= time.time() - page.fetched_at < self.page_ttl

    def put_page(
        self,
        url: str,
        *,
        base: str,
        groups: Mapping[str, Sequence[FileRecord]],
        etag: str | None,
        found: bool,
    ) -> None:
        if isinstance(groups, LazyGroups):
            chunks = {key: groups.raw(key) for key in groups}
        else:
            chunks = {key: _encode(records) for key, records in groups.items()}
        self.put_page_chunks(url, base=base, chunks=chunks, etag=etag, found=found)

    def put_page_chunks(
        self, url: str, *, base: str, chunks: Mapping[str, bytes], etag: str | None, found: bool
    ) -> LazyGroups:
        """A page whose releases are JSON arrays of file dicts without credentials, keyed by
        normalised version.

        They are stored newest first, one part each (releases whose versions compare equal,
        such as 1.0 and 1.0.0, as one), so that a reader can walk them in the resolver's order
        without parsing every version. Returns the releases as a reader of the entry sees them.
        """
        ordered = newest_first(chunks)
        meta = {"base": base, "fetched_at": time.time(), "etag": etag, "found": found}
        self._store.write_parts("pages", url, meta, ordered)
        return LazyGroups(HeldParts(ordered))

    def touch_page(self, url: str, page: CachedPage) -> None:
        """A 304 answer: the page is current again."""
        self.put_page(url, base=page.base, groups=page.groups, etag=page.etag, found=page.found)

    # -- storage ------------------------------------------------------------------------------

    def _read_json(self, kind: str, key: str) -> dict[str, Any] | None:
        entry = self._store.read(kind, key)
        if entry is None:
            return None
        try:
            payload = json.loads(entry.body.tobytes())
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._store.discard(self._store.path(kind, key), "not a valid cache entry")
            return None
        return payload

    def _write_json(self, kind: str, key: str, payload: Mapping[str, Any]) -> None:
        self._store.write(kind, key, {}, json.dumps(payload, separators=(",", ":")).encode())


def _page(entry: RawEntry, *, on_damage: Callable[[str], None]) -> CachedPage:
    """The page an entry holds; raises ``ValueError`` (and kin) for anything that does not fit."""
    meta, parts = entry.meta, entry.parts
    base, found, fetched_at = meta["base"], meta["found"], meta["fetched_at"]
    etag = meta.get("etag")
    if parts is None:
        raise TypeError("a page not written in parts")
    if not isinstance(base, str) or not isinstance(found, bool):
        raise TypeError("base or found of the wrong type")
    if etag is not None and not isinstance(etag, str):
        raise TypeError("an ETag that is not text")
    if not isinstance(fetched_at, int | float) or not math.isfinite(fetched_at):
        raise TypeError("a fetch time that is not a number")
    return CachedPage(
        base=base,
        groups=LazyGroups(parts, on_damage=on_damage),
        fetched_at=float(fetched_at),
        etag=etag,
        found=found,
    )


def newest_first(chunks: Mapping[str, bytes]) -> dict[str, bytes]:
    """Releases (JSON arrays keyed by version) newest first; equal versions joined as one."""
    parsed: dict[str, Version] = {}
    for key in chunks:
        try:
            parsed[key] = Version(key)
        except InvalidVersion:
            continue  # not a release a resolver could pick
    ordered: dict[str, bytes] = {}
    previous: tuple[str, Version] | None = None
    for key in sorted(parsed, key=parsed.__getitem__, reverse=True):
        if previous is not None and parsed[key] == previous[1]:
            ordered[previous[0]] = _join_arrays(ordered[previous[0]], chunks[key])
            continue
        ordered[key] = chunks[key]
        previous = (key, parsed[key])
    return ordered


def _encode(records: Sequence[FileRecord]) -> bytes:
    return json.dumps([_record(r) for r in records], separators=(",", ":")).encode()


def _join_arrays(first: bytes, second: bytes) -> bytes:
    """Two JSON arrays as one, without decoding them."""
    if first.strip() == b"[]":
        return second
    if second.strip() == b"[]":
        return first
    return first.rstrip()[:-1] + b"," + second.lstrip()[1:]


def _are_records(records: object) -> bool:
    """Whether a decoded release is a list of file dicts, each with a filename and a URL."""
    return isinstance(records, list) and all(
        isinstance(record, dict)
        and isinstance(record.get("filename"), str)
        and isinstance(record.get("url"), str)
        for record in records
    )


# What the cache keeps of a file dict built in this process (an HTML anchor, say): the fields
# resolution reads, with the PEP 714 spelling of core-metadata.
_RECORD_KEYS = (
    "filename",
    "url",
    "hashes",
    "requires-python",
    "yanked",
    "core-metadata",
    "size",
    "upload-time",
)


def _record(record: FileRecord) -> FileRecord:
    """The record as the cache keeps it, with any credentials taken out of an absolute URL."""
    kept = {key: record[key] for key in _RECORD_KEYS if record.get(key) is not None}
    core = record.get("core-metadata", record.get("dist-info-metadata"))
    if core is not None:
        kept["core-metadata"] = core
    kept["url"] = strip_credentials(record["url"])
    return kept
