"""A thread pool that runs the most wanted request first, not the oldest.

A cold compile asks for far more than the pool's threads can fetch at once: every page and
release the lookahead can see. Served first come, first served, a request on a long chain of
dependencies (each link known only once the one before it is read) waited behind dozens of
requests that nothing waited for, at every link. Here each request carries a priority (lower
runs first: the lookahead gives deeper links lower numbers, so chains are followed to their
end), and ``hurry`` moves a request somebody is now blocked on to the front.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

__all__ = ["URGENT", "PriorityPool"]

_T = TypeVar("_T")

URGENT = float("-inf")  # somebody is blocked on it


@dataclass(slots=True, eq=False)
class _Work(Generic[_T]):
    call: Callable[[], _T]
    future: Future[_T] = field(default_factory=Future)
    taken: bool = False  # a thread has it (an entry pushed again by hurry() is then skipped)


class PriorityPool:
    def __init__(self, max_workers: int, *, thread_name_prefix: str = "pool") -> None:
        self._max_workers = max_workers
        self._prefix = thread_name_prefix
        self._queue: queue.PriorityQueue[tuple[float, int, _Work[Any] | None]] = (
            queue.PriorityQueue()
        )
        self._order = itertools.count()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._waiting: dict[Future[Any], _Work[Any]] = {}  # submitted, not taken yet
        self._closed = False

    def submit(self, call: Callable[..., _T], /, *args: Any, priority: float = 0.0) -> Future[_T]:
        work: _Work[_T] = _Work(lambda: call(*args))
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._waiting[work.future] = work
            self._queue.put((priority, next(self._order), work))
            if len(self._threads) < self._max_workers:
                thread = threading.Thread(
                    target=self._serve, name=f"{self._prefix}_{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return work.future

    def hurry(self, future: Future[Any]) -> None:
        """Run this one next, if no thread has it yet."""
        with self._lock:
            work = self._waiting.get(future)
            if work is not None and not self._closed:
                self._queue.put((URGENT, next(self._order), work))

    def shutdown(self, *, cancel_futures: bool = True) -> None:
        """Cancel what has not started (if asked), let the rest finish, and stop the threads."""
        with self._lock:
            self._closed = True
            if cancel_futures:
                for work in self._waiting.values():
                    work.future.cancel()
                self._waiting.clear()
            threads = list(self._threads)
        for _ in threads:
            self._queue.put((float("inf"), next(self._order), None))
        for thread in threads:
            thread.join()

    def _serve(self) -> None:
        while True:
            _, _, work = self._queue.get()
            if work is None:
                return
            with self._lock:
                if work.taken:
                    continue
                work.taken = True
                self._waiting.pop(work.future, None)
            if not work.future.set_running_or_notify_cancel():
                continue
            try:
                result = work.call()
            except BaseException as exc:  # handed to whoever waits, as the stdlib pool does
                work.future.set_exception(exc)
            else:
                work.future.set_result(result)
