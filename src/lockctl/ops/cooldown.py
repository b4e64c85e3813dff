"""``--exclude-newer``: a cool-down that ignores releases younger than a date or a duration.

A freshly published malicious release is usually found and yanked within days; a lock that
only takes releases older than that is not the first to install one. The cut-off is a date
(``2026-11-01``: its start, in UTC), an RFC 3339 timestamp (``2026-11-01T12:00:00Z``, or with
an offset) or a duration before now (``7d``, ``12h``, ``1w2d``, ``90m``, ``30s``). A file's
age is its PEP 700 ``upload-time``, which only JSON pages carry; a release is younger than
the cut-off when every one of its files is (uv's rule: a file uploaded after it is ignored).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from lockctl.errors import UsageError

if TYPE_CHECKING:
    from lockctl.index import DistributionFile

__all__ = ["format_instant", "parse_cutoff", "parse_instant", "uploaded_after"]

_UNITS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_DURATION = re.compile(r"(?:\s*(\d+)\s*(min|[smhdw]))+\s*")
_PART = re.compile(r"(\d+)\s*(min|[smhdw])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
# RFC 3339: a date, "T" (or a space), a time with optional fraction, then "Z" or an offset.
_TIMESTAMP = re.compile(
    r"(?P<base>\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?P<zone>[Zz]|[+-]\d{2}:\d{2})?"
)


def parse_cutoff(text: str, *, now: datetime) -> datetime:
    """The instant before which releases count: a date, a timestamp, or ``now`` less a duration.

    Raises ``UsageError`` (exit 2) for anything else.
    """
    stripped = text.strip()
    if _DURATION.fullmatch(stripped):
        seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(stripped))
        return now - timedelta(seconds=seconds)
    if _DATE.fullmatch(stripped):
        instant = parse_instant(f"{stripped}T00:00:00Z")
    else:
        instant = parse_instant(stripped, local_ok=False)
    if instant is None:
        raise UsageError(
            f"--exclude-newer {text!r} is neither a duration, a date nor an RFC 3339 timestamp",
            hint="for example --exclude-newer 7d, 12h, 2026-11-01 or 2026-11-01T12:00:00Z",
        )
    return instant


def parse_instant(text: str, *, local_ok: bool = False) -> datetime | None:
    """An RFC 3339 / ISO 8601 timestamp (PEP 700 ``upload-time``) in UTC; None if it is not one.

    Written by hand because ``datetime.fromisoformat`` of Python 3.10 takes neither ``Z`` nor
    a fraction of other than 3 or 6 digits. Without a zone the time is UTC when ``local_ok``
    (an index that leaves it out means UTC, as PyPI does), else it is not a timestamp.
    """
    match = _TIMESTAMP.fullmatch(text.strip())
    if match is None or (match["zone"] is None and not local_ok):
        return None
    fraction = (match["fraction"] or "")[:6].ljust(6, "0")
    zone = match["zone"] or "Z"
    offset = "+00:00" if zone in ("Z", "z") else zone
    try:
        parsed = datetime.fromisoformat(f"{match['base'].replace(' ', 'T')}.{fraction}{offset}")
    except ValueError:
        return None  # a month 13, a day 32
    return parsed.astimezone(timezone.utc)


def format_instant(instant: datetime) -> str:
    """RFC 3339 in UTC, to the second: ``2026-11-01T00:00:00Z``."""
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def uploaded_after(files: Iterable[DistributionFile], cutoff: datetime) -> bool | None:
    """Whether every file was uploaded after ``cutoff``; None when no file says when."""
    times = [parse_instant(f.upload_time, local_ok=True) for f in files if f.upload_time]
    known = [t for t in times if t is not None]
    if not known:
        return None
    return min(known) > cutoff
