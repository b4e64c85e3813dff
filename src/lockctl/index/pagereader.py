"""Project pages and the cache: what it holds for a page, and where a fetched page is read.

``look_up`` answers with a value: ``Fresh`` (use it), ``Stale`` (revalidate it with its ETag;
also a fresh page under ``--refresh``) or ``Miss``. ``read`` turns a fetched page into a
``ProjectPage`` and a cache entry in the cheapest place: a large page (numpy's is 2 MB of JSON)
goes to the page worker process, on another CPU; a small one is stored right here, as the
worker stores pages (``store_page``). Pages that are not cached (``is_cacheable``: those of a
``file://`` index) are never looked up, never sent to the worker, and only parsed. A page that
is neither JSON nor HTML is an ``IndexResponseError`` wherever it was read.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TypeAlias

from packaging.utils import NormalizedName

from lockctl.errors import IndexResponseError
from lockctl.index.cache import Cache, CachedPage, is_cacheable, url_key
from lockctl.index.fetcher import Response
from lockctl.index.models import ProjectPage
from lockctl.index.pageslicer import store_page
from lockctl.index.pageworker import WORKER_MIN_BYTES, PageWorker, worth_a_worker
from lockctl.index.simple import PageFormatError, parse_project_page
from lockctl.urls import SecretURL

__all__ = [
    "MISS",
    "Fresh",
    "Miss",
    "PageLookup",
    "PageReader",
    "Stale",
    "page_format_error",
    "page_from_cache",
]


@dataclass(frozen=True, slots=True)
class Fresh:
    """The cache holds the page, within its time to live: the answer as it stands."""

    entry: CachedPage


@dataclass(frozen=True, slots=True)
class Stale:
    """The cache holds the page, to be revalidated: expired, or its project is refreshed."""

    entry: CachedPage


@dataclass(frozen=True, slots=True)
class Miss:
    """The cache holds nothing for the page (or never caches it)."""


MISS = Miss()
PageLookup: TypeAlias = Fresh | Stale | Miss


class PageReader:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._worker: PageWorker | None = None
        self._wants_worker = True  # until worth_a_worker says otherwise

    def look_up(self, url: SecretURL, *, refresh: bool) -> PageLookup:
        """What the cache holds for the page at ``url``; ``refresh``: revalidate even if fresh."""
        if not is_cacheable(url):
            return MISS
        entry = self.cache.get_page(url_key(url), allow_stale=True)
        if entry is None:
            return MISS
        if refresh or not self.cache.is_fresh(entry):
            return Stale(entry)
        return Fresh(entry)

    def expect_page(self, url: SecretURL) -> None:
        """A page will be fetched from ``url``: start the worker now, while the request runs."""
        if not is_cacheable(url):
            return  # read() only parses it: no worker needed
        with self._lock:
            if self._worker is None and self._wants_worker:
                self._wants_worker = worth_a_worker(self.cache)
                if self._wants_worker:
                    self._worker = PageWorker(self.cache)

    @property
    def worker(self) -> PageWorker | None:
        return self._worker

    def hurry(self, name: NormalizedName) -> None:
        """Somebody is blocked on this page."""
        if self._worker is not None:
            self._worker.hurry(name)

    def read(self, url: SecretURL, name: NormalizedName, response: Response) -> ProjectPage:
        """The page the index sent for ``url``, cached if ``url`` is (``is_cacheable``)."""
        key = url_key(url)
        page: ProjectPage | None = None
        try:
            if not is_cacheable(url):
                page = parse_project_page(
                    name=name,
                    page_url=response.url,
                    content_type=response.content_type,
                    body=response.body,
                )
            elif self._worker is not None and len(response.body) >= WORKER_MIN_BYTES:
                page = self._read_in_worker(url, name, key, response)
            if page is None:
                page = store_page(
                    self.cache,
                    key,
                    name=name,
                    page_url=response.url,
                    content_type=response.content_type,
                    body=response.body,
                    etag=response.headers.get("etag"),
                )
        except PageFormatError as exc:
            raise page_format_error(url, response.status, str(exc)) from None
        return page

    def close(self) -> None:
        if self._worker is not None:
            self._worker.close()

    def _read_in_worker(
        self, url: SecretURL, name: NormalizedName, key: str, response: Response
    ) -> ProjectPage | None:
        """The page as the worker process cached it; None to read it here instead."""
        assert self._worker is not None
        done = self._worker.cache_page(
            key,
            name=name,
            page_url=response.url,
            content_type=response.content_type,
            body=response.body,
            etag=response.headers.get("etag"),
        )
        cached = self.cache.get_page(key, allow_stale=True) if done else None
        if cached is None:  # the worker is gone, or the cache cannot be written
            return None
        return page_from_cache(name, url, cached)


def page_format_error(url: SecretURL, status: int, reason: str) -> IndexResponseError:
    return IndexResponseError(
        f"the answer is neither a PEP 691 JSON page nor a PEP 503 HTML page ({reason})",
        url=url.redacted,
        status=status,
    )


def page_from_cache(name: NormalizedName, url: SecretURL, cached: CachedPage) -> ProjectPage | None:
    """The cached page, or None when the index answered that it has no such project."""
    if not cached.found:
        return None
    return ProjectPage(
        name=name, source=url.redacted, base=SecretURL(cached.base), groups=cached.groups
    )
