"""The network seam: a small ``Fetcher`` Protocol and its real implementation.

Everything lockctl reads from an index goes through ``get``, ``get_range``, ``get_tail`` and
``head``. ``HttpFetcher`` speaks HTTP(S) through one thread-safe urllib3 pool manager (imported
lazily, so a fully cached run never pays for it) and reads ``file://`` URLs from the disk.
Transient failures (connection errors, timeouts, truncated bodies, 5xx) are retried with
exponential backoff; an HTTP 4xx answer is returned as a value for the caller to judge. Every
request has a deadline, retries included, and so has the whole run (``deadlines.py``): a body is
read in chunks and cut off when time is up, however steadily the server keeps sending.

urllib3 rather than httpx: on a cold data-science stack the client's own CPU time per request
decided the wall time (two cores, one GIL), and urllib3 needed about half of httpx's.
"""

from __future__ import annotations

import base64
import contextlib
import os
import random
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lockctl import __version__
from lockctl.defaults import MAX_REQUESTS
from lockctl.errors import IndexResponseError, IndexUnreachable, InsecureIndex
from lockctl.events import Reporter, Retrying, ignore_events
from lockctl.index.auth import CredentialStore
from lockctl.index.deadlines import Deadline
from lockctl.tracing import Tracer
from lockctl.urls import SecretURL, file_url_path, redact_text

if TYPE_CHECKING:
    import urllib3

    from lockctl.index.dns import HostCache

__all__ = ["FetchPolicy", "FetchStats", "Fetcher", "HttpFetcher", "Response", "StreamedResponse"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504})
# The most one read of a body asks for: it returns what one receive brings, often far less.
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    url: SecretURL  # after redirects
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamedResponse:
    """An answer whose body is read a chunk at a time (``chunks``), never held whole.

    Iterating ``chunks`` raises ``IndexUnreachable`` when the stream's deadline passes.
    """

    url: SecretURL
    status: int
    headers: Mapping[str, str]  # lower-case names
    chunks: Iterator[bytes]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


class Fetcher(Protocol):
    def get(self, url: SecretURL, *, headers: Mapping[str, str] | None = None) -> Response: ...

    def stream(
        self, url: SecretURL, *, headers: Mapping[str, str] | None = None, within: float
    ) -> AbstractContextManager[StreamedResponse]:
        """One attempt at ``url`` whose body is read as it arrives, all within ``within`` s.

        For a body too big to hold twice (an index's project list) and a wait that must stay
        short: no retries, and the run's deadline still applies.
        """
        ...

    def get_range(self, url: SecretURL, start: int, end: int) -> Response:
        """Bytes ``start`` to ``end`` inclusive; a server that ignores Range answers 200."""
        ...

    def get_tail(self, url: SecretURL, length: int) -> Response:
        """The last ``length`` bytes (a suffix range); 200 with the whole body if unsupported."""
        ...

    def head(self, url: SecretURL, *, within: float | None = None) -> Response:
        """``within``: seconds the request may take, instead of the policy's deadline."""
        ...

    def time_left(self) -> float | None:
        """Seconds the run may still spend on requests (``--timeout``); None: no limit."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # the longest silence between two bytes
    # Seconds one request may take, retries and backoff included, however steadily the server
    # sends: generous, since a full download of a large wheel on a slow link takes a while.
    request_deadline: float = 120.0
    # Seconds from the fetcher's creation (the start of a run) after which every request
    # fails at once; ``open_index`` sets it from ``--timeout``. None: no limit.
    run_deadline: float | None = None
    retries: int = 3
    backoff: float = 0.25  # first delay in seconds; doubles each retry, with jitter
    max_connections: int = MAX_REQUESTS
    cafile: str | None = None  # pip's --cert / PIP_CERT; SSL_CERT_FILE is honoured by default
    trusted_hosts: tuple[str, ...] = ()  # pip's --trusted-host: plain HTTP or unverified TLS


@dataclass(slots=True)
class FetchStats:
    """Counters for benchmarks and progress; safe to update from many threads."""

    requests: int = 0
    bytes_received: int = 0
    retries: int = 0
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self, delta: int) -> None:
        with self._lock:
            self.in_flight += delta

    def record(self, *, body: int, retried: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_received += body
            self.retries += int(retried)


class _Transient(Exception):
    """A failure worth another try."""


class _OutOfTime(Exception):
    """The request's deadline passed while its answer was still arriving."""


