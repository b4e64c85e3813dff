"""The index client: project pages across several indexes, and release metadata, in parallel.

``IndexClient`` is what the resolver's package source stands on. It asks the indexes in
priority order (the first that has a project wins), adds find-links files, and learns a file's
core metadata the cheapest way that is safe:

1. the PEP 658 ``.metadata`` file, when the index offers one (checked against its hash);
2. for a wheel, HTTP range reads of the zip's tail, central directory and METADATA member;
3. a full download, checked against the index's sha256 before anything is read from it;
   for an sdist, only static PEP 643 metadata, unless the user allows builds.

A project page is asked of the cache first (``PageReader.look_up``: fresh, stale or a miss),
then fetched if that does not settle it, a stale page revalidated with its ETag. What the cache
settles is answered in the calling thread; the rest runs on a bounded thread pool, one request
per page or file in flight at most. Metadata goes through the cache the same way.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from types import TracebackType

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.defaults import MAX_REQUESTS
from lockctl.errors import (
    IndexFailure,
    IndexResponseError,
    LockctlError,
    OfflineMiss,
    WrongIndexURL,
)
from lockctl.index.cache import Cache, CachedPage, LazyGroups, is_cacheable, url_key
from lockctl.index.coremeta import CoreMetadata
from lockctl.index.fetcher import Fetcher, HttpFetcher, Response
from lockctl.index.fetchworker import FetchWorker, PageFetched, adopt_early, policy_fields
from lockctl.index.findlinks import FindLinks
from lockctl.index.metadata import MetadataReader, metadata_mismatch
from lockctl.index.models import DistributionFile, FileRecord, ProjectNotFound, ProjectPage
from lockctl.index.pagereader import (
    Fresh,
    Miss,
    PageLookup,
    PageReader,
    Stale,
    page_format_error,
    page_from_cache,
)
from lockctl.index.pageworker import worth_a_worker
from lockctl.index.projectnames import SUGGESTION_WAIT, NameSuggestions, ProjectNameSearch
from lockctl.index.settings import IndexSettings
from lockctl.index.simple import ACCEPT_HEADER
from lockctl.index.workpool import Urgency, WorkPool
from lockctl.tracing import Tracer
from lockctl.urls import SecretURL

__all__ = ["ClientOptions", "IndexClient"]


class _FetchHere:
    """The fetch worker did not fetch the page: this process does."""


_FETCH_HERE = _FetchHere()
_WORKER_GRACE = 1.0  # seconds the fetch worker may take beyond a request's own deadline


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOptions:
    offline: bool = False
    refresh: bool = False  # refetch project pages even when the cache holds fresh ones
    refresh_projects: frozenset[str] = frozenset()  # the same, for these (normalised) names
    allow_build: bool = False  # build sdists without static metadata (runs their code)
    max_workers: int = MAX_REQUESTS
    linger: bool = False  # close in the background after a run that went well (a CLI run)


class IndexClient:
    def __init__(
        self,
        settings: IndexSettings,
        *,
        fetcher: Fetcher,
        cache: Cache,
        options: ClientOptions | None = None,
        tracer: Tracer | None = None,
    ) -> None:
        self.settings = settings
        self.tracer = tracer or Tracer()
        self.fetcher = fetcher
        self.cache = cache
        self.options = options or ClientOptions()
        self.sources: Counter[str] = Counter()  # where metadata came from: pep658, range, ...
        self._reader = MetadataReader(fetcher, allow_build=self.options.allow_build)
        self._find_links = FindLinks(settings.find_links, fetcher=fetcher)
        self._lock = threading.Lock()
        self._pages: dict[NormalizedName, Future[ProjectPage | ProjectNotFound]] = {}
        self._metadata: dict[str, Future[CoreMetadata]] = {}
        # Its threads start with the first request.
        self._pool = WorkPool(self.options.max_workers, thread_name_prefix="lockctl-index")
        self._page_reader = PageReader(cache)
        self._fetch_worker = self._adopt_fetch_worker()
        # Per index: how many projects it had and how many it answered 404 for (a cached
        # answer counts): an index with only the latter may be a wrong URL.
        self._found = [0] * len(settings.indexes)
        self._missing = [0] * len(settings.indexes)
        self._names = ProjectNameSearch(
            settings.indexes,
            fetcher=fetcher,
            cache=cache,
            reporter=cache.reporter,
            offline=self.options.offline,
        )

    @property
    def page_worker_running(self) -> bool:
        """Whether a page worker process takes this client's large pages.

        It starts with the first page fetched, where it can help (``worth_a_worker``), and is
        gone once it failed; pages are then parsed in this process.
        """
        worker = self._page_reader.worker
        return worker is not None and worker.pid is not None

    @property
    def fetch_worker(self) -> FetchWorker | None:
        """The worker process that fetches this client's pages, while it does (diagnostics and
        tests): one a CLI run started early (``fetchworker.start_early``), adopted here."""
        worker = self._fetch_worker
        return worker if worker is not None and worker.pid is not None else None

    # -- projects -----------------------------------------------------------------------------

    def project(self, name: str) -> ProjectPage | ProjectNotFound:
        """The files of ``name``: from the first index that has it, plus find-links files."""
        future = self._page_future(canonicalize_name(name))
        if not future.done():
            self._page_reader.hurry(canonicalize_name(name))
            if self._fetch_worker is not None:
                self._fetch_worker.hurry(canonicalize_name(name))
        return future.result()

    def project_future(self, name: str) -> Future[ProjectPage | ProjectNotFound]:
        """The same, as a future, for callers that chain more work onto it."""
        return self._page_future(canonicalize_name(name))

    def prefetch_projects(self, names: Iterable[str]) -> None:
        for name in names:
            self._page_future(canonicalize_name(name))

    def _page_future(self, name: NormalizedName) -> Future[ProjectPage | ProjectNotFound]:
        with self._lock:
            future = self._pages.get(name)
        if future is not None:
            return future
        ready: Future[ProjectPage | ProjectNotFound] | None = None
        lookups: tuple[PageLookup, ...] = ()
        if not self.settings.find_links:
            # Answered from the cache, a page costs a file read: cheaper here than in the pool.
            lookups, settled = self._look_up_pages(name)
            if settled:
                ready = _run_now(self._load_project, name, lookups)
        with self._lock:
            future = self._pages.get(name)
            if future is None:
                # What the cache said travels with the work: a stale page is read once.
                future = ready or self._pool.submit(Urgency.PAGE, self._load_project, name, lookups)
                self._pages[name] = future
        return future

    def _look_up_pages(self, name: NormalizedName) -> tuple[tuple[PageLookup, ...], bool]:
        """The cache's answers, index by index, and whether they settle the project.

        The answers go as far as ``_load_project`` would read them: to the first index whose
        page must be fetched (then they do not settle it), or that has the project.
        """
        lookups: list[PageLookup] = []
        for index in self.settings.indexes:
            url = index.join(f"{name}/")
            lookup = self._look_up(url, name)
            lookups.append(lookup)
            if self._needs_request(url, lookup):
                if self._fetch_worker is None:  # the page worker starts while the work queues
                    self._page_reader.expect_page(url)
                return tuple(lookups), False
            if isinstance(lookup, Miss) or lookup.entry.found:
                break  # an offline miss, or the first index that has the project: done
        return tuple(lookups), True

    def _load_project(
        self, name: NormalizedName, lookups: Sequence[PageLookup] = ()
    ) -> ProjectPage | ProjectNotFound:
        """The project from the first index that has it, plus its find-links files.

        ``lookups`` are the cache's answers for the first indexes, already asked for; the
        cache is asked here for the others.
        """
        searched: list[str] = []
        linked = self._find_links.files_for(name)
        for position, index in enumerate(self.settings.indexes):
            searched.append(index.redacted)
            url = index.join(f"{name}/")
            lookup = lookups[position] if position < len(lookups) else self._look_up(url, name)
            page = self._index_page(url, name, lookup)
            self._tally(position, found=page is not None)
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

    def _look_up(self, url: SecretURL, name: NormalizedName) -> PageLookup:
        refresh = self.options.refresh or name in self.options.refresh_projects
        return self._page_reader.look_up(url, refresh=refresh)

    def _needs_request(self, url: SecretURL, lookup: PageLookup) -> bool:
        """Whether the page must be fetched, after what the cache said.

        A fresh page is the answer. Offline, whatever the cache holds is the answer, and a
        miss is an error; only a page that is never cached (``file://``) is still read.
        """
        if isinstance(lookup, Fresh):
            return False
        return not (self.options.offline and is_cacheable(url))

    def _index_page(
        self, url: SecretURL, name: NormalizedName, lookup: PageLookup
    ) -> ProjectPage | None:
        """The index's page for ``name`` (None: not there): from the cache, or fetched."""
        if not self._needs_request(url, lookup):
            if isinstance(lookup, Miss):
                raise OfflineMiss(
                    f"{name} is not in the cache and --offline is set", url=url.redacted
                )
            self.tracer.count("pages_cached")
            if isinstance(lookup.entry.groups, LazyGroups) and not self.options.offline:
                lookup.entry.groups.recover_with(lambda: self._fetch_again(url, name))
            return page_from_cache(name, url, lookup.entry)
        self._page_reader.expect_page(url)
        self.tracer.count("pages")
        with self.tracer.span(f"page {name}", "index"):
            return self._fetch_page(
                url, name, stale=lookup.entry if isinstance(lookup, Stale) else None
            )

    def _fetch_again(
        self, url: SecretURL, name: NormalizedName
    ) -> Mapping[str, Sequence[FileRecord]] | None:
        """The page's releases fetched anew, for a cached page found damaged while in use."""
        with self.tracer.span(f"page {name} again", "index"):
            page = self._fetch_page(url, name, stale=None)
        return None if page is None else page.groups

    def _fetch_page(
        self, url: SecretURL, name: NormalizedName, *, stale: CachedPage | None
    ) -> ProjectPage | None:
        """Fetch the page; a stale entry is revalidated with its ETag (304: it stands)."""
        if stale is None and self._fetch_worker is not None:
            fetched = self._fetch_in_worker(url, name)
            if not isinstance(fetched, _FetchHere):
                return fetched
        headers = {"Accept": ACCEPT_HEADER}
        if stale is not None and stale.etag:
            headers["If-None-Match"] = stale.etag
        response = self.fetcher.get(url, headers=headers)
        if response.status == 304 and stale is not None:
            self.cache.touch_page(url_key(url), stale)
            return page_from_cache(name, url, stale)
        if response.status in (404, 410):
            self._not_found(url)
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

    def _not_found(self, url: SecretURL) -> None:
        if is_cacheable(url):
            key = url_key(url)
            self.cache.put_page(key, base=key, groups={}, etag=None, found=False)

    # -- the fetch worker (fetchworker.py, an optimisation) ---------------------------------------

    def _adopt_fetch_worker(self) -> FetchWorker | None:
        """The worker a CLI run started early, if it can serve this client's pages."""
        worker = adopt_early()
        if worker is None:
            return None
        http = self.fetcher if isinstance(self.fetcher, HttpFetcher) else None
        usable = http is not None and not self.options.offline and worth_a_worker(self.cache)
        if http is None or not usable:
            worker.close()
            return None
        fields = {
            **policy_fields(http.policy),
            "max_connections": self.options.max_workers,
            "run_deadline": http.time_left(),  # --timeout, from now: the worker keeps it too
        }
        if not worker.configure(self.cache, fields):
            return None
        self._reader.member_elsewhere = self._member_in_worker
        return worker

    def _member_in_worker(self, dist: DistributionFile) -> bytes | None:
        """A wheel's METADATA member as the fetch worker read it; None: read it here."""
        worker = self._fetch_worker
        if worker is None or not self._for_worker(dist.url):
            return None
        plain = dist.url.without_credentials()
        reply = self._worker_reply(plain, worker.read_member(plain), status=206)
        body = None if reply is None else reply.get("body")
        return body if isinstance(body, bytes) else None

    def _fetch_in_worker(
        self, url: SecretURL, name: NormalizedName
    ) -> ProjectPage | _FetchHere | None:
        """The page as the fetch worker cached it, None if the index has no such project, or
        ``_FETCH_HERE`` when this process must fetch it the plain way."""
        worker = self._fetch_worker
        if worker is None or not self._for_worker(url):
            return _FETCH_HERE
        key, plain = url_key(url), url.without_credentials()
        reply = self._worker_reply(plain, worker.fetch_page(plain, key=key, name=name))
        status = None if reply is None else reply.get("status")
        if reply is None or status not in (200, 404, 410):
            return _FETCH_HERE
        if "error" in reply:
            raise page_format_error(url, status, str(reply["error"]))
        if status != 200:
            self._not_found(url)
            return None
        body = reply.get("body")
        if isinstance(body, bytes):  # a small page, sent back to be cut here
            headers = {"content-type": str(reply.get("type", ""))}
            if isinstance(reply.get("etag"), str):
                headers["etag"] = reply["etag"]
            final = SecretURL(str(reply["url"]))
            fetched = Response(url=final, status=200, headers=headers, body=body)
            return self._page_reader.read(url, name, fetched)
        cached = self.cache.get_page(key, allow_stale=True)
        return _FETCH_HERE if cached is None else page_from_cache(name, url, cached)

    def _for_worker(self, url: SecretURL) -> bool:
        """Whether the fetch worker may fetch ``url``: it never sees credentials."""
        http = self.fetcher
        return (
            url.scheme in ("http", "https")
            and isinstance(http, HttpFetcher)
            and http.credentials.for_url(url) is None
        )

    def _worker_reply(
        self, url: SecretURL, future: Future[PageFetched] | None, *, status: int = 200
    ) -> PageFetched | None:
        """The worker's reply, traced and counted as this process's own request would be; None
        when it could not take the request, or took too long (the run then does without it).
        ``status``: what its answer stands for (206: a wheel's member, read by ranges)."""
        http, worker = self.fetcher, self._fetch_worker
        assert isinstance(http, HttpFetcher) and worker is not None
        if future is None:
            return None
        wait, left = http.policy.request_deadline, http.time_left()
        wait = wait if left is None else min(wait, left)
        with self.tracer.span(f"GET {url.redacted}", "http") as args:
            try:
                reply = future.result(timeout=wait + _WORKER_GRACE)
            except FutureTimeout:
                worker.stop()
                reply = {"fallback": "the fetch worker did not answer in time"}
            args["worker"] = True
            if "fallback" in reply:
                args["fallback"] = reply["fallback"]
                return None
            body = reply.get("body")
            size = len(body) if isinstance(body, bytes) else int(reply.get("bytes", 0))
            args.update(status=status if reply.get("status") == 200 else reply.get("status"))
            args["bytes"] = size
        self.tracer.count("requests")
        self.tracer.count("bytes", size)
        http.stats.record(body=size)
        return reply

    def _tally(self, position: int, *, found: bool) -> None:
        with self._lock:
            (self._found if found else self._missing)[position] += 1

    # -- when a project is not found ------------------------------------------------------------

    def check_index_roots(self) -> None:
        """Raise ``WrongIndexURL`` for an index that had none of this run's projects and
        whose root does not answer as a simple index does.

        pip reports every project of a wrong index URL as not found. One HEAD request of the
        root tells the cases apart: a PEP 503 index lists its projects there, so a 404 (or
        410) at the root means the URL points somewhere else. Only 404 and 410 count: a
        server that refuses HEAD, or fails, says nothing about the URL.
        """
        for position, index in enumerate(self.settings.indexes):
            with self._lock:
                suspect = self._missing[position] > 0 and self._found[position] == 0
                missing = self._missing[position]
            if not suspect or (self.options.offline and is_cacheable(index)):
                continue
            try:
                response = self.fetcher.head(index, within=SUGGESTION_WAIT)
            except IndexFailure:
                continue
            if response.status in (404, 410):
                raise WrongIndexURL(url=index.redacted, status=response.status, projects=missing)

    def suggest_names(self, name: str, *, wait: float = SUGGESTION_WAIT) -> NameSuggestions:
        """Names on the indexes close to ``name``, found within ``wait`` seconds.

        Suggestions are a courtesy: an index whose list fails, or is not cached offline, only
        adds no names (the error being explained is the one that counts). ``wait`` is cut to
        what is left of the run's time on the indexes (``--timeout``).
        """
        left = self.fetcher.time_left()  # the run's deadline comes first
        return self._names.suggest(name, wait=wait if left is None else min(wait, left))

    def project_names(self, *, wait: float = SUGGESTION_WAIT) -> list[str]:
        """Every project name the indexes list (their root pages, normalised)."""
        return self._names.all_names(wait=wait)

    # -- metadata -----------------------------------------------------------------------------

    def metadata(self, dist: DistributionFile) -> CoreMetadata:
        return self.metadata_future(dist).result()

    def has_cached_metadata(self, dist: DistributionFile) -> bool:
        return self.cache.has_metadata(_metadata_key(dist))

    def has_metadata_future(self, dist: DistributionFile) -> bool:
        """Whether the metadata was asked for already (fetched, on its way, or from the cache)."""
        with self._lock:
            return _metadata_key(dist) in self._metadata

    def metadata_future(
        self, dist: DistributionFile, *, guess: bool = False
    ) -> Future[CoreMetadata]:
        """The metadata as a future, for callers that chain more work onto it.

        ``guess``: nobody waits for it yet (a lookahead or a prefetch), so it is fetched after
        pages and after metadata somebody wants; asked for again without ``guess``, a read
        still queued as a guess is hurried.
        """
        urgency = Urgency.GUESS if guess else Urgency.WANTED
        key = _metadata_key(dist)
        with self._lock:
            future = self._metadata.get(key)
        if future is not None:
            if not guess and not future.done() and not future.running():
                self._pool.hurry(future, urgency)
            return future
        return self._metadata_future(dist, key, urgency)

    def _metadata_future(
        self, dist: DistributionFile, key: str, urgency: Urgency
    ) -> Future[CoreMetadata]:
        # A cache hit is a small file read: cheaper here than a hop through the pool.
        cached = self.cache.get_metadata(key)
        mismatch = None if cached is None else metadata_mismatch(dist, cached)
        if mismatch is not None:  # as after a download: the metadata must be this file's
            self.cache.discard_metadata(key, f"metadata of another release: {mismatch}")
            cached = None
        with self._lock:
            future = self._metadata.get(key)
            if future is None:
                if cached is not None:
                    future = Future()
                    future.set_result(cached)
                    self.sources["cache"] += 1
                    self.tracer.count("metadata_cached")
                else:
                    future = self._pool.submit(urgency, self._load_metadata, dist, key)
                    # Written to the cache after the answer is handed over: a waiting resolver
                    # goes on while the file is written (the callback runs in the worker).
                    future.add_done_callback(lambda done: self._remember_metadata(key, done))
                self._metadata[key] = future
        return future

    def _remember_metadata(self, key: str, done: Future[CoreMetadata]) -> None:
        if not done.cancelled() and done.exception() is None:
            self.cache.put_metadata(key, done.result())

    def _load_metadata(self, dist: DistributionFile, key: str) -> CoreMetadata:
        # A local file is no request: it is read offline too (and its metadata cached).
        if self.options.offline and dist.url.scheme != "file":
            raise OfflineMiss(
                f"metadata of {dist.filename} is not in the cache and --offline is set",
                url=dist.url.redacted,
            )
        self.tracer.count("metadata")
        with self.tracer.span(f"metadata {dist.filename}", "index") as args:
            metadata, source = self._reader.read(dist)
            args["from"] = source
        self._count(source)
        return metadata

    def _count(self, source: str) -> None:
        with self._lock:
            self.sources[source] += 1

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self, *, wait: bool = True, linger: bool = False) -> None:
        """Stop fetching what nobody waits for; ``wait``: for the requests in flight to end.

        ``linger``: the page worker's last cache writes and the connections' goodbyes are left
        to a background thread, for a process about to exit: they cost a cold compile about
        0.3 s of waiting at its very end (benchmarks/compile.py), and the worker finishes its
        writes on its own once its input closes.
        """
        self._pool.shutdown(wait=wait, cancel_futures=True)
        if linger:
            threading.Thread(target=self._let_go, name="lockctl-index-close", daemon=True).start()
        else:
            self._let_go()

    def _let_go(self) -> None:
        if self._fetch_worker is not None:
            self._fetch_worker.close()
        self._page_reader.close()
        self.fetcher.close()

    def __enter__(self) -> IndexClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        # Interrupted (Ctrl-C, SIGTERM): a request in flight may hang until its deadline, and
        # the run must not wait for it; every other way out waits, bounded by the deadlines.
        self.close(
            wait=exc_type is None or issubclass(exc_type, Exception),
            linger=self.options.linger and exc_type is None,
        )


def _run_now(
    load: Callable[[NormalizedName, Sequence[PageLookup]], ProjectPage | ProjectNotFound],
    name: NormalizedName,
    lookups: Sequence[PageLookup],
) -> Future[ProjectPage | ProjectNotFound]:
    """The outcome of ``load`` in this thread, as a finished future (an error included)."""
    ready: Future[ProjectPage | ProjectNotFound] = Future()
    try:
        ready.set_result(load(name, lookups))
    except LockctlError as error:
        ready.set_exception(error)
    return ready


def _metadata_key(dist: DistributionFile) -> str:
    """A file's metadata never changes for a given hash; without a hash, the URL stands in."""
    if dist.sha256:
        return f"sha256:{dist.sha256}"
    return f"url:{dist.url.without_credentials().secret}"
