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

from lockctl.defaults import MAX_REQUESTS
from lockctl.errors import IndexResponseError, LockctlError, OfflineMiss
from lockctl.index.cache import Cache, CachedPage
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.fetcher import Fetcher
from lockctl.index.findlinks import FindLinks
from lockctl.index.metadata import MetadataReader
from lockctl.index.models import DistributionFile, ProjectNotFound, ProjectPage
from lockctl.index.pagereader import PageReader, page_from_cache
from lockctl.index.settings import IndexSettings
from lockctl.index.simple import ACCEPT_HEADER, list_project_names
from lockctl.urls import SecretURL

__all__ = ["ClientOptions", "IndexClient"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    offline: bool = False
    refresh: bool = False  # refetch project pages even when the cache holds fresh ones
    refresh_projects: frozenset[str] = frozenset()  # the same, for these (normalised) names
    allow_build: bool = False  # build sdists without static metadata (runs their code)
    max_workers: int = MAX_REQUESTS


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
        self._page_reader = PageReader(cache)

    # -- projects -----------------------------------------------------------------------------

    def project(self, name: str) -> ProjectPage | ProjectNotFound:
        """The files of ``name``: from the first index that has it, plus find-links files."""
        future = self._page_future(canonicalize_name(name))
        if not future.done():
            self._page_reader.hurry(canonicalize_name(name))
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
        read: dict[str, CachedPage | None] = {}  # what the cache held: not read twice
        if not self.settings.find_links:
            # Answered from the cache, a page costs a file read: cheaper here than in the pool.
            ready = Future()
            try:
                ready.set_result(self._load_project(name, cache_only=True, read=read))
            except _NeedsNetwork:
                ready = None
            except LockctlError as error:
                ready.set_exception(error)
        with self._lock:
            future = self._pages.get(name)
            if future is None:
                future = ready or self._executor().submit(self._load_project, name, read=read)
                self._pages[name] = future
        return future

    def _load_project(
        self,
        name: NormalizedName,
        *,
        cache_only: bool = False,
        read: dict[str, CachedPage | None] | None = None,
    ) -> ProjectPage | ProjectNotFound:
        searched: list[str] = []
        linked = self._find_links.files_for(name)
        for index in self.settings.indexes:
            searched.append(index.redacted)
            page = self._index_page(index, name, cache_only=cache_only, read=read)
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
        self,
        index: SecretURL,
        name: NormalizedName,
        *,
        cache_only: bool = False,
        read: dict[str, CachedPage | None] | None = None,
    ) -> ProjectPage | None:
        url = index.join(f"{name}/")
        if url.scheme == "file":
            if cache_only:
                raise _NeedsNetwork
            return self._fetch_page(url, name, cached=None)
        key = url.without_credentials().secret
        if read is not None and key in read:
            cached = read[key]  # a stale page is read once, not again for its revalidation
        else:
            cached = self.cache.get_page(key, allow_stale=True)
            if read is not None:
                read[key] = cached
        if self.options.offline:
            if cached is None:
                raise OfflineMiss(
                    f"{name} is not in the cache and --offline is set", url=url.redacted
                )
            return page_from_cache(name, url, cached)
        refresh = self.options.refresh or name in self.options.refresh_projects
        if cached is not None and not refresh and self.cache.is_fresh(cached):
            return page_from_cache(name, url, cached)
        self._page_reader.expect_pages()
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
            return page_from_cache(name, url, cached)
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
        return self._page_reader.read(url, name, response)

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
        self._page_reader.close()
        self.fetcher.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _NeedsNetwork(Exception):
    """The cache cannot answer on its own: the work goes to the pool."""


def _metadata_key(dist: DistributionFile) -> str:
    """A file's metadata never changes for a given hash; without a hash, the URL stands in."""
    if dist.sha256:
        return f"sha256:{dist.sha256}"
    return f"url:{dist.url.without_credentials().secret}"
