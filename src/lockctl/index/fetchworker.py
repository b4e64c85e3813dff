"""Fetch project pages in a worker process, on another CPU: an optimisation.

The plain way is ``IndexClient._fetch_page`` in the calling process: a thread sends the
request, reads the body (megabytes for a popular project, in TLS records of 16 KB, each read
taking the GIL back from the resolver) and hands large pages to the page worker to be cut
into cache entries. On a cold run those reads were a fifth of the time the calling process
held the GIL (``py-spy --gil`` on the ``ml`` stack with its lock, 58 MB of pages). Here a
second process with threads of its own fetches each page and writes its cache entry, and the
calling process reads back the entry's head and the releases it looks at. The gain is the
difference between the cold runs of ``benchmarks/compile.py`` with and without
``LOCKCTL_PAGE_WORKER=0`` in the environment (which turns off both workers).

Only what the plain way would do the same is sent here: a first fetch (a stale page is
revalidated in the calling process, with its ETag), of an ``http(s)`` URL for which the run has
no credentials (the worker never sees any, as the page worker never does), cached. The worker
tries once; anything but a page or a 404/410 (a failure, a timeout, another status) is answered
"do it yourself", and the calling process fetches the page the plain way, with its retries,
its events and its errors. A worker that cannot start, dies or does not answer in time is
not used again.

It also reads the METADATA member of wheels by range requests (``wheelzip``) and sends it
back, for the calling process to parse, check and cache as if it had read it itself; anything
but that member (a server that sends the whole wheel, an odd zip, a failure) is again left to
the calling process.

Protocol, JSON lines: the worker is told its cache and fetch policy first (``configure``),
then one line a page or member; it answers each line with its ``id`` as soon as that one is
done, in any order (a body, where there is one, follows its line).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lockctl.index.turns import PageTurns
from lockctl.urls import SecretURL

if TYPE_CHECKING:  # the calling process starts the worker before it imports the cache
    from lockctl.index.cache import Cache

# A page smaller than this is cut in the process that holds it, by either worker's rule: for
# most projects the page is a few kilobytes, cheaper to cut than to send across, and it need
# not wait behind numpy's 2 MB.
WORKER_MIN_BYTES = 100_000

__all__ = [
    "WORKER_MIN_BYTES",
    "FetchWorker",
    "PageFetched",
    "adopt_early",
    "another_cpu",
    "policy_fields",
    "start_early",
]

# What a reply says: {"status": 200, "bytes": N} (the page is in the cache), {"status": 200,
# "body": <the page's bytes>, "url", "type", "etag"} (a small page, to be cut by the caller),
# {"status": 404}, {"error": "..."} (the page does not parse), or {"fallback": "..."} (fetch
# it yourself); for a wheel's METADATA, {"status": 200, "body": <its bytes>} or a fallback.
PageFetched = dict[str, Any]


class FetchWorker:
    """One worker process that fetches pages into the cache, many at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._waiting: dict[int, Future[PageFetched]] = {}
        self._configured = False
        self.answered = 0  # requests it answered itself (not left to the calling process)
        self._process: subprocess.Popen[bytes] | None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except (OSError, ValueError):  # no interpreter to start (an embedded Python)
            self._process = None
            return
        threading.Thread(
            target=self._read_replies, name="lockctl-fetch-replies", daemon=True
        ).start()

    @property
    def pid(self) -> int | None:
        """The worker process's id while it is used (diagnostics and tests); None after."""
        process = self._process
        return None if process is None else process.pid

    def configure(self, cache: Cache, policy: dict[str, Any]) -> bool:
        """Tell the worker where the cache is and how to fetch (once); False if it is gone."""
        with self._lock:
            if self._configured:
                return self._process is not None
            self._configured = True
            return self._send(
                {
                    "cache": str(cache.root.parent),
                    "ttl": cache.page_ttl,
                    "policy": policy,
                    "cut_at": WORKER_MIN_BYTES,
                }
            )

    def fetch_page(self, url: SecretURL, *, key: str, name: str) -> Future[PageFetched] | None:
        """The page at ``url`` (without credentials) fetched into the cache under ``key``;
        None if the worker cannot take it."""
        return self._ask({"url": url.secret, "key": key, "name": name})

    def _ask(self, request: dict[str, Any]) -> Future[PageFetched] | None:
        future: Future[PageFetched] = Future()
        with self._lock:
            ident = next(self._ids)
            self._waiting[ident] = future
            sent = self._configured and self._send({"id": ident, **request})
            if not sent:
                del self._waiting[ident]
                return None
        return future

    def read_member(self, url: SecretURL) -> Future[PageFetched] | None:
        """The ``.dist-info/METADATA`` of the wheel at ``url`` (without credentials), read by
        range requests (``wheelzip``) and sent back whole; None if the worker cannot take it."""
        return self._ask({"member": url.secret})

    def hurry(self, name: str) -> None:
        """Somebody is blocked on this page: the worker cuts it before pages nobody waits for."""
        with self._lock:
            if self._configured:
                self._send({"hurry": name})

    def stop(self) -> None:
        """Stop using the worker (it hung, or the run is over): it is killed if still there."""
        with self._lock:
            process, self._process = self._process, None
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_result({"fallback": "the fetch worker stopped"})
        if process is not None:
            with contextlib.suppress(OSError):
                process.kill()
            process.wait()

    def close(self) -> None:
        """End of input: the worker finishes the pages in hand and exits."""
        with self._lock:
            process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin is not None:
                process.stdin.close()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def _send(self, message: dict[str, Any]) -> bool:
        process = self._process
        if process is None or process.stdin is None:
            return False
        try:
            process.stdin.write(json.dumps(message).encode() + b"\n")
            process.stdin.flush()
        except OSError:  # it died: whoever waits is answered by the reply reader
            return False
        return True

    def _read_replies(self) -> None:
        process = self._process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            try:
                reply = json.loads(line)
                ident = int(reply.pop("id"))
                if "body" in reply:  # a small page, sent back whole to be cut here
                    size = int(reply["body"])
                    reply["body"] = process.stdout.read(size)
                    if len(reply["body"]) != size:
                        break
            except (ValueError, KeyError, TypeError, AttributeError):
                break  # nonsense: stop trusting it
            with self._lock:
                future = self._waiting.pop(ident, None)
                self.answered += "fallback" not in reply
            if future is not None:
                future.set_result(reply)
        with self._lock:  # it exited or misbehaved: nobody waits in vain
            self._process = None
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_result({"fallback": "the fetch worker is gone"})
        with contextlib.suppress(OSError):
            process.kill()


