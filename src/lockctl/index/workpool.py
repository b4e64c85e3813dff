"""The index client's threads, taking work by urgency rather than in the order it was asked.

Replaces ``concurrent.futures.ThreadPoolExecutor`` (first in, first out) for one reason: on a
stack where the resolver walks down a project (``benchmarks/compile.py``, the ``ml`` stack), the
lookahead and the resolver's batch prefetch queue dozens of guessed metadata reads, and a
project page asked for after them, the next step of the graph, waited behind all of them. Here
a page goes first, then metadata somebody waits for, then guesses; within one urgency, first in
first out. Work already queued as a guess can be hurried when somebody starts waiting for it.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from concurrent.futures import Future
from enum import IntEnum
from typing import Any, TypeVar

__all__ = ["Urgency", "WorkPool"]

_T = TypeVar("_T")


class Urgency(IntEnum):
    """Lower goes first."""

    PAGE = 0  # a project page: it tells what comes next
    WANTED = 1  # metadata the resolver asked for (or is about to)
    GUESS = 2  # metadata the lookahead or a prefetch guessed at


class _Work:
    __slots__ = ("args", "fn", "future")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], future: Future[Any]) -> None:
        self.fn = fn
        self.args = args
        self.future = future

    def run(self) -> None:
        if not self.future.set_running_or_notify_cancel():
            return
        try:
            result = self.fn(*self.args)
        except BaseException as exc:  # handed to whoever waits, as ThreadPoolExecutor does
            self.future.set_exception(exc)
        else:
            self.future.set_result(result)


class WorkPool:
    """``max_workers`` threads, started as work arrives; ``submit`` returns a Future."""

    def __init__(self, max_workers: int, *, thread_name_prefix: str) -> None:
        self._max_workers = max(1, max_workers)
        self._prefix = thread_name_prefix
        self._lock = threading.Condition()
        self._queue: list[tuple[int, int, _Work | None]] = []
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._queued: dict[Future[Any], _Work] = {}
        self._closed = False

    def submit(self, urgency: Urgency, fn: Callable[..., _T], *args: Any) -> Future[_T]:
        future: Future[_T] = Future()
        work = _Work(fn, args, future)
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new work after shutdown")
            heapq.heappush(self._queue, (urgency, next(self._order), work))
            self._queued[future] = work
            if self._idle == 0 and len(self._threads) < self._max_workers:
                self._start_thread()
            else:
                self._lock.notify()
        return future

    def hurry(self, future: Future[Any], urgency: Urgency) -> None:
        """Queue the future's work again at ``urgency``; whichever copy comes first runs it."""
        with self._lock:
            work = self._queued.get(future)
            if work is not None and not self._closed:
                heapq.heappush(self._queue, (urgency, next(self._order), work))
                self._lock.notify()

    def shutdown(self, *, wait: bool = True, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            if cancel_futures:
                for _, _, work in self._queue:
                    if work is not None:
                        work.future.cancel()
                self._queue.clear()
                self._queued.clear()
            for _ in self._threads:
                heapq.heappush(self._queue, (len(Urgency), next(self._order), None))
            self._lock.notify_all()
            threads = list(self._threads)
        if wait:
            for thread in threads:
                thread.join()

    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._work, name=f"{self._prefix}_{len(self._threads)}", daemon=True
        )
        self._threads.append(thread)
        thread.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._queue:
                    self._idle += 1
                    self._lock.wait()
                    self._idle -= 1
                _, _, work = heapq.heappop(self._queue)
                if work is None:
                    return
                if self._queued.pop(work.future, None) is None:
                    continue  # the other copy of hurried work ran it already
            work.run()
