"""A guard for tests on adversarial input: super-linear work fails the test, not the run.

The inputs of those tests are megabytes long, so a linear pass takes well under a second and
a quadratic one hours. ``deadline`` is no timing assertion: it only turns such a hang into a
failure. SIGALRM is delivered between bytecodes, and inside ``re`` every few thousand steps
of the matching engine, so a quadratic search fails some seconds after the deadline.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

import pytest

__all__ = ["GUARD_SECONDS", "deadline"]

GUARD_SECONDS = 10.0


@contextmanager
def deadline(seconds: float = GUARD_SECONDS) -> Iterator[None]:
    """Fail the test when the block is still running after ``seconds``.

    Where there is no SIGALRM (Windows) or the test is not on the main thread, the block runs
    unguarded: a regression then hangs until the CI job's own time limit.
    """
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        pytest.fail(f"still running after {seconds:g} s: is a pass over the input super-linear?")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
