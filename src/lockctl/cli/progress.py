"""A live status line on a terminal: packages resolved, requests in flight, cache hits."""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

from lockctl.ops.compile import ProgressSnapshot

__all__ = ["Progress"]


class Progress:
    """Redraws one line of stderr at most ten times a second; silent when not enabled."""

    def __init__(self, *, enabled: bool, stream: TextIO | None = None) -> None:
        self.enabled = enabled
        self.stream = stream or sys.stderr
        self._last = 0.0
        self._shown = False

    def update(self, snapshot: ProgressSnapshot) -> None:
        now = time.monotonic()
        if not self.enabled or now - self._last < 0.1:
            return
        self._last = now
        line = (
            f"resolving: {snapshot.projects} packages, {snapshot.in_flight} requests in flight, "
            f"{snapshot.cache_hits} cache hits"
        )
        self.stream.write(f"\r{line}\x1b[K")
        self.stream.flush()
        self._shown = True

    def print(self, text: str) -> None:
        """A message above the live line."""
        self._clear()
        print(text, file=self.stream)

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._clear()
