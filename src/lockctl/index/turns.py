"""Whose turn it is to have a page cut: one at a time, a page somebody waits for first, then
the smallest.

Both worker processes cut pages one at a time (``pageworker``: the calling process's threads
queue for the one worker; ``fetchworker``: the worker's own threads queue for its GIL). Served
first come, first served, a small page on a long chain of dependencies (each known only once
the page before it is read) waited behind megabytes of pages nobody needed yet, hop after hop.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Iterator

__all__ = ["PageTurns"]


class PageTurns:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._busy = False
        self._waiting: dict[int, tuple[int, str]] = {}  # ticket -> (size, name)
        self._urgent: set[str] = set()
        self._tickets = itertools.count()

    @property
    def busy(self) -> bool:
        """Whether a page is being cut now."""
        with self._condition:
            return self._busy

    def pending(self) -> int:
        """The page being cut, if any, and those waiting their turn."""
        with self._condition:
            return len(self._waiting) + int(self._busy)

    def hurry(self, name: str) -> None:
        """Somebody is blocked on this page: it goes before every page nobody waits for."""
        with self._condition:
            self._urgent.add(name)
            self._condition.notify_all()

    @contextlib.contextmanager
    def turn(self, size: int, name: str) -> Iterator[None]:
        """Wait for this page's turn, and hold it while in the block."""
        with self._condition:
            mine = next(self._tickets)
            self._waiting[mine] = (size, name)
            while self._busy or self._first() != mine:
                self._condition.wait()
            del self._waiting[mine]
            self._busy = True
        try:
            yield
        finally:
            with self._condition:
                self._busy = False
                self._condition.notify_all()

    def _first(self) -> int:
        def priority(ticket: int) -> tuple[bool, int, int]:
            size, name = self._waiting[ticket]
            return (name not in self._urgent, size, ticket)

        return min(self._waiting, key=priority)
