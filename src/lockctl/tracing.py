"""What one run spent its time on: counters for ``-v``'s figures line, spans for ``--timings``.

The index client, the package source and the resolver each record what they do into the run's
``Tracer``: HTTP requests (with their bytes), page and metadata loads, the moments the resolver
waited for the network, and its rounds and backtracks. Counters are always kept (they cost a
lock and an addition); spans only when a trace file was asked for. ``chrome_trace`` writes the
spans in the Trace Event Format that Chrome's ``about:tracing`` and Perfetto open, so a slow
compile can be looked at request by request.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["RunFigures", "Tracer"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RunFigures:
    """The counters of a run, for one line of figures and for benchmarks.

    ``serial_fetches`` are metadata fetches that began only when the resolver asked for them
    (nothing had fetched them ahead): each is a full round trip the resolver sat through.
    ``waits`` count every time the resolver blocked on the network, for a page or for metadata
    already on its way, and ``wait_seconds`` their total. ``rejected`` candidates are releases
    the resolver read and could not use; ``backtracks`` the times it undid pins to get past a
    conflict.
    """

    seconds: float
    pages: int
    pages_cached: int
    metadata: int
    metadata_cached: int
    requests: int
    bytes_received: int
    waits: int
    wait_seconds: float
    serial_fetches: int
    rounds: int
    rejected: int
    backtracks: int

    def to_dict(self) -> dict[str, int | float]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class _Span:
    name: str
    category: str
    start: float
    duration: float
    thread: int
    args: Mapping[str, Any]


class Tracer:
    """Counters and (with ``spans=True``) timed spans of one run; safe from many threads."""

    def __init__(self, *, spans: bool = False) -> None:
        self.keeps_spans = spans
        self._origin = time.perf_counter()
        self._main = threading.get_ident()  # the first row of the trace
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._wait_seconds = 0.0
        self._spans: list[_Span] = []

    def count(self, name: str, amount: int = 1) -> None:
        with self._lock:
            self._counts[name] += amount

    def waited(self, seconds: float, *, what: str, serial: bool) -> None:
        """The resolver blocked ``seconds`` on the network for ``what``."""
        with self._lock:
            self._counts["waits"] += 1
            self._counts["serial_fetches"] += int(serial)
            self._wait_seconds += seconds
        if self.keeps_spans:
            start = time.perf_counter() - seconds
            self._add("wait " + what, "resolver", start, seconds, {"serial": serial})

    @contextmanager
    def span(self, name: str, category: str, **args: Any) -> Iterator[dict[str, Any]]:
        """Time the block as one span; the block may add to the yielded ``args``."""
        if not self.keeps_spans:
            yield args
            return
        start = time.perf_counter()
        try:
            yield args
        finally:
            self._add(name, category, start, time.perf_counter() - start, args)

    def _add(
        self, name: str, category: str, start: float, duration: float, args: Mapping[str, Any]
    ) -> None:
        span = _Span(name, category, start - self._origin, duration, threading.get_ident(), args)
        with self._lock:
            self._spans.append(span)

    def figures(self) -> RunFigures:
        with self._lock:
            counts = Counter(self._counts)
            waited = self._wait_seconds
        return RunFigures(
            seconds=time.perf_counter() - self._origin,
            pages=counts["pages"],
            pages_cached=counts["pages_cached"],
            metadata=counts["metadata"],
            metadata_cached=counts["metadata_cached"],
            requests=counts["requests"],
            bytes_received=counts["bytes"],
            waits=counts["waits"],
            wait_seconds=waited,
            serial_fetches=counts["serial_fetches"],
            rounds=counts["rounds"],
            rejected=counts["rejected"],
            backtracks=counts["backtracks"],
        )

    def chrome_trace(self) -> dict[str, Any]:
        """The spans as Trace Event Format "complete" events (microseconds), one row a thread."""
        with self._lock:
            spans = list(self._spans)
        order = dict.fromkeys([self._main, *(span.thread for span in spans)])
        threads = {thread: number for number, thread in enumerate(order)}
        pid = os.getpid()
        events: list[dict[str, Any]] = [
            {"ph": "M", "name": "process_name", "pid": pid, "args": {"name": "lockctl"}}
        ]
        events += [
            {
                "ph": "M",
                "name": "thread_name",
                "pid": pid,
                "tid": number,
                "args": {"name": "main" if number == 0 else f"worker {number}"},
            }
            for number in threads.values()
        ]
        events += [
            {
                "ph": "X",
                "name": span.name,
                "cat": span.category,
                "ts": round(span.start * 1e6, 1),
                "dur": round(span.duration * 1e6, 1),
                "pid": pid,
                "tid": threads[span.thread],
                "args": dict(span.args),
            }
            for span in sorted(spans, key=lambda s: s.start)
        ]
        return {
            "traceEvents": events,
            "displayTimeUnit": "ms",
            "otherData": {"figures": self.figures().to_dict()},
        }