class HttpFetcher:
    """The real fetcher: pooled HTTP(S) with retries, and ``file://`` from the disk."""

    def __init__(
        self,
        *,
        policy: FetchPolicy | None = None,
        credentials: CredentialStore | None = None,
        reporter: Reporter = ignore_events,
        tracer: Tracer | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.tracer = tracer or Tracer()
        self.credentials = credentials or CredentialStore()
        self.reporter = reporter
        self.stats = FetchStats()
        run = self.policy.run_deadline
        self._run_deadline = None if run is None else Deadline.after(run, run=True)
        self._managers: dict[tuple[str | None, bool], urllib3.PoolManager] = {}
        self._hosts: HostCache | None = None
        self._proxies: dict[tuple[str, str], str | None] = {}
        self._client_lock = threading.Lock()

    # -- the Protocol -------------------------------------------------------------------------

    def get(self, url: SecretURL, *, headers: Mapping[str, str] | None = None) -> Response:
        return self._request("GET", url, dict(headers or {}))

    def get_range(self, url: SecretURL, start: int, end: int) -> Response:
        return self._request("GET", url, {"Range": f"bytes={start}-{end}"})

    def get_tail(self, url: SecretURL, length: int) -> Response:
        return self._request("GET", url, {"Range": f"bytes=-{length}"})

    def head(self, url: SecretURL, *, within: float | None = None) -> Response:
        return self._request("HEAD", url, {}, within=within)

    @contextlib.contextmanager
    def stream(
        self, url: SecretURL, *, headers: Mapping[str, str] | None = None, within: float
    ) -> Iterator[StreamedResponse]:
        if url.scheme == "file":
            whole = _read_file_url(url, "GET", dict(headers or {}))
            yield StreamedResponse(
                url=whole.url,
                status=whole.status,
                headers=whole.headers,
                chunks=iter(
                    [whole.body[i : i + _CHUNK] for i in range(0, len(whole.body), _CHUNK)]
                ),
            )
            return
        self._check_origin(url)
        deadline = Deadline.after(within, run=False).earliest(self._run_deadline)
        self.stats.started(1)
        try:
            reply, final = self._open_with_retries(url, dict(headers or {}), deadline)
            try:
                yield StreamedResponse(
                    url=final,
                    status=reply.status,
                    headers=_lower(reply.headers),
                    chunks=self._chunks(reply, url, deadline),
                )
            finally:
                reply.close()  # a body not read to its end cannot go back to the pool
                reply.release_conn()
        finally:
            self.stats.started(-1)

    def time_left(self) -> float | None:
        return None if self._run_deadline is None else max(self._run_deadline.remaining(), 0.0)

    def close(self) -> None:
        for manager in self._managers.values():
            manager.clear()

    # -- internals ----------------------------------------------------------------------------

    def _request(
        self, method: str, url: SecretURL, headers: dict[str, str], *, within: float | None = None
    ) -> Response:
        if url.scheme == "file":
            return _read_file_url(url, method, headers)
        self._check_origin(url)
        self.stats.started(1)
        try:
            with self.tracer.span(f"{method} {url.redacted}", "http") as args:
                response = self._with_retries(method, url, headers, within=within)
                args.update(status=response.status, bytes=len(response.body))
                if "Range" in headers:
                    args["range"] = headers["Range"]
            self.tracer.count("requests")
            self.tracer.count("bytes", len(response.body))
            return response
        finally:
            self.stats.started(-1)

    def _check_origin(self, url: SecretURL) -> None:
        if url.scheme not in ("http", "https"):
            raise IndexResponseError(f"unsupported URL scheme {url.scheme!r}", url=url.redacted)
        if url.scheme == "http" and not self._trusted(url) and not _is_loopback(url):
            # pip ignores an insecure origin unless the user vouched for it.
            raise InsecureIndex(
                f"{url.redacted} uses plain HTTP, which anyone on the network can tamper with",
                url=url.redacted,
                host=url.netloc_host,
                hint=f"use HTTPS, or add --trusted-host {url.netloc_host} if you mean it",
            )

    def _open_with_retries(
        self, url: SecretURL, headers: dict[str, str], deadline: Deadline
    ) -> tuple[urllib3.BaseHTTPResponse, SecretURL]:
        """Status and headers of a GET, retried as ``_with_retries`` does until a body starts."""
        attempt = 0
        reason = ""
        while True:
            if deadline.remaining() <= 0:
                raise deadline.error(url, last=reason)
            try:
                reply, final = self._open(url, "GET", headers, deadline)
            except _Transient as exc:
                reason = str(exc)
                if attempt >= self.policy.retries:
                    raise IndexUnreachable(
                        f"gave up after {attempt + 1} attempts: {exc}", url=url.redacted
                    ) from None
            else:
                if reply.status not in _RETRY_STATUSES or attempt >= self.policy.retries:
                    return reply, final
                reply.close()
                reply.release_conn()
                reason = f"HTTP {reply.status}"
            delay = self.policy.backoff * (2**attempt) * (0.5 + random.random() / 2)
            if delay >= deadline.remaining():
                raise deadline.error(url, last=reason)
            attempt += 1
            self.reporter(Retrying(url=url.redacted, attempt=attempt, reason=reason, delay=delay))
            time.sleep(delay)

    def _with_retries(
        self, method: str, url: SecretURL, headers: dict[str, str], *, within: float | None
    ) -> Response:
        limit = self.policy.request_deadline if within is None else within
        deadline = Deadline.after(limit, run=False).earliest(self._run_deadline)
        attempt = 0
        reason = ""
        while True:
            if deadline.remaining() <= 0:
                raise deadline.error(url, last=reason)
            try:
                response = self._send_once(method, url, headers, deadline)
            except _OutOfTime:
                raise deadline.error(url, last=reason) from None
            except _Transient as exc:
                reason = str(exc)
                if deadline.remaining() <= 0:
                    raise deadline.error(url, last=reason) from None
                if attempt >= self.policy.retries:
                    raise IndexUnreachable(
                        f"gave up after {attempt + 1} attempts: {exc}", url=url.redacted
                    ) from None
            else:
                if response.status not in _RETRY_STATUSES:
                    self.stats.record(body=len(response.body), retried=attempt > 0)
                    return response
                if attempt >= self.policy.retries:
                    raise IndexResponseError(
                        f"HTTP {response.status} after {attempt + 1} attempts",
                        url=url.redacted,
                        status=response.status,
                    )
                reason = f"HTTP {response.status}"
            delay = self.policy.backoff * (2**attempt) * (0.5 + random.random() / 2)
            if delay >= deadline.remaining():
                raise deadline.error(url, last=reason)  # the sleep would outlast the deadline
            attempt += 1
            self.reporter(Retrying(url=url.redacted, attempt=attempt, reason=reason, delay=delay))
            time.sleep(delay)

    def _send_once(
        self, method: str, url: SecretURL, headers: dict[str, str], deadline: Deadline
    ) -> Response:
        reply, final = self._open(url, method, headers, deadline)
        body = _read_body(reply, deadline, self.policy.read_timeout)
        return Response(url=final, status=reply.status, headers=_lower(reply.headers), body=body)

    def _open(
        self, url: SecretURL, method: str, headers: dict[str, str], deadline: Deadline
    ) -> tuple[urllib3.BaseHTTPResponse, SecretURL]:
        """Send the request and read the status and headers; the body is left to the caller.

        A host name that does not resolve is an ``IndexUnreachable`` at once; any other
        connection failure is ``_Transient`` (worth another try).
        """
        import urllib3

        plain = url.without_credentials()
        auth = self.credentials.for_url(url)
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            headers = {**headers, "Authorization": f"Basic {token}"}
        left = max(deadline.remaining(), 0.001)
        try:
            reply = self._pool_for(plain).request(
                method,
                plain.secret,
                headers=headers,
                # lockctl retries itself (with backoff and events); urllib3 only redirects,
                # dropping the Authorization header when a redirect leaves the host.
                retries=urllib3.Retry(total=10, connect=0, read=0, other=0, status=0),
                timeout=urllib3.Timeout(
                    connect=min(self.policy.connect_timeout, left),
                    read=min(self.policy.read_timeout, left),
                ),
                preload_content=False,
            )
        except urllib3.exceptions.HTTPError as exc:
            _raise_connection_error(exc, url, self._proxies.get((plain.scheme, plain.netloc_host)))
            raise  # not reached
        final = reply.geturl() or plain.secret
        return reply, self.credentials.reattach(plain.join(final), url)

    def _chunks(
        self, reply: urllib3.BaseHTTPResponse, url: SecretURL, deadline: Deadline
    ) -> Iterator[bytes]:
        import urllib3

        try:
            yield from _body_chunks(reply, deadline, self.policy.read_timeout)
        except _OutOfTime:
            raise deadline.error(url) from None
        except urllib3.exceptions.HTTPError as exc:
            raise IndexUnreachable(
                redact_text(f"{type(exc).__name__}: {exc}"), url=url.redacted
            ) from None

    def _pool_for(self, url: SecretURL) -> urllib3.PoolManager:
        """One pool manager, or one per proxy when the environment names proxies."""
        verify = not self._trusted(url)
        with self._client_lock:
            proxy = self._proxy_for(url.scheme, url.netloc_host)
            manager = self._managers.get((proxy, verify))
            if manager is None:
                if self._hosts is None:
                    from lockctl.index.dns import HostCache  # imports urllib3: only when used

                    self._hosts = HostCache()
                manager = _make_manager(self.policy, proxy, verify=verify, hosts=self._hosts)
                self._managers[(proxy, verify)] = manager
            return manager

    def _proxy_for(self, scheme: str, host: str) -> str | None:
        """The proxy the environment names for this scheme and host, looked up once per host.

        urllib's lookups walk the whole environment on every call, which cost more than the
        request itself on a run of hundreds of requests.
        """
        key = (scheme, host)
        if key not in self._proxies:
            import urllib.request

            proxy = None
            if not urllib.request.proxy_bypass(host):
                proxy = urllib.request.getproxies().get(scheme)
            self._proxies[key] = proxy
        return self._proxies[key]

    def _trusted(self, url: SecretURL) -> bool:
        host = url.netloc_host
        return host in self.policy.trusted_hosts or host.rsplit(":", 1)[0] in (
            self.policy.trusted_hosts
        )


def _read_body(reply: urllib3.BaseHTTPResponse, deadline: Deadline, read_timeout: float) -> bytes:
    """The whole body, read a chunk at a time until ``deadline`` (then ``_OutOfTime``)."""
    import urllib3

    try:
        chunks = list(_body_chunks(reply, deadline, read_timeout))
    except urllib3.exceptions.HTTPError as exc:  # read errors, timeouts, truncation
        raise _Transient(redact_text(f"{type(exc).__name__}: {exc}")) from None
    reply.release_conn()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def _body_chunks(
    reply: urllib3.BaseHTTPResponse, deadline: Deadline, read_timeout: float
) -> Iterator[bytes]:
    """The body as it arrives, until ``deadline`` (then ``_OutOfTime``).

    Before each chunk the socket's timeout is cut to the time left, so a server that falls
    silent is given up on at the deadline, not a read timeout later.
    """
    # Without a Content-Encoding, reading raw skips a copy through urllib3's decoded buffer.
    decode = "content-encoding" in reply.headers
    while True:
        left = deadline.remaining()
        if left <= 0:
            reply.close()  # the rest of the body is never read: the connection cannot be reused
            reply.release_conn()
            raise _OutOfTime
        if left < read_timeout:  # near the deadline: a silent server is given up on at it
            connection = reply.connection  # None once the body is complete and the pool has it
            sock = getattr(connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):  # closed under us: the read will say so
                    sock.settimeout(left)
        chunk = reply.read1(_CHUNK, decode_content=decode)
        if not chunk:
            return
        yield chunk


def _raise_connection_error(exc: BaseException, url: SecretURL, proxy: str | None) -> None:
    """Raise what a failed connection means, in a sentence rather than urllib3's chain.

    pip shows urllib3's chain of wrapped errors; the one fact in it a person needs is the
    host: one whose name does not resolve is ``IndexUnreachable`` at once; a proxy that does
    not answer is named, with the system's reason. Either of the latter, and a temporary
    failure of the resolver (EAI_AGAIN), is worth another try, as any other connection error.
    """
    import urllib3

    through_proxy = False
    innermost: BaseException = exc
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, urllib3.exceptions.NameResolutionError):
            reason = cause.__cause__ or cause.__context__
            if isinstance(reason, socket.gaierror) and reason.errno == socket.EAI_AGAIN:
                break
            conn = getattr(cause, "conn", None)
            host = getattr(conn, "host", None) or url.netloc_host
            raise IndexUnreachable(
                f"the host name {host} could not be resolved",
                url=url.redacted,
                hint="check the host name in the index URL (or PIP_INDEX_URL), "
                "and this machine's DNS settings",
            ) from None
        through_proxy = through_proxy or isinstance(cause, urllib3.exceptions.ProxyError)
        innermost = cause
        cause = getattr(cause, "reason", None) or cause.__cause__ or cause.__context__
    if through_proxy and proxy:
        why = getattr(innermost, "strerror", None) or type(innermost).__name__
        raise _Transient(redact_text(f"the proxy {proxy} did not answer ({why.lower()})")) from None
    if isinstance(exc, urllib3.exceptions.HTTPError):
        raise _Transient(redact_text(f"{type(exc).__name__}: {exc}")) from None


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _is_loopback(url: SecretURL) -> bool:
    """pip counts loopback as a secure origin whatever the scheme."""
    import ipaddress
    import urllib.parse

    host = urllib.parse.urlsplit(url.secret).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _make_manager(
    policy: FetchPolicy, proxy: str | None, *, verify: bool, hosts: HostCache | None
) -> urllib3.PoolManager:
    import ssl

    import urllib3

    # The system's trust store, as pip uses it; PIP_CERT or --cert point elsewhere, and
    # SSL_CERT_FILE / SSL_CERT_DIR are honoured by OpenSSL's default paths.
    context = ssl.create_default_context(cafile=policy.cafile or os.environ.get("PIP_CERT"))
    if not verify:  # --trusted-host: the user vouched for this host, as with pip
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
    options = {
        "num_pools": 32,
        "maxsize": policy.max_connections,
        "block": False,
        "ssl_context": context,
        "cert_reqs": "CERT_REQUIRED" if verify else "CERT_NONE",
        "headers": {"User-Agent": f"lockctl/{__version__}", "Accept-Encoding": "gzip, deflate"},
    }
    if proxy:
        return urllib3.ProxyManager(proxy, **options)  # type: ignore[arg-type]
    manager = urllib3.PoolManager(**options)  # type: ignore[arg-type]
    if hosts is not None:
        from lockctl.index.dns import pool_classes

        manager.pool_classes_by_scheme = pool_classes(hosts)
    return manager


