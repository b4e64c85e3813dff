"""The index client's work pool: pages first, then wanted metadata, then guesses."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from lockctl.index.workpool import Urgency, WorkPool


def _blocked_pool() -> tuple[WorkPool, threading.Event, list[str]]:
    """A one-thread pool whose thread is busy until the event is set."""
    pool = WorkPool(1, thread_name_prefix="test")
    gate = threading.Event()
    ran: list[str] = []
    pool.submit(Urgency.PAGE, gate.wait, 10)
    return pool, gate, ran


def test_work_runs_by_urgency_then_in_the_order_asked() -> None:
    pool, gate, ran = _blocked_pool()
    futures = [
        pool.submit(urgency, ran.append, name)
        for urgency, name in [
            (Urgency.GUESS, "guess-1"),
            (Urgency.WANTED, "wanted-1"),
            (Urgency.GUESS, "guess-2"),
            (Urgency.PAGE, "page"),
            (Urgency.WANTED, "wanted-2"),
        ]
    ]
    gate.set()
    for future in futures:
        future.result(timeout=10)
    pool.shutdown()
    assert ran == ["page", "wanted-1", "wanted-2", "guess-1", "guess-2"]


def test_hurried_work_runs_once_and_sooner() -> None:
    pool, gate, ran = _blocked_pool()
    first = pool.submit(Urgency.GUESS, ran.append, "guess-1")
    second = pool.submit(Urgency.GUESS, ran.append, "guess-2")
    pool.hurry(second, Urgency.WANTED)
    gate.set()
    first.result(timeout=10)
    second.result(timeout=10)
    pool.shutdown()
    assert ran == ["guess-2", "guess-1"]


def test_results_and_errors_reach_the_future() -> None:
    pool = WorkPool(4, thread_name_prefix="test")
    assert pool.submit(Urgency.WANTED, sum, [1, 2, 3]).result(timeout=10) == 6
    failed = pool.submit(Urgency.WANTED, int, "not a number")
    with pytest.raises(ValueError):
        failed.result(timeout=10)
    pool.shutdown()


def test_shutdown_cancels_what_is_still_queued_and_refuses_more() -> None:
    pool, gate, ran = _blocked_pool()
    queued = pool.submit(Urgency.GUESS, ran.append, "never")
    threading.Timer(0.2, gate.set).start()
    pool.shutdown(wait=True, cancel_futures=True)
    with pytest.raises(CancelledError):
        queued.result(timeout=10)
    assert ran == []
    with pytest.raises(RuntimeError):
        pool.submit(Urgency.PAGE, ran.append, "late")


def test_threads_start_as_work_arrives_up_to_the_limit() -> None:
    pool = WorkPool(3, thread_name_prefix="test")
    gate = threading.Event()
    started = threading.Semaphore(0)

    def hold() -> None:
        started.release()
        gate.wait(10)

    futures = [pool.submit(Urgency.WANTED, hold) for _ in range(5)]
    for _ in range(3):  # three run at once: the limit
        assert started.acquire(timeout=10)
    assert not started.acquire(timeout=0.2)
    gate.set()
    for future in futures:
        future.result(timeout=10)
    pool.shutdown()
