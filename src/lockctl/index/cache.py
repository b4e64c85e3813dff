"""The persistent cache: ``$LOCKCTL_CACHE_DIR``, else the platform's user cache directory.

Each entry is a file ``v2/<kind>/<hh>/<sha256 of its key>.json`` (``hh``: the digest's first two
hex digits). ``v2`` names the entry format (``_FORMAT``): a new format starts a new folder, and
an old folder is never read again. Three kinds of entry:

- ``metadata``: a distribution file's core metadata, under the key the client gives it
  (``sha256:<the file's hash>``, or ``url:<its URL>`` when the index lists no hash). These
  never expire: a file with that hash has that metadata forever (a URL key is kept as long).
- ``pages``: a project page, keyed by the page URL without credentials: its base URL, its files
  grouped by release, the server's ETag, when it was fetched, and whether the index had the
  project at all (a 404 is remembered too). Fresh for ``page_ttl`` seconds (600 unless the
  caller says otherwise); a stale one is returned only with ``allow_stale``, for revalidation
  with its ETag, and a 304 (``touch_page``) makes it fresh again.
- ``names``: the project names an index's root page lists (for "did you mean"), fresh for a day.

An entry file is a JSON line with the format and a sha256 checksum of everything after it, a
JSON line of metadata (a page's base, ETag, fetch time, found flag and where each release's
files sit in the body; empty for the other kinds), then the body: a JSON document for
metadata and names; for a page, each release's JSON array of file dicts, back to back, decoded
only when a caller asks for that release (``LazyGroups``). An entry that cannot be read, does
not parse or does not match its checksum is reported (``CacheEntryCorrupt``, with its path),
deleted and answered as a miss, so it is fetched again. Entries are written atomically (temp
file + rename); a cache that cannot be written (read-only, full disk) is skipped silently.
Credentials are never written: keys are hashed, callers pass page URLs without them, and a
file URL in a record the cache encodes itself is stripped of them.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.events import CacheEntryCorrupt, Reporter, ignore_events
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.models import FileRecord
from lockctl.urls import SecretURL, strip_credentials

__all__ = ["Cache", "CachedPage", "default_cache_dir", "is_cacheable", "url_key"]

_FORMAT = 2  # 2: page entries keep the index's own file dicts (1 kept rows of seven fields)


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


class LazyGroups(Mapping[str, Sequence[FileRecord]]):
    """A cached page's releases, each decoded from its slice of the entry only when asked for.

    A warm run reads a hundred pages holding tens of thousands of files and looks at a few
    releases of each; decoding only those keeps it fast.
    """

    def __init__(self, body: bytes | memoryview, spans: Mapping[str, tuple[int, int]]) -> None:
        self._body = body
        self._spans = spans

    def raw(self, key: str) -> bytes:
        start, end = self._spans[key]
        return bytes(self._body[start:end])

    def __getitem__(self, key: str) -> Sequence[FileRecord]:
        records: list[FileRecord] = json.loads(self.raw(key))
        return records

    def __iter__(self) -> Iterator[str]:
        return iter(self._spans)

    def __len__(self) -> int:
        return len(self._spans)


class Cache:
    def __init__(
        self,
        root: Path | None = None,
        *,
        page_ttl: float = 600.0,
        reporter: Reporter = ignore_events,
    ) -> None:
        self.root = (root or default_cache_dir()) / f"v{_FORMAT}"
        self.page_ttl = page_ttl
        self.reporter = reporter
        self.hits = 0
        self.misses = 0

    # -- metadata -----------------------------------------------------------------------------

    def get_metadata(self, key: str) -> CoreMetadata | None:
        payload = self._read(self._path("metadata", key))
        if payload is None:
            return None
        try:
            return CoreMetadata.from_dict(payload)
        except (KeyError, TypeError, ValueError) as exc:
            self._discard(self._path("metadata", key), f"unreadable metadata: {exc}")
            return None

    def has_metadata(self, key: str) -> bool:
        """Whether an entry exists (not whether it is sound: reading it checks that)."""
        return self._path("metadata", key).is_file()

    def put_metadata(self, key: str, metadata: CoreMetadata) -> None:
        self._write(self._path("metadata", key), metadata.to_dict())

    # -- project lists (for "did you mean"): a day is fresh enough -----------------------------

    def get_names(self, url: str) -> list[str] | None:
        payload = self._read(self._path("names", url))
        if payload is None or time.time() - float(payload.get("fetched_at", 0)) > 86400:
            return None
        names = payload.get("names")
        return [str(n) for n in names] if isinstance(names, list) else None

    def put_names(self, url: str, names: Sequence[str]) -> None:
        self._write(self._path("names", url), {"fetched_at": time.time(), "names": list(names)})

    # -- project pages ------------------------------------------------------------------------

    def get_page(self, url: str, *, allow_stale: bool = False) -> CachedPage | None:
        """The cached page; a stale one only when ``allow_stale`` (for ETag revalidation)."""
        path = self._path("pages", url)
        entry = self._read_raw(path)
        if entry is None:
            return None
        meta, body = entry
        try:
            spans = {str(k): (int(v[0]), int(v[1])) for k, v in meta["spans"].items()}
            page = CachedPage(
                base=str(meta["base"]),
                groups=LazyGroups(body, spans),
                fetched_at=float(meta["fetched_at"]),
                etag=meta.get("etag"),
                found=bool(meta["found"]),
            )
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            self._discard(path, f"unreadable page: {exc}")
            return None
        return page if allow_stale or self.is_fresh(page) else None

    def is_fresh(self, page: CachedPage) -> bool:
        return time.time() - page.fetched_at < self.page_ttl

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
            chunks = {
                key: json.dumps([_record(r) for r in records], separators=(",", ":")).encode()
                for key, records in groups.items()
            }
        self.put_page_chunks(url, base=base, chunks=chunks, etag=etag, found=found)

    def put_page_chunks(
        self, url: str, *, base: str, chunks: Mapping[str, bytes], etag: str | None, found: bool
    ) -> LazyGroups:
        """A page whose releases are already JSON arrays of file dicts, without credentials.

        Returns the releases as a reader of the entry would see them.
        """
        spans: dict[str, tuple[int, int]] = {}
        offset = 0
        for key, chunk in chunks.items():
            spans[key] = (offset, offset + len(chunk))
            offset += len(chunk)
        meta = {
            "base": base,
            "spans": spans,
            "fetched_at": time.time(),
            "etag": etag,
            "found": found,
        }
        body = b"".join(chunks.values())
        self._write_raw(self._path("pages", url), meta, body)
        return LazyGroups(body, spans)

    def touch_page(self, url: str, page: CachedPage) -> None:
        """A 304 answer: the page is current again."""
        self.put_page(url, base=page.base, groups=page.groups, etag=page.etag, found=page.found)

    # -- storage ------------------------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / kind / digest[:2] / f"{digest}.json"

    def _read(self, path: Path) -> dict[str, Any] | None:
        entry = self._read_raw(path)
        if entry is None:
            return None
        _meta, body = entry
        try:
            payload = json.loads(body.tobytes())
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            self._discard(path, "not a valid cache entry")
            return None
        return payload

    def _write(self, path: Path, payload: Mapping[str, Any]) -> None:
        self._write_raw(path, {}, json.dumps(payload, separators=(",", ":")).encode())

    def _read_raw(self, path: Path) -> tuple[dict[str, Any], memoryview] | None:
        """Layout: a line {"format", "checksum"}, a line of JSON metadata, then the body.

        The checksum covers the metadata line and the body, so any damage is noticed.
        """
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            self._discard(path, f"unreadable: {exc.strerror}")
            return None
        # Offsets and a memoryview, not partition(): a page entry can be megabytes long.
        view = memoryview(raw)
        first = raw.find(b"\n")
        second = raw.find(b"\n", first + 1)
        try:
            if first < 0 or second < 0:
                raise ValueError("truncated entry")
            check = json.loads(view[:first].tobytes())
            if check.get("format") != _FORMAT or check.get("checksum") != _checksum(
                view[first + 1 :]
            ):
                self._discard(path, "checksum does not match its content")
                return None
            meta = json.loads(view[first + 1 : second].tobytes())
            body = view[second + 1 :]
        except (ValueError, AttributeError):
            self._discard(path, "not a valid cache entry")
            return None
        if not isinstance(meta, dict):
            self._discard(path, "not a valid cache entry")
            return None
        self.hits += 1
        return meta, body

    def _write_raw(self, path: Path, meta: Mapping[str, Any], body: bytes) -> None:
        rest = json.dumps(meta, separators=(",", ":")).encode() + b"\n" + body
        header = json.dumps({"format": _FORMAT, "checksum": _checksum(rest)}).encode()
        import tempfile

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(header + b"\n" + rest)
            Path(temporary).replace(path)
        except OSError:
            # A cache that cannot be written (read-only home, full disk) only costs speed.
            return

    def _discard(self, path: Path, reason: str) -> None:
        self.misses += 1
        self.reporter(CacheEntryCorrupt(path=path, reason=reason))
        path.unlink(missing_ok=True)


def _checksum(body: bytes | memoryview) -> str:
    return hashlib.sha256(body).hexdigest()


# What the cache keeps of a file dict built in this process (an HTML anchor, say): the fields
# resolution reads, with the PEP 714 spelling of core-metadata.
_RECORD_KEYS = ("filename", "url", "hashes", "requires-python", "yanked", "core-metadata", "size")


def _record(record: FileRecord) -> FileRecord:
    """The record as the cache keeps it, with any credentials taken out of an absolute URL."""
    kept = {key: record[key] for key in _RECORD_KEYS if record.get(key) is not None}
    core = record.get("core-metadata", record.get("dist-info-metadata"))
    if core is not None:
        kept["core-metadata"] = core
    kept["url"] = strip_credentials(record["url"])
    return kept