def _read_file_url(url: SecretURL, method: str, headers: Mapping[str, str]) -> Response:
    """Serve a ``file://`` URL from the disk, as pip does for local indexes.

    A directory stands for its ``index.html`` (a static PEP 503 tree). Range headers are
    honoured so the metadata reader works the same on local wheels.
    """
    path = file_url_path(url)
    if path.is_dir():
        path = path / "index.html"
    try:
        data = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return Response(url=url, status=404, headers={}, body=b"")
    except OSError as exc:
        raise IndexUnreachable(
            f"cannot read {path.name}: {exc.strerror}", url=url.redacted
        ) from None
    content_type = "text/html" if path.suffix in (".html", ".htm") else "application/octet-stream"
    status, body = 200, data
    range_header = headers.get("Range", "")
    if range_header.startswith("bytes="):
        first, _, last = range_header[len("bytes=") :].partition("-")
        if first:
            start, end = int(first), min(int(last) if last else len(data) - 1, len(data) - 1)
        else:
            start, end = max(len(data) - int(last), 0), len(data) - 1
        status, body = 206, data[start : end + 1]
        headers_out = {"content-range": f"bytes {start}-{end}/{len(data)}"}
    else:
        headers_out = {}
    return Response(
        url=url,
        status=status,
        headers={"content-type": content_type, "content-length": str(len(body)), **headers_out},
        body=b"" if method == "HEAD" else body,
    )
