"""Cache large project pages in a worker process, on another CPU: an optimisation.

The plain way is ``pageslicer.store_page`` in the process that fetched the page, which is what
happens for small pages, with ``LOCKCTL_PAGE_WORKER=0``, on one CPU, and whenever the worker
fails. On a cold run that process is CPU-bound under the GIL: its threads fetch pages while
the resolver works, and cutting tens of megabytes of PEP 691 JSON into per-release cache
entries took a third of a second of that time when the worker was written. Here a second
process does it for pages of ``WORKER_MIN_BYTES`` and more: 30 of the data-science stack's 118
pages, 28 of its 31 MB (README, "Performance"). The thread that fetched a page then reads the
entry back from the cache, which decodes only the releases a caller looks at. The gain is the
difference between the cold ``datascience`` runs of ``benchmarks/compile.py`` with and without
``LOCKCTL_PAGE_WORKER=0`` in the environment (the benchmark passes it on to lockctl).

The worker is a plain ``python -m lockctl.index.pageworker`` child speaking a small protocol on
its pipes (a JSON line, then the body; a JSON line back), not ``multiprocessing``: that would
import the ``lockctl`` script again in the child (0.2 s before the first page could be parsed)
and pull ``multiprocessing`` into the parent. Starting it is a ``vfork``/``posix_spawn`` and
an exec, safe in a process with threads. It never sees credentials: it gets the page URL
without them, as the cache stores it. Anything that goes wrong with the worker itself (it
cannot start, dies, or answers nonsense) leaves the page to be parsed in the calling process.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.index.cache import Cache
from lockctl.index.fetchworker import WORKER_MIN_BYTES, another_cpu
from lockctl.index.pageslicer import store_page
from lockctl.index.simple import PageFormatError
from lockctl.index.turns import PageTurns
from lockctl.urls import SecretURL

__all__ = ["REPLY_TIMEOUT", "WORKER_MIN_BYTES", "PageWorker", "worth_a_worker"]


# Seconds to wait for the answer about one page; a worker that takes longer counts as hung (it
# is killed, and the page parsed in the calling process). Parsing the largest page takes far less.
REPLY_TIMEOUT = 60.0


def worth_a_worker(cache: Cache) -> bool:
    """Whether a worker can help: a second CPU, POSIX pipes to wait on, a writable cache.

    ``LOCKCTL_PAGE_WORKER=0`` turns it off (parsing then happens in the calling process).
    """
    if not another_cpu():
        return False  # nothing to overlap with: the pipe and the read-back would only cost
    return cache.writable and os.access(cache.root, os.W_OK)


class PageWorker:
    """One worker process that turns a fetched page body into a cache entry.

    Pages wait for it in order of priority, not of arrival (``turns.PageTurns``).
    """

    def __init__(self, cache: Cache) -> None:
        self._lock = threading.Lock()
        self._turns = PageTurns()
        self._process: subprocess.Popen[bytes] | None
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", __name__, str(cache.root.parent), str(cache.page_ttl)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
            )
        except OSError:
            self._process = None
        else:
            _widen_pipe(self._process)

    @property
    def pid(self) -> int | None:
        """The worker process's id while it serves pages (for diagnostics and tests).

        None if it never started, failed or was closed: pages are then parsed by the caller.
        """
        process = self._process
        return None if process is None else process.pid

    def pending(self) -> int:
        """How many pages ``cache_page`` holds: the one the worker has, and those in line."""
        return self._turns.pending()

    def hurry(self, name: str) -> None:
        """Somebody is blocked on this page: it goes before every page nobody waits for."""
        self._turns.hurry(name)

    def cache_page(
        self,
        key: str,
        *,
        name: NormalizedName,
        page_url: SecretURL,
        content_type: str,
        body: bytes,
        etag: str | None,
    ) -> bool:
        """Parse and cache the page in the worker; False when the worker could not be used.

        A ``PageFormatError`` from the parser is raised here, as the parser would raise it.
        """
        request = {
            "key": key,
            "name": name,
            "url": page_url.without_credentials().secret,
            "content_type": content_type,
            "etag": etag,
            "size": len(body),
        }
        with self._turns.turn(len(body), name), self._lock:
            process = self._process
            if process is None or process.stdin is None or process.stdout is None:
                return False
            try:
                process.stdin.write(json.dumps(request).encode() + b"\n" + body)
                process.stdin.flush()
                ready, _, _ = select.select([process.stdout], [], [], REPLY_TIMEOUT)
                if not ready:
                    raise TimeoutError("the page worker did not answer")
                reply = json.loads(process.stdout.readline())
            except (OSError, ValueError):  # died, hung, or answered nonsense
                self._process = None
                process.kill()
                return False
        if not isinstance(reply, dict) or "error" in reply:
            raise PageFormatError(str(reply.get("error") if isinstance(reply, dict) else reply))
        return reply.get("ok") is True

    def close(self) -> None:
        """End of input: the worker finishes the page in hand, if any, and exits."""
        with self._lock:
            process, self._process = self._process, None
        if process is not None and process.stdin is not None:
            with contextlib.suppress(OSError):  # it is gone already
                process.stdin.close()
            try:
                process.wait(timeout=5)  # reaped here, not left to exit as a zombie
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _widen_pipe(process: subprocess.Popen[bytes]) -> None:
    """A 1 MiB pipe instead of 64 KiB: a 2 MB page then crosses in two hand-overs, not thirty."""
    import fcntl

    size = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if size is None or process.stdin is None:
        return
    with contextlib.suppress(OSError):  # not allowed: the default size only costs time
        fcntl.fcntl(process.stdin.fileno(), size, 1 << 20)


def _serve(cache: Cache, requests: IO[bytes], replies: IO[bytes]) -> None:
    while line := requests.readline():
        request: dict[str, Any] = json.loads(line)
        body = requests.read(int(request["size"]))
        try:
            store_page(
                cache,
                str(request["key"]),
                name=canonicalize_name(str(request["name"])),
                page_url=SecretURL(str(request["url"])),
                content_type=str(request["content_type"]),
                body=body,
                etag=request["etag"],
            )
        except PageFormatError as exc:
            reply: dict[str, Any] = {"error": str(exc)}
        else:
            reply = {"ok": True}
        replies.write(json.dumps(reply).encode() + b"\n")
        replies.flush()


if __name__ == "__main__":
    _serve(
        Cache(Path(sys.argv[1]), page_ttl=float(sys.argv[2])), sys.stdin.buffer, sys.stdout.buffer
    )
