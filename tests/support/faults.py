"""Faults the loopback index can inject, so retries and error paths run over real sockets."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

__all__ = [
    "Drip",
    "Endless",
    "Fault",
    "FaultPlan",
    "FaultSchedule",
    "Garbage",
    "Hang",
    "Reset",
    "Status",
    "Truncate",
    "WrongHash",
]


@dataclass(frozen=True, slots=True)
class Status:
    """Answer with this HTTP status (and a short text body) instead of the real response."""

    code: int
    retry_after: int | None = None


@dataclass(frozen=True, slots=True)
class Hang:
    """Wait this long before answering; the wait ends early when the server stops."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Drip:
    """Send the headers at once, then the real body one byte every ``interval`` seconds.

    Every byte arrives well within a read timeout, so only a deadline on the whole request
    stops a client from waiting for as long as the body lasts.
    """

    interval: float


@dataclass(frozen=True, slots=True)
class Endless:
    """Send the headers (a Content-Length of a terabyte), then bytes until the client leaves.

    ``interval`` seconds between chunks of ``chunk`` bytes; the body never ends on its own,
    only when the client hangs up or the server stops.
    """

    interval: float = 0.01
    chunk: int = 64


@dataclass(frozen=True, slots=True)
class Truncate:
    """Send the full Content-Length, then half the body, then close the connection."""


@dataclass(frozen=True, slots=True)
class WrongHash:
    """Advertise a wrong sha256 in index pages for the files the glob matches.

    The glob may name the file (``/files/foo-1.0-*.whl``) or the page
    (``/simple/foo/``); each index page rendered counts as one use.
    """


@dataclass(frozen=True, slots=True)
class Garbage:
    """Answer 200 with a body that is neither HTML nor JSON."""

    content_type: str = "text/plain"


@dataclass(frozen=True, slots=True)
class Reset:
    """Reset the connection (RST) without answering."""


Fault = Status | Hang | Drip | Endless | Truncate | WrongHash | Garbage | Reset


@dataclass(slots=True, kw_only=True)
class FaultPlan:
    path_glob: str
    fault: Fault
    remaining: int | None  # None: forever

    @property
    def active(self) -> bool:
        return self.remaining is None or self.remaining > 0


@dataclass(slots=True)
class FaultSchedule:
    """Thread-safe list of plans; the first active plan that matches a path is used."""

    _plans: list[FaultPlan] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, path_glob: str, fault: Fault, times: int | None) -> FaultPlan:
        if times is not None and times < 1:
            raise ValueError(f"times must be positive or None, not {times}")
        plan = FaultPlan(path_glob=path_glob, fault=fault, remaining=times)
        with self._lock:
            self._plans.append(plan)
        return plan

    def clear(self) -> None:
        with self._lock:
            self._plans.clear()

    def take_request_fault(self, path: str) -> Fault | None:
        """Consume one use of the first plan, other than WrongHash, that matches ``path``."""
        with self._lock:
            for plan in self._plans:
                if isinstance(plan.fault, WrongHash) or not plan.active:
                    continue
                if fnmatchcase(path, plan.path_glob):
                    _consume(plan)
                    return plan.fault
        return None

    def take_wrong_hashes(self, page_path: str, file_paths: dict[str, str]) -> set[str]:
        """File names (keys of ``file_paths``) whose hash a page rendering should corrupt."""
        corrupted: set[str] = set()
        with self._lock:
            for plan in self._plans:
                if not isinstance(plan.fault, WrongHash) or not plan.active:
                    continue
                if fnmatchcase(page_path, plan.path_glob):
                    hits = set(file_paths)
                else:
                    hits = {f for f, p in file_paths.items() if fnmatchcase(p, plan.path_glob)}
                if hits:
                    corrupted |= hits
                    _consume(plan)
        return corrupted


def _consume(plan: FaultPlan) -> None:
    if plan.remaining is not None:
        plan.remaining -= 1
