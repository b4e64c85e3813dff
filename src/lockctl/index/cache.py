"""The persistent cache in the user's cache directory.

Two kinds of entry, each a small JSON file written atomically (temp file + rename):

- metadata, keyed by the sha256 of the distribution file it came from: a file with that hash
  has that metadata forever, so these never expire;
- project pages, keyed by URL, with a time-to-live and the server's ETag for revalidation.

Every entry carries a checksum of its payload. An entry that does not parse or does not match
is reported (with its path), deleted and fetched again: the cache is never trusted blindly.
Credentials are never written: page URLs are stored without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.events import CacheEntryCorrupt, Reporter, ignore_events
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.models import DistributionFile

__all__ = ["Cache", "CachedPage", "default_cache_dir"]

_FORMAT = 1


def default_cache_dir() -> Path:
    """``$LOCKCTL_CACHE_DIR``, else the platform's user cache directory."""
    override = os.environ.get("LOCKCTL_CACHE_DIR")
    if override:
        return Path(override)
    import platformdirs  # imported here: a cached run should not pay for what it does not use

    return Path(platformdirs.user_cache_dir("lockctl", appauthor=False))


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedPage:
    files: tuple[DistributionFile, ...]
    fetched_at: float
    etag: str | None
    found: bool  # False: the index answered 404 (also worth remembering for a while)


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

    def put_metadata(self, key: str, metadata: CoreMetadata) -> None:
        self._write(self._path("metadata", key), metadata.to_dict())

    # -- project pages ------------------------------------------------------------------------

    def get_page(self, url: str, *, allow_stale: bool = False) -> CachedPage | None:
        """The cached page; a stale one only when ``allow_stale`` (for ETag revalidation)."""
        path = self._path("pages", url)
        payload = self._read(path)
        if payload is None:
            return None
        try:
            page = CachedPage(
                files=tuple(DistributionFile.from_dict(f) for f in payload["files"]),
                fetched_at=float(payload["fetched_at"]),
                etag=payload.get("etag"),
                found=bool(payload["found"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            self._discard(path, f"unreadable page: {exc}")
            return None
        return page if allow_stale or self.is_fresh(page) else None

    def is_fresh(self, page: CachedPage) -> bool:
        return time.time() - page.fetched_at < self.page_ttl

    def put_page(
        self, url: str, files: tuple[DistributionFile, ...], *, etag: str | None, found: bool
    ) -> None:
        stored = [DistributionFile.to_dict(_without_credentials(f)) for f in files]
        payload = {"files": stored, "fetched_at": time.time(), "etag": etag, "found": found}
        self._write(self._path("pages", url), payload)

    def touch_page(self, url: str, page: CachedPage) -> None:
        """A 304 answer: the page is current again."""
        self.put_page(url, page.files, etag=page.etag, found=page.found)

    # -- storage ------------------------------------------------------------------------------

    def _path(self, kind: str, key: str) -> Path:
        digest = hashlib.sha256(key.encode()).hexdigest()
        return self.root / kind / digest[:2] / f"{digest}.json"

    def _read(self, path: Path) -> dict[str, Any] | None:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            self.misses += 1
            return None
        except OSError as exc:
            self._discard(path, f"unreadable: {exc.strerror}")
            return None
        # Layout: one header line {"format": 1, "checksum": sha256 of the rest}, then the payload.
        header, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(header)
            if meta.get("format") != _FORMAT or meta.get("checksum") != _checksum(body):
                self._discard(path, "checksum does not match its content")
                return None
            payload = json.loads(body)
        except (ValueError, AttributeError):
            self._discard(path, "not a valid cache entry")
            return None
        if not isinstance(payload, dict):
            self._discard(path, "not a valid cache entry")
            return None
        self.hits += 1
        return payload

    def _write(self, path: Path, payload: Mapping[str, Any]) -> None:
        body = json.dumps(payload, separators=(",", ":")).encode()
        header = json.dumps({"format": _FORMAT, "checksum": _checksum(body)}).encode()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            with os.fdopen(handle, "wb") as stream:
                stream.write(header + b"\n" + body)
            Path(temporary).replace(path)
        except OSError:
            # A cache that cannot be written (read-only home, full disk) only costs speed.
            return

    def _discard(self, path: Path, reason: str) -> None:
        self.misses += 1
        self.reporter(CacheEntryCorrupt(path=path, reason=reason))
        path.unlink(missing_ok=True)


def _checksum(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _without_credentials(dist: DistributionFile) -> DistributionFile:
    if not dist.url.has_credentials:
        return dist
    data = dist.to_dict()
    data["url"] = dist.url.without_credentials().secret
    return DistributionFile.from_dict(data)
