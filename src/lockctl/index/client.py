"""The index client: project pages across several indexes, and release metadata, in parallel.

``IndexClient`` is what the resolver's package source stands on. It asks the indexes in
priority order (the first that has a project wins), adds find-links files, and learns a file's
core metadata the cheapest way that is safe:

1. the PEP 658 ``.metadata`` file, when the index offers one (checked against its hash);
2. for a wheel, HTTP range reads of the zip's tail, central directory and METADATA member;
3. a full download, checked against the index's sha256 before anything is read from it;
   for an sdist, only static PEP 643 metadata, unless the user allows builds.

Everything goes through the persistent cache, and work for many files runs on a bounded
thread pool, one request per file in flight at most.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IndexResponseError, LockctlError, OfflineMiss
from lockctl.index.cache import Cache, CachedPage
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.fetcher import Fetcher, Response
from lockctl.index.findlinks import FindLinks
from lockctl.index.metadata import MetadataReader
from lockctl.index.models import DistributionFile, ProjectNotFound, ProjectPage
from lockctl.index.pageworker import WORKER_MIN_BYTES, PageWorker, worth_a_worker
from lockctl.index.settings import IndexSettings
from lockctl.index.simple import (
    ACCEPT_HEADER,
    PageFormatError,
    is_json_page,
    json_page_chunks,
    list_project_names,
    parse_project_page,
)
from lockctl.urls import SecretURL

__all__ = ["ClientOptions", "IndexClient"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    offline: bool = False
    refresh: bool = False  # refetch project pages even when the cache holds fresh ones
    refresh_projects: frozenset[str] = frozenset()  # the same, for these (normalised) names
    allow_build: bool = False  # build sdists without static metadata (runs their code)
    max_workers: int = 16


class IndexClient:
    def __init__(
        self,
        settings: IndexSettings,
        *,
        fetcher: Fetcher,
        cache: Cache,
        options: ClientOptions | None = None,
    ) -> None:
        self.settings = settings
        self.fetcher = fetcher
        self.cache = cache
        self.options = options or ClientOptions()
        self.sources: Counter[str] = Counter()  # where metadata came from: pep658, range, ...
        self._reader = MetadataReader(fetcher, allow_build=self.options.allow_build)
        self._find_links = FindLinks(settings.find_links, fetcher=fetcher)
        self._lock = threading.Lock()
        self._pages: dict[NormalizedName, Future[ProjectPage | ProjectNotFound]] = {}
        self._metadata: dict[str, Future[CoreMetadata]] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._page_worker: PageWorker | None = None
        self._wants_worker = True  # until worth_a_worker says otherwise

    # -- projects -----------------------------------------------------------------------------

    def project(self, name: str) -> ProjectPage | ProjectNotFound:
        """The files of ``name``: from the first index that has it, plus find-links files."""
        future = self._page_future(canonicalize_name(name))
        if not future.done() and self._page_worker is not None:
            self._page_worker.hurry(canonicalize_name(name))
        return future.result()

    def project_future(self, name: str) -> Future[ProjectPage | ProjectNotFound]:
        """The same, as a future, for callers that chain more work onto it."""
        return self._page_future(canonicalize_name(name))

    def prefetch_projects(self, names: Iterable[str]) -> None:
        for name in names:
            self._page_future(canonicalize_name(name))

    def projects_as_ready(self, names: Iterable[str]) -> Iterator[ProjectPage | ProjectNotFound]:
        """Every project's page, in the order they arrive, so work on one can start at once."""
        futures = [self._page_future(canonicalize_name(name)) for name in names]
        for future in as_completed(futures):
            yield future.result()

    def _page_future(self, name: NormalizedName) -> Future[ProjectPage | ProjectNotFound]:
        with self._lock:
            future = self._pages.get(name)
        if future is not None:
            return future
        ready: Future[ProjectPage | ProjectNotFound] | None = None
        if not self.settings.find_links:
            # Answered from the cache, a page costs a file read: cheaper here than in the pool.
            ready = Future()
            try:
                ready.set_result(self._load_project(name, cache_only=True))
            except _NeedsNetwork:
                ready = None
            except LockctlError as error:
                ready.set_exception(error)
        with self._lock:
            future = self._pages.get(name)
            if future is None:
                future = ready or self._executor().submit(self._load_project, name)
                self._pages[name] = future
        return future

    def _load_project(
        self, name: NormalizedName, *, cache_only: bool = False
    ) -> ProjectPage | ProjectNotFound:
        searched: list[str] = []
        linked = self._find_links.files_for(name)
        for index in self.settings.indexes:
            searched.append(index.redacted)
            page = self._index_page(index, name, cache_only=cache_only)
            if page is not None:
                # The first index that has the project wins: no dependency confusion.
                return ProjectPage(
                    name=name,
                    source=index.redacted,
                    base=page.base,
                    groups=page.groups,
                    extra=linked,
                )
        searched += [url.redacted for url in self.settings.find_links]
        if not linked:
            return ProjectNotFound(name=name, searched=tuple(searched))
        return ProjectPage(
            name=name, source=searched[-1], base=linked[0].url, groups={}, extra=linked
        )

    def _index_page(
        self, index: SecretURL, name: NormalizedName, *, cache_only: bool = False
    ) -> ProjectPage | None:
        url = index.join(f"{name}/")
        if url.scheme == "file":
            if cache_only:
                raise _NeedsNetwork
            return self._fetch_page(url, name, cached=None)
        key = url.without_credentials().secret
        cached = self.cache.get_page(key, allow_stale=True)
        if self.options.offline:
            if cached is None:
                raise OfflineMiss(
                    f"{name} is not in the cache and --offline is set", url=url.redacted
                )
            return _from_cache(name, url, cached)
        refresh = self.options.refresh or name in self.options.refresh_projects
        if cached is not None and not refresh and self.cache.is_fresh(cached):
            return _from_cache(name, url, cached)
        self._start_page_worker()  # the first page to fetch: start it while the request runs
        if cache_only:
            raise _NeedsNetwork
        return self._fetch_page(url, name, cached=cached)

    def _fetch_page(
        self, url: SecretURL, name: NormalizedName, *, cached: CachedPage | None
    ) -> ProjectPage | None:
        headers = {"Accept": ACCEPT_HEADER}
        if cached is not None and cached.etag:
            headers["If-None-Match"] = cached.etag
        response = self.fetcher.get(url, headers=headers)
        key = url.without_credentials().secret
        if response.status == 304 and cached is not None:
            self.cache.touch_page(key, cached)
            return _from_cache(name, url, cached)
        if response.status in (404, 410):
            if url.scheme != "file":
                self.cache.put_page(key, base=key, groups={}, etag=None, found=False)
            return None
        if response.status in (401, 403):
            raise IndexResponseError(
                f"the index refused access (HTTP {response.status}); check the credentials "
                "in the index URL or in ~/.netrc",
                url=url.redacted,
                status=response.status,
            )
        if not response.ok:
            raise IndexResponseError(
                f"unexpected HTTP {response.status}", url=url.redacted, status=response.status
            )
        if (
            url.scheme != "file"
            and self._page_worker is not None
            and len(response.body) >= WORKER_MIN_BYTES
        ):
            page_from_worker = self._parse_in_worker(url, name, key, response)
            if page_from_worker is not None:
                return page_from_worker
        try:
            if url.scheme != "file" and is_json_page(response.content_type):
                # As the worker does: the index's own file dicts, cut out and cached as they are.
                chunks = json_page_chunks(name, response.body)
                base = response.url.without_credentials().secret
                etag = response.headers.get("etag")
                groups = self.cache.put_page_chunks(
                    key, base=base, chunks=chunks, etag=etag, found=True
                )
                return ProjectPage(
                    name=name, source=response.url.redacted, base=response.url, groups=groups
                )
            page = parse_project_page(
                name=name,
                page_url=response.url,
                content_type=response.content_type,
                body=response.body,
            )
        except PageFormatError as exc:
            raise _not_a_page(url, response.status, exc) from None
        if url.scheme != "file":
            self.cache.put_page(
                key,
                base=page.base.without_credentials().secret,
                groups=page.groups,
                etag=response.headers.get("etag"),
                found=True,
            )
        return page

    def _start_page_worker(self) -> None:
        with self._lock:
            if self._page_worker is None and self._wants_worker:
                self._wants_worker = worth_a_worker(self.cache)
                if self._wants_worker:
                    self._page_worker = PageWorker(self.cache)

    def _parse_in_worker(
        self, url: SecretURL, name: NormalizedName, key: str, response: Response
    ) -> ProjectPage | None:
        """The page as the worker process cached it; None to parse it here instead."""
        assert self._page_worker is not None
        try:
            done = self._page_worker.cache_page(
                key,
                name=name,
                page_url=response.url,
                content_type=response.content_type,
                body=response.body,
                etag=response.headers.get("etag"),
            )
        except PageFormatError as exc:
            raise _not_a_page(url, response.status, exc) from None
        cached = self.cache.get_page(key, allow_stale=True) if done else None
        if cached is None:  # no worker, or a cache that cannot be written
            return None
        return _from_cache(name, url, cached)

    def project_names(self) -> list[str]:
        """Every project name the indexes list (their root pages): for "did you mean"."""
        names: list[str] = []
        for index in self.settings.indexes:
            key = index.without_credentials().secret
            cached = None if index.scheme == "file" else self.cache.get_names(key)
            if cached is None:
                response = self.fetcher.get(index, headers={"Accept": ACCEPT_HEADER})
                cached = (
                    list_project_names(response.content_type, response.body) if response.ok else []
                )
                if index.scheme != "file":
                    self.cache.put_names(key, cached)
            names += cached
        return names

    # -- metadata -----------------------------------------------------------------------------

    def metadata(self, dist: DistributionFile) -> CoreMetadata:
        return self._metadata_future(dist).result()

    def prefetch_metadata(self, dists: Iterable[DistributionFile]) -> None:
        """Start fetching what the cache does not hold; cached entries are read when asked."""
        for dist in dists:
            if not self.cache.has_metadata(_metadata_key(dist)):
                self._metadata_future(dist)

    def has_cached_metadata(self, dist: DistributionFile) -> bool:
        return self.cache.has_metadata(_metadata_key(dist))

    def metadata_future(self, dist: DistributionFile) -> Future[CoreMetadata]:
        """The metadata as a future, for callers that chain more work onto it."""
        return self._metadata_future(dist)

    def metadata_many(self, dists: Iterable[DistributionFile]) -> list[CoreMetadata | LockctlError]:
        """Metadata for every file, in order; a failure is returned in its place."""
        futures = [self._metadata_future(dist) for dist in dists]
        results: list[CoreMetadata | LockctlError] = []
        for future in futures:
            try:
                results.append(future.result())
            except LockctlError as exc:
                results.append(exc)
        return results

    def _metadata_future(self, dist: DistributionFile) -> Future[CoreMetadata]:
        key = _metadata_key(dist)
        with self._lock:
            future = self._metadata.get(key)
        if future is not None:
            return future
        # A cache hit is a small file read: cheaper here than a hop through the pool.
        cached = self.cache.get_metadata(key)
        with self._lock:
            future = self._metadata.get(key)
            if future is None:
                if cached is not None:
                    future = Future()
                    future.set_result(cached)
                    self.sources["cache"] += 1
                else:
                    future = self._executor().submit(self._load_metadata, dist, key)
                self._metadata[key] = future
        return future

    def _load_metadata(self, dist: DistributionFile, key: str) -> CoreMetadata:
        if self.options.offline and dist.url.scheme != "file":
            raise OfflineMiss(
                f"metadata of {dist.filename} is not in the cache and --offline is set",
                url=dist.url.redacted,
            )
        metadata, source = self._reader.read(dist)
        self._count(source)
        self.cache.put_metadata(key, metadata)
        return metadata

    def _count(self, source: str) -> None:
        with self._lock:
            self.sources[source] += 1

    # -- lifecycle ----------------------------------------------------------------------------

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(
                max_workers=self.options.max_workers, thread_name_prefix="lockctl-index"
            )
        return self._pool

    def close(self) -> None:
        """Stop fetching what nobody waits for."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        if self._page_worker is not None:
            self._page_worker.close()
        self.fetcher.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _NeedsNetwork(Exception):
    """The cache cannot answer on its own: the work goes to the pool."""


def _not_a_page(url: SecretURL, status: int, problem: PageFormatError) -> IndexResponseError:
    return IndexResponseError(
        f"the answer is neither a PEP 691 JSON page nor a PEP 503 HTML page ({problem})",
        url=url.redacted,
        status=status,
    )


def _from_cache(name: NormalizedName, url: SecretURL, cached: CachedPage) -> ProjectPage | None:
    if not cached.found:
        return None
    return ProjectPage(
        name=name, source=url.redacted, base=SecretURL(cached.base), groups=cached.groups
    )


def _metadata_key(dist: DistributionFile) -> str:
    """A file's metadata never changes for a given hash; without a hash, the URL stands in."""
    if dist.sha256:
        return f"sha256:{dist.sha256}"
    return f"url:{dist.url.without_credentials().secret}"