_early: FetchWorker | None = None


def start_early() -> None:
    """Start a worker now, while the command is still importing, for ``adopt_early`` to give to
    its index client: the worker's own start (an interpreter and urllib3) then costs the run
    nothing. Left unadopted, it exits with this process (its input closes)."""
    global _early
    if _early is None and another_cpu():
        _early = FetchWorker()


def adopt_early() -> FetchWorker | None:
    """The worker ``start_early`` started, once; None if there is none."""
    global _early
    worker, _early = _early, None
    return worker


def another_cpu() -> bool:
    """Whether a worker process can run beside this one: a second CPU and POSIX pipes.

    ``LOCKCTL_PAGE_WORKER=0`` says no (both workers then stay off).
    """
    if os.environ.get("LOCKCTL_PAGE_WORKER") == "0" or os.name != "posix":
        return False
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cpus or 1) >= 2


def policy_fields(policy: object) -> dict[str, Any]:
    """A ``FetchPolicy`` as the worker is told it (a dataclass's fields)."""
    return asdict(policy)  # type: ignore[call-overload,no-any-return]


# -- in the worker process ----------------------------------------------------------------------


def _serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    """Answer the calling process's requests until its end of the pipe closes.

    A page is sent back whole, for the calling process to cut, when it is small (cheaper
    than a turn here) and when another page is being cut here already: cutting is most of
    this process's work (about 10 ms a megabyte), and with it all here this process was
    the busy one while the calling process waited half the time (on the ``ml`` stack with
    its lock: 1.1 s of CPU here, 0.6 s there, in a 1.3 s run). Sharing it so took that run
    to 1.16 s.
    """
    from lockctl.index.auth import CredentialStore
    from lockctl.index.cache import Cache
    from lockctl.index.fetcher import FetchPolicy, HttpFetcher

    class _NoCredentials(CredentialStore):
        def for_url(self, url: SecretURL) -> tuple[str, str] | None:
            return None  # the worker never sends any (nor reads ~/.netrc)

    import urllib3  # noqa: F401  (loaded while the calling process is still importing)

    first = requests.readline()
    if not first:
        return
    config = json.loads(first)
    cache = Cache(Path(config["cache"]), page_ttl=float(config["ttl"]))
    fields = {**config["policy"], "retries": 0}
    fields["trusted_hosts"] = tuple(fields.get("trusted_hosts", ()))  # a list, once in JSON
    policy = FetchPolicy(**fields)
    fetcher = HttpFetcher(policy=policy, credentials=_NoCredentials())
    write_lock = threading.Lock()
    cutting = PageTurns()
    cut_at = int(config["cut_at"])

    def answer(message: dict[str, Any], body: bytes = b"") -> None:
        with write_lock:
            replies.write(json.dumps(message).encode() + b"\n" + body)
            replies.flush()

    def fetch(request: dict[str, Any]) -> None:
        if "member" in request:
            member = _member(fetcher, request["member"])
            if isinstance(member, dict):
                answer({"id": request["id"], **member})
            else:
                answer({"id": request["id"], "status": 200, "body": len(member)}, member)
            return
        reply = _fetch(fetcher, request)
        if isinstance(reply, dict):
            answer({"id": request["id"], **reply})
        elif len(reply.body) < cut_at or cutting.busy:  # cut by the caller: see _serve
            meta = {"url": reply.url.secret, "type": reply.content_type}
            meta["etag"] = reply.headers.get("etag")
            answer(
                {"id": request["id"], "status": 200, "body": len(reply.body), **meta}, reply.body
            )
        else:
            with cutting.turn(len(reply.body), request["name"]):
                answer({"id": request["id"], **_store(cache, request, reply)})

    with ThreadPoolExecutor(policy.max_connections) as pool:
        while line := requests.readline():
            request = json.loads(line)
            if "hurry" in request:
                cutting.hurry(request["hurry"])
            else:
                pool.submit(fetch, request)


