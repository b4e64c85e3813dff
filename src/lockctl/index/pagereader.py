"""Turn a fetched project page into a ``ProjectPage`` and a cache entry, in the cheapest place.

A large page (numpy's is 2 MB of JSON) goes to the page worker process, on another CPU; a small
one is stored right here, as the worker stores pages (``store_page``); a page from a
``file://`` index is parsed here and never cached. A page that is neither JSON nor
HTML is an ``IndexResponseError`` wherever it was read.
"""

from __future__ import annotations

import threading

from packaging.utils import NormalizedName

from lockctl.errors import IndexResponseError
from lockctl.index.cache import Cache, CachedPage
from lockctl.index.fetcher import Response
from lockctl.index.models import ProjectPage
from lockctl.index.pageworker import WORKER_MIN_BYTES, PageWorker, store_page, worth_a_worker
from lockctl.index.simple import PageFormatError, parse_project_page
from lockctl.urls import SecretURL

__all__ = ["PageReader", "page_from_cache"]


class PageReader:
    def __init__(self, cache: Cache) -> None:
        self.cache = cache
        self._lock = threading.Lock()
        self._worker: PageWorker | None = None
        self._wants_worker = True  # until worth_a_worker says otherwise

    def expect_pages(self) -> None:
        """Pages will be fetched: start the worker now, while the first request runs."""
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
        """The page the index sent for ``url``, cached unless it came from a ``file://`` URL."""
        key = url.without_credentials().secret
        page: ProjectPage | None = None
        try:
            if url.scheme == "file":
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
            raise IndexResponseError(
                f"the answer is neither a PEP 691 JSON page nor a PEP 503 HTML page ({exc})",
                url=url.redacted,
                status=response.status,
            ) from None
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


def page_from_cache(name: NormalizedName, url: SecretURL, cached: CachedPage) -> ProjectPage | None:
    """The cached page, or None when the index answered that it has no such project."""
    if not cached.found:
        return None
    return ProjectPage(
        name=name, source=url.redacted, base=SecretURL(cached.base), groups=cached.groups
    )
