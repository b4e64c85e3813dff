"""Deadlines on a real loopback index: one request's, retries included, and the whole run's.

Every limit here is a second or two, so no test waits on the clock for long; each one would
hang for minutes (or forever) without the deadline it tests.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lockctl.errors import IndexUnreachable
from lockctl.events import Retrying
from lockctl.index import FetchPolicy, HttpFetcher
from lockctl.urls import SecretURL
from tests.index.helpers import EventLog, make_client
from tests.support.dists import make_wheel
from tests.support.faults import Drip, Endless, Hang, Status
from tests.support.indexserver import IndexServer

# Reads time out after half a second of silence, but each request has a second in all.
QUICK = FetchPolicy(connect_timeout=2.0, read_timeout=0.5, request_deadline=1.0, backoff=0.01)


def _elapsed(start: float) -> float:
    return time.monotonic() - start


def test_a_body_that_drips_is_cut_at_the_request_deadline(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = make_wheel("drip", "1.0", padding=20_000)
    index_server.add(wheel)
    index_server.inject("/files/*", Drip(0.02), times=None)  # a byte every 20 ms: 400 s
    fetcher = HttpFetcher(policy=QUICK)
    start = time.monotonic()
    with pytest.raises(IndexUnreachable) as caught:
        fetcher.get(SecretURL(index_server.file_url(wheel.filename)))
    assert _elapsed(start) < 2.5
    assert caught.value.message.startswith("the index did not send a complete answer within 1 s")
    assert caught.value.url == index_server.file_url(wheel.filename)
    assert index_server.count("/files/*") == 1  # the deadline covers retries: none is left


def test_a_body_that_never_ends_is_cut_at_the_request_deadline(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("endless", "1.0"))
    index_server.inject("/simple/endless/", Endless(), times=None)
    start = time.monotonic()
    with (
        make_client([index_server.simple_url], cache_dir=tmp_path, policy=QUICK) as client,
        pytest.raises(IndexUnreachable, match="complete answer within 1 s"),
    ):
        client.project("endless")
    assert _elapsed(start) < 2.5


def test_a_slow_but_steady_answer_within_the_deadline_is_read_whole(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = make_wheel("steady", "1.0")
    index_server.add(wheel)
    index_server.inject("/files/*.whl", Drip(0.0002), times=1)
    fetcher = HttpFetcher(policy=FetchPolicy(read_timeout=0.5, request_deadline=20.0))
    response = fetcher.get(SecretURL(index_server.file_url(wheel.filename)))
    assert response.body == wheel.content


def test_retries_count_against_the_request_deadline(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.inject("/simple/*", Status(503), times=None)
    events = EventLog()
    policy = FetchPolicy(request_deadline=1.0, retries=50, backoff=0.2)
    fetcher = HttpFetcher(policy=policy, reporter=events)
    start = time.monotonic()
    with pytest.raises(IndexUnreachable) as caught:
        fetcher.get(SecretURL(index_server.project_url("busy")))
    assert _elapsed(start) < 1.5
    assert "within 1 s (last: HTTP 503)" in caught.value.message
    retries = [event for event in events if isinstance(event, Retrying)]
    assert 1 <= len(retries) < 10  # backoff doubles: the deadline ends it long before 50
    assert sum(event.delay for event in retries) < 1.0  # no sleep outlasts the deadline


def test_after_the_run_deadline_every_request_fails_at_once(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("late", "1.0"))
    index_server.inject("/simple/hung/", Hang(30.0), times=None)
    policy = FetchPolicy(read_timeout=30.0, run_deadline=1.0)
    secret = index_server.simple_url.replace("http://", "http://me:s3cret@")
    with make_client([secret], cache_dir=tmp_path, policy=policy) as client:
        start = time.monotonic()
        with pytest.raises(IndexUnreachable) as caught:
            client.project("hung")  # the read timeout is 30 s; the run has 1 s
        assert 0.9 < _elapsed(start) < 2.0
        error = caught.value
        assert error.message.startswith("the index did not answer within 1 s")
        assert error.url == index_server.simple_url.replace("http://", "http://me:****@") + "hung/"
        assert "--timeout" in error.hint
        asked = index_server.count()
        start = time.monotonic()
        with pytest.raises(IndexUnreachable, match="did not answer within 1 s"):
            client.project("late")  # the index would answer at once, but the run is over
        assert _elapsed(start) < 0.5
    assert index_server.count() == asked


def test_an_interrupted_run_does_not_wait_for_a_request_in_flight(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.inject("/simple/hung/", Hang(30.0), times=None)
    policy = FetchPolicy(read_timeout=30.0)
    start = time.monotonic()
    with (
        pytest.raises(KeyboardInterrupt),
        make_client([index_server.simple_url], cache_dir=tmp_path, policy=policy) as client,
    ):
        client.prefetch_projects(["hung"])
        while index_server.count("/simple/hung/") == 0 and _elapsed(start) < 5:
            time.sleep(0.01)
        raise KeyboardInterrupt  # Ctrl-C while the request hangs: closing must not wait 30 s
    assert _elapsed(start) < 5