def _fetch(fetcher: Any, request: dict[str, Any]) -> PageFetched | Any:
    """The page's ``Response`` (status 200), or the reply that ends the request."""
    from lockctl.errors import LockctlError
    from lockctl.index.simple import ACCEPT_HEADER

    try:
        response = fetcher.get(SecretURL(request["url"]), headers={"Accept": ACCEPT_HEADER})
    except LockctlError as exc:
        return {"fallback": type(exc).__name__}
    if response.status in (404, 410):
        return {"status": response.status}
    if response.status != 200:
        return {"fallback": f"HTTP {response.status}"}
    return response


def _member(fetcher: Any, url: str) -> PageFetched | bytes:
    """A wheel's METADATA member read by ranges, or the reply that leaves it to the caller
    (a server without range requests sends the whole wheel, which the caller checks)."""
    from lockctl.errors import LockctlError
    from lockctl.index.wheelzip import RangeNotSupported, WheelFormatError, read_member_by_range

    try:
        return read_member_by_range(fetcher, SecretURL(url))
    except (LockctlError, RangeNotSupported, WheelFormatError) as exc:
        return {"fallback": type(exc).__name__}


def _store(cache: Cache, request: dict[str, Any], response: Any) -> PageFetched:
    """Cut a large page into its cache entry (``pageslicer``)."""
    from packaging.utils import canonicalize_name

    from lockctl.index.pageslicer import store_page
    from lockctl.index.simple import PageFormatError

    try:
        store_page(
            cache,
            request["key"],
            name=canonicalize_name(request["name"]),
            page_url=response.url,
            content_type=response.content_type,
            body=response.body,
            etag=response.headers.get("etag"),
        )
    except PageFormatError as exc:
        return {"error": str(exc), "status": response.status}
    if not cache.writable:
        return {"fallback": "the cache cannot be written"}
    return {"status": 200, "bytes": len(response.body)}


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        _serve(sys.stdin.buffer, sys.stdout.buffer)
    os._exit(0)  # no waiting for threads at exit: the calling process is done with us
