"""The page worker process: same pages as in-process parsing, and every way it can fail.

Nothing here waits without a deadline. The worker's reply timeout is cut to ``DEADLINE``, so a
worker that stops answering is killed (and the page parsed by the caller) within seconds, and
the tests see that it is gone; every other wait gives up after ``DEADLINE`` too.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.errors import IndexResponseError
from lockctl.index import Cache, ProjectPage, pagereader, pageworker
from lockctl.index.pageworker import PageWorker, worth_a_worker
from lockctl.index.simple import PageFormatError
from lockctl.urls import SecretURL
from tests.index.helpers import make_client
from tests.support.dists import make_wheel
from tests.support.faults import Garbage
from tests.support.fileindex import write_file_index
from tests.support.indexserver import IndexServer

PAGE = b'{"meta": {"api-version": "1.1"}, "name": "demo", "files": [' + (
    b'{"filename": "demo-1.0-py3-none-any.whl", "url": "../../files/demo-1.0-py3-none-any.whl",'
    b' "hashes": {"sha256": "ab"}, "requires-python": ">=3.8"}]}'
)
JSON = "application/vnd.pypi.simple.v1+json"
PAGE_URL = SecretURL("https://h.example/simple/demo/")
DEADLINE = 10.0  # seconds


@pytest.fixture(autouse=True)
def _hung_within_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pageworker, "REPLY_TIMEOUT", DEADLINE)


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {DEADLINE} s for {what}")
        time.sleep(0.005)


@contextlib.contextmanager
def _worker(cache: Cache) -> Iterator[PageWorker]:
    worker = PageWorker(cache)
    try:
        yield worker
    finally:
        if worker.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGCONT)  # in case a test stopped it
        worker.close()


def _pages(
    client_dir: Path, server: IndexServer, *, worker: bool, monkeypatch: pytest.MonkeyPatch
) -> dict[str, list[str]]:
    monkeypatch.setenv("LOCKCTL_PAGE_WORKER", "1" if worker else "0")
    monkeypatch.setattr(pagereader, "WORKER_MIN_BYTES", 0)  # test pages are small
    with make_client([server.simple_url], cache_dir=client_dir) as client:
        seen: dict[str, list[str]] = {}
        for name in ("alpha", "beta"):
            page = client.project(name)
            assert isinstance(page, ProjectPage)
            seen[name] = [f"{f.filename} {f.sha256} {f.url.secret}" for f in page.files]
        # Still running: it answered every page in time, none fell back to the caller.
        assert client.page_worker_running == (worker and worth_a_worker(client.cache))
    return seen


def test_the_worker_gives_the_same_pages(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for version in ("1.0", "1.1"):
        index_server.add(make_wheel("alpha", version, requires_python=">=3.8"))
    index_server.add(make_wheel("beta", "2.0"), yanked="bad")
    assert worth_a_worker(Cache(tmp_path / "probe")), "these tests need 2 CPUs and POSIX"
    with_worker = _pages(tmp_path / "a", index_server, worker=True, monkeypatch=monkeypatch)
    without = _pages(tmp_path / "b", index_server, worker=False, monkeypatch=monkeypatch)
    assert with_worker == without and len(with_worker["alpha"]) == 2


def test_a_bad_page_is_still_an_index_error(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKCTL_PAGE_WORKER", "1")
    monkeypatch.setattr(pagereader, "WORKER_MIN_BYTES", 0)
    index_server.add(make_wheel("odd", "1.0"))
    index_server.inject("/simple/odd/", Garbage(content_type="application/vnd.pypi.simple.v1+json"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        with pytest.raises(IndexResponseError, match="neither a PEP 691 JSON page"):
            client.project("odd")
        assert client.page_worker_running


def test_a_dead_worker_leaves_parsing_to_the_caller(tmp_path: Path) -> None:
    with _worker(Cache(tmp_path)) as worker:
        assert worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        done = worker.cache_page(
            "key",
            name=canonicalize_name("demo"),
            page_url=PAGE_URL,
            content_type=JSON,
            body=PAGE,
            etag=None,
        )
        assert done is False and worker.pid is None


def test_the_worker_caches_without_credentials(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    with _worker(cache) as worker:
        url = SecretURL("https://me:s3cret@h.example/simple/demo/")
        assert worker.cache_page(
            "key",
            name=canonicalize_name("demo"),
            page_url=url,
            content_type=JSON,
            body=PAGE,
            etag='"v1"',
        )
        with pytest.raises(PageFormatError):
            worker.cache_page(
                "bad",
                name=canonicalize_name("demo"),
                page_url=url,
                content_type="text/plain",
                body=b"nope",
                etag=None,
            )
    page = cache.get_page("key")
    assert page is not None and page.etag == '"v1"' and page.base == PAGE_URL.secret
    assert b"s3cret" not in b"".join(p.read_bytes() for p in tmp_path.rglob("*.json"))
    assert [r["filename"] for r in page.groups[str(Version("1.0"))]] == [
        "demo-1.0-py3-none-any.whl"
    ]


def test_file_indexes_are_parsed_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKCTL_PAGE_WORKER", "1")
    simple = write_file_index(tmp_path / "tree", [(make_wheel("local", "1.0"), {})])
    with make_client([simple.as_uri()], cache_dir=tmp_path / "cache") as client:
        assert isinstance(client.project("local"), ProjectPage)
        assert not client.page_worker_running


def test_small_pages_are_parsed_where_they_were_fetched(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKCTL_PAGE_WORKER", "1")
    sent: list[str] = []
    real = PageWorker.cache_page

    def spy(self: PageWorker, key: str, **page: Any) -> bool:
        sent.append(str(page["name"]))
        return real(self, key, **page)

    monkeypatch.setattr(PageWorker, "cache_page", spy)
    index_server.add(make_wheel("tiny", "1.0"))
    for version in range(400):  # a page of about 100 kB, like a popular project's
        index_server.add(make_wheel("big", f"1.{version}"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        assert isinstance(client.project("tiny"), ProjectPage)
        big = client.project("big")
        assert isinstance(big, ProjectPage) and len(big.versions()) == 400
        assert client.page_worker_running  # it answered in time
    assert sent == ["big"]


def test_a_page_somebody_waits_for_goes_first_then_the_smallest(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    answers: dict[str, bool] = {}

    def send(name: str, size: int) -> threading.Thread:
        def cache_page() -> None:
            answers[name] = worker.cache_page(
                name,
                name=canonicalize_name(name),
                page_url=PAGE_URL,
                content_type=JSON,
                body=PAGE.ljust(size),  # JSON allows trailing whitespace
                etag=None,
            )

        thread = threading.Thread(target=cache_page, daemon=True)
        thread.start()
        return thread

    with _worker(cache) as worker:
        pid = worker.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)  # busy with the first page until it is let go
        try:
            threads = [send("first", 0)]
            _wait_until(lambda: worker.pending() == 1, "the worker to take the first page")
            threads += [send("cffi", 9_000), send("numpy", 30_000), send("six", 500)]
            _wait_until(lambda: worker.pending() == 4, "three pages to wait their turn")
            worker.hurry("numpy")
        finally:
            os.kill(pid, signal.SIGCONT)
        for thread in threads:
            thread.join(DEADLINE)
            assert not thread.is_alive(), "the worker did not answer in time"
    assert answers == dict.fromkeys(["first", "cffi", "numpy", "six"], True)
    written_at: dict[str, float] = {}
    for name in answers:
        entry = cache.get_page(name, allow_stale=True)
        assert entry is not None
        written_at[name] = entry.fetched_at
    assert sorted(written_at, key=written_at.__getitem__) == ["first", "numpy", "six", "cffi"]


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_pages_cross_a_wide_pipe(tmp_path: Path) -> None:
    with _worker(Cache(tmp_path)) as worker:
        assert worker.pid is not None
        # The worker's standard input is the pipe pages cross; /proc opens that same pipe.
        pipe = os.open(f"/proc/{worker.pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
        try:
            size = fcntl.fcntl(pipe, fcntl.F_GETPIPE_SZ)
        finally:
            os.close(pipe)
    assert size >= 1 << 20
