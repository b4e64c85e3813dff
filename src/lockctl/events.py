"""Events the library emits while it works; only the CLI decides how to show them.

A ``Reporter`` is any callable taking an ``Event``. Library code never prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PROGRESS",
    "WARNINGS",
    "CacheEntryCorrupt",
    "CacheUnusable",
    "Event",
    "NetrcUnreadable",
    "PreviousLockIgnored",
    "ProjectListProgress",
    "Reporter",
    "Retrying",
    "ignore_events",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Retrying:
    """A transient failure; the request is sent again after ``delay`` seconds."""

    url: str  # redacted
    attempt: int
    reason: str
    delay: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheEntryCorrupt:
    """A cache entry failed its check; it is ignored and fetched again."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheUnusable:
    """The cache directory cannot be used, or not written: the run goes on, only slower.

    Sent at most once a run. ``readable``: entries already there are still read (a read-only
    cache); otherwise the run uses no cache at all.
    """

    path: Path
    reason: str
    readable: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class NetrcUnreadable:
    """The netrc file (``~/.netrc`` or ``$NETRC``) cannot be read or parsed; it is not used."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PreviousLockIgnored:
    """The existing output could not be read; its pins are not used as preferences."""

    path: Path
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectListProgress:
    """An index's list of every project, fetched to suggest a close name ("did you mean").

    Sent when the body starts (``received`` 0), about every megabyte of it, and once at the
    end with ``names`` set. ``expected``: the Content-Length, when the index sent one;
    ``limit``: the seconds the wait for the list may take.
    """

    index: str  # redacted
    received: int
    expected: int | None
    limit: float
    names: int | None = None


Event = (
    Retrying
    | CacheEntryCorrupt
    | CacheUnusable
    | NetrcUnreadable
    | PreviousLockIgnored
    | ProjectListProgress
)

# The events a person is told of without -v: each changes what the run can do.
WARNINGS = (CacheUnusable, NetrcUnreadable, PreviousLockIgnored)
# A wait a person is told of without -v (unless --quiet): what the run is waiting for.
PROGRESS = (ProjectListProgress,)
Reporter = Callable[[Event], None]


def ignore_events(event: Event) -> None:
    """The reporter for callers that do not want to hear anything."""
