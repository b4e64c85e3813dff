"""The page worker process: same pages as in-process parsing, and every way it can fail."""

from __future__ import annotations

import fcntl
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.errors import IndexResponseError
from lockctl.index import Cache, ProjectPage, pagereader
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
        assert (client._page_reader.worker is not None) == (worker and worth_a_worker(client.cache))
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
        assert client._page_reader.worker is not None


def test_a_dead_worker_leaves_parsing_to_the_caller(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    worker = PageWorker(cache)
    assert worker._process is not None
    worker._process.kill()
    worker._process.wait()
    done = worker.cache_page(
        "key",
        name=canonicalize_name("demo"),
        page_url=SecretURL("https://h.example/simple/demo/"),
        content_type=JSON,
        body=PAGE,
        etag=None,
    )
    assert done is False and worker._process is None


def test_the_worker_caches_without_credentials(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    worker = PageWorker(cache)
    try:
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
    finally:
        worker.close()
    page = cache.get_page("key")
    assert (
        page is not None and page.etag == '"v1"' and page.base == "https://h.example/simple/demo/"
    )
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
        assert client._page_reader.worker is None


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
    assert sent == ["big"]


def test_a_page_somebody_waits_for_goes_first_then_the_smallest(tmp_path: Path) -> None:
    worker = PageWorker(Cache(tmp_path))
    served: list[str] = []
    holding = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with worker._turn(0, "first"):
            holding.set()
            release.wait(10)

    def queue(size: int, name: str) -> threading.Thread:
        def take_turn() -> None:
            with worker._turn(size, name):
                served.append(name)

        waiting = len(worker._queue)
        thread = threading.Thread(target=take_turn)
        thread.start()
        while len(worker._queue) == waiting:  # queued in this order: not first come, first served
            time.sleep(0.001)
        return thread

    try:
        holder = threading.Thread(target=hold)
        holder.start()
        assert holding.wait(10)
        threads = [queue(900_000, "cffi"), queue(3_000_000, "numpy"), queue(50_000, "six")]
        worker.hurry("numpy")
        release.set()
        for thread in [holder, *threads]:
            thread.join(10)
    finally:
        worker.close()
    assert served == ["numpy", "six", "cffi"]


@pytest.mark.skipif(not hasattr(fcntl, "F_GETPIPE_SZ"), reason="pipe sizes are a Linux feature")
def test_pages_cross_a_wide_pipe(tmp_path: Path) -> None:
    worker = PageWorker(Cache(tmp_path))
    try:
        assert worker._process is not None and worker._process.stdin is not None
        size = fcntl.fcntl(worker._process.stdin.fileno(), fcntl.F_GETPIPE_SZ)
        assert size >= 1 << 20
    finally:
        worker.close()
