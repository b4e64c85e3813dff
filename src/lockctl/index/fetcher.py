"""The network seam: a small ``Fetcher`` Protocol and its real implementation.

Everything lockctl reads from an index goes through ``get``, ``get_range``, ``get_tail`` and
``head``. ``HttpFetcher`` speaks HTTP(S) through one pooled, thread-safe httpx client (imported
lazily, so a fully cached run never pays for it) and ``file://`` URLs from the disk. Transient
failures (connection errors, timeouts, truncated bodies, 5xx) are retried with exponential
backoff; an HTTP 4xx answer is returned as a value for the caller to judge.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from lockctl.errors import IndexResponseError, IndexUnreachable
from lockctl.events import Reporter, Retrying, ignore_events
from lockctl.index.auth import CredentialStore
from lockctl.urls import SecretURL, file_url_path, redact_text

if TYPE_CHECKING:
    import httpx

__all__ = ["FetchPolicy", "FetchStats", "Fetcher", "HttpFetcher", "Response"]

_RETRY_STATUSES = frozenset({500, 502, 503, 504})


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


class Fetcher(Protocol):
    def get(self, url: SecretURL, *, headers: Mapping[str, str] | None = None) -> Response: ...

    def get_range(self, url: SecretURL, start: int, end: int) -> Response:
        """Bytes ``start`` to ``end`` inclusive; a server that ignores Range answers 200."""
        ...

    def get_tail(self, url: SecretURL, length: int) -> Response:
        """The last ``length`` bytes (a suffix range); 200 with the whole body if unsupported."""
        ...

    def head(self, url: SecretURL) -> Response: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchPolicy:
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retries: int = 3
    backoff: float = 0.25  # first delay in seconds; doubles each retry, with jitter
    max_connections: int = 16
    cafile: str | None = None  # pip's --cert / PIP_CERT; SSL_CERT_FILE is honoured by default


@dataclass(slots=True)
class FetchStats:
    """Counters for benchmarks and progress; safe to update from many threads."""

    requests: int = 0
    bytes_received: int = 0
    retries: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, *, body: int, retried: bool = False) -> None:
        with self._lock:
            self.requests += 1
            self.bytes_received += body
            self.retries += int(retried)


class _Transient(Exception):
    """A failure worth another try."""


class HttpFetcher:
    """The real fetcher: pooled HTTP(S) with retries, and ``file://`` from the disk."""

    def __init__(
        self,
        *,
        policy: FetchPolicy | None = None,
        credentials: CredentialStore | None = None,
        reporter: Reporter = ignore_events,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.credentials = credentials or CredentialStore()
        self.reporter = reporter
        self.stats = FetchStats()
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    # -- the Protocol -------------------------------------------------------------------------

    def get(self, url: SecretURL, *, headers: Mapping[str, str] | None = None) -> Response:
        return self._request("GET", url, dict(headers or {}))

    def get_range(self, url: SecretURL, start: int, end: int) -> Response:
        return self._request("GET", url, {"Range": f"bytes={start}-{end}"})

    def get_tail(self, url: SecretURL, length: int) -> Response:
        return self._request("GET", url, {"Range": f"bytes=-{length}"})

    def head(self, url: SecretURL) -> Response:
        return self._request("HEAD", url, {})

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    # -- internals ----------------------------------------------------------------------------

    def _request(self, method: str, url: SecretURL, headers: dict[str, str]) -> Response:
        if url.scheme == "file":
            return _read_file_url(url, method, headers)
        if url.scheme not in ("http", "https"):
            raise IndexResponseError(f"unsupported URL scheme {url.scheme!r}", url=url.redacted)
        attempt = 0
        while True:
            try:
                response = self._send_once(method, url, headers)
            except _Transient as exc:
                if attempt >= self.policy.retries:
                    raise IndexUnreachable(
                        f"gave up after {attempt + 1} attempts: {exc}", url=url.redacted
                    ) from None
                reason = str(exc)
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
            attempt += 1
            self.reporter(Retrying(url=url.redacted, attempt=attempt, reason=reason, delay=delay))
            time.sleep(delay)

    def _send_once(self, method: str, url: SecretURL, headers: dict[str, str]) -> Response:
        import httpx

        client = self._http_client()
        plain = url.without_credentials()
        auth = self.credentials.for_url(url)
        try:
            reply = client.request(
                method,
                plain.secret,
                headers=headers,
                auth=httpx.BasicAuth(*auth) if auth else None,
            )
        except httpx.TransportError as exc:  # connect/read errors, timeouts, truncated bodies
            raise _Transient(redact_text(f"{type(exc).__name__}: {exc}")) from None
        body = reply.content
        declared = reply.headers.get("content-length")
        if (
            method == "GET"
            and declared is not None
            and declared.isdigit()
            and int(declared) != len(body)
            and "content-encoding" not in reply.headers
        ):
            raise _Transient(f"truncated body: {len(body)} of {declared} bytes")
        return Response(
            url=self.credentials.reattach(SecretURL(str(reply.url)), url),
            status=reply.status_code,
            headers={k.lower(): v for k, v in reply.headers.items()},
            body=body,
        )

    def _http_client(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                self._client = _make_client(self.policy)
            return self._client


def _make_client(policy: FetchPolicy) -> httpx.Client:
    import ssl

    import httpx

    verify: ssl.SSLContext | bool = True
    cafile = policy.cafile or os.environ.get("PIP_CERT")
    if cafile:
        verify = ssl.create_default_context(cafile=cafile)
    return httpx.Client(
        follow_redirects=True,
        timeout=httpx.Timeout(policy.read_timeout, connect=policy.connect_timeout),
        limits=httpx.Limits(
            max_connections=policy.max_connections,
            max_keepalive_connections=policy.max_connections,
        ),
        verify=verify,
        trust_env=True,
    )


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
