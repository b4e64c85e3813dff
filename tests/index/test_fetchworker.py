"""The fetch worker process: the same pages as the plain way, and the plain way whenever it
cannot serve (a failure, credentials, a worker that is gone).

A real worker process against a real loopback index; nothing here waits without a deadline
(the client's fetch policy is ``FAST``, and a hung worker is given up on after it).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from lockctl.errors import IndexResponseError
from lockctl.events import Retrying
from lockctl.index import IndexClient, ProjectNotFound, ProjectPage, fetchworker
from lockctl.index.fetchworker import another_cpu
from tests.index.helpers import EventLog, make_client
from tests.support.dists import make_wheel
from tests.support.faults import Garbage, Status
from tests.support.indexserver import IndexServer

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(autouse=True)
def _two_cpus() -> None:
    assert another_cpu(), "these tests need 2 CPUs and POSIX"


@contextmanager
def _client(
    server: IndexServer,
    cache: Path,
    *,
    worker: bool = True,
    index: str | None = None,
    offline: bool = False,
) -> Iterator[tuple[IndexClient, EventLog]]:
    if worker:
        fetchworker.start_early()
    events = EventLog()
    with make_client(
        [index or server.simple_url], cache_dir=cache, reporter=events, offline=offline
    ) as client:
        yield client, events
    assert fetchworker.adopt_early() is None  # adopted (or closed) by the client, not left


def _files(client: IndexClient, name: str) -> list[str]:
    page = client.project(name)
    assert isinstance(page, ProjectPage)
    return [f"{f.filename} {f.sha256} {f.url.secret} {f.yanked}" for f in page.files]


@pytest.mark.parametrize(
    "cut_at", [0, fetchworker.WORKER_MIN_BYTES], ids=["cut-there", "sent-back"]
)
def test_the_worker_gives_the_same_pages(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cut_at: int
) -> None:
    """Whether the worker cuts a page into its entry or sends it back whole to be cut here."""
    monkeypatch.setattr(fetchworker, "WORKER_MIN_BYTES", cut_at)
    for version in ("1.0", "1.1"):
        index_server.add(make_wheel("alpha", version, requires_python=">=3.8"))
    index_server.add(make_wheel("beta", "2.0"), yanked="bad")
    pages = {}
    for worker in (True, False):
        with _client(index_server, tmp_path / str(worker), worker=worker) as (client, _):
            pages[worker] = {name: _files(client, name) for name in ("alpha", "beta")}
            assert isinstance(client.project("nope"), ProjectNotFound)
            if worker:
                assert client.fetch_worker is not None and client.fetch_worker.answered == 3
            else:
                assert client.fetch_worker is None
    assert pages[True] == pages[False] and len(pages[True]["alpha"]) == 2
    with _client(index_server, tmp_path / "True", offline=True) as (client, _):
        assert client.fetch_worker is None  # offline: nothing to fetch, the worker is closed
        assert _files(client, "alpha") == pages[True]["alpha"]  # cached by the worker
        assert isinstance(client.project("nope"), ProjectNotFound)  # the 404 too


def test_a_failure_is_left_to_the_plain_way(index_server: IndexServer, tmp_path: Path) -> None:
    """The worker tries once; the retry, and its event, are the calling process's."""
    index_server.add(make_wheel("alpha", "1.0"))
    index_server.inject("/simple/alpha/", Status(503), times=2)
    with _client(index_server, tmp_path) as (client, events):
        assert len(_files(client, "alpha")) == 1
        worker = client.fetch_worker
        assert worker is not None and worker.answered == 0
    assert [type(event) for event in events] == [Retrying]  # the plain way's one retry
    assert index_server.count("/simple/alpha/") == 3  # the worker's try, then the plain two


def test_a_bad_page_is_still_an_index_error(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("odd", "1.0"))
    index_server.inject("/simple/odd/", Garbage(content_type=JSON))
    with _client(index_server, tmp_path) as (client, _):
        with pytest.raises(IndexResponseError, match="neither a PEP 691 JSON page"):
            client.project("odd")
        assert client.fetch_worker is not None


def test_pages_that_need_credentials_are_fetched_here(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("alpha", "1.0"))
    with_credentials = index_server.simple_url.replace("://", "://user:secret@")
    with _client(index_server, tmp_path, index=with_credentials) as (client, _):
        assert len(_files(client, "alpha")) == 1
        assert client.fetch_worker is not None and client.fetch_worker.answered == 0
    assert all("secret" not in path.read_text(errors="replace") for path in _entries(tmp_path))


def test_a_worker_that_dies_leaves_fetching_to_the_caller(
    index_server: IndexServer, tmp_path: Path
) -> None:
    for name in ("alpha", "beta"):
        index_server.add(make_wheel(name, "1.0"))
    with _client(index_server, tmp_path) as (client, _):
        assert len(_files(client, "alpha")) == 1
        worker = client.fetch_worker
        assert worker is not None and worker.pid is not None
        os.kill(worker.pid, signal.SIGKILL)
        assert len(_files(client, "beta")) == 1
        assert client.fetch_worker is None


def _entries(cache: Path) -> list[Path]:
    return [path for path in cache.rglob("*.json") if path.is_file()]


def _metadata(client: IndexClient, name: str) -> list[tuple[str, str, list[str]]]:
    page = client.project(name)
    assert isinstance(page, ProjectPage)
    read = [client.metadata(dist) for dist in page.files]
    return [(m.name, str(m.version), [str(r) for r in m.requires_dist]) for m in read]


@pytest.mark.parametrize("ranges", [True, False], ids=["ranges", "no-ranges"])
def test_wheel_metadata_read_by_the_worker_is_the_same(
    index_server: IndexServer, tmp_path: Path, ranges: bool
) -> None:
    """Read by ranges in the worker; a server without range requests sends the whole wheel,
    which the calling process downloads again and checks against its hash, as it would."""
    index_server.range_support = ranges
    index_server.add(make_wheel("alpha", "1.0", requires_dist=["beta>=2; python_version >= '3'"]))
    read = {}
    for worker in (True, False):
        with _client(index_server, tmp_path / str(worker), worker=worker) as (client, _):
            read[worker] = _metadata(client, "alpha")
            assert client.sources == ({"range": 1} if ranges else {"download": 1})
            if worker:
                assert client.fetch_worker is not None
                assert client.fetch_worker.answered == (2 if ranges else 1)  # page (+ member)
    assert read[True] == read[False] == [("alpha", "1.0", ['beta>=2; python_version >= "3"'])]
