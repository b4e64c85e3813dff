"""HTTP answers as values: content negotiation (PEP 691) and byte ranges (RFC 9110 §14)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from tests.support.pages import JSON_TYPE

__all__ = [
    "HTML_CONTENT_TYPE",
    "Reply",
    "negotiate",
    "page_reply",
    "ranged_reply",
    "text_reply",
]

HTML_CONTENT_TYPE = "text/html; charset=utf-8"
_OCTETS = "application/octet-stream"
_HTML_TYPES = frozenset(
    {"text/html", "application/vnd.pypi.simple.v1+html", "application/vnd.pypi.simple.latest+html"}
)
_JSON_TYPES = frozenset({JSON_TYPE, "application/vnd.pypi.simple.latest+json"})
_WILDCARDS = frozenset({"*/*", "text/*"})
_BYTE_RANGE = re.compile(r"bytes=(\d*)-(\d*)")


@dataclass(frozen=True, slots=True, kw_only=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: Mapping[str, str] = field(default_factory=dict)


def text_reply(status: int, message: str, **headers: str) -> Reply:
    return Reply(status=status, body=f"{message}\n".encode(), headers=headers)


def page_reply(body: bytes, content_type: str, *, if_none_match: str | None = None) -> Reply:
    """A page with an ETag; 304 and no body when the client already holds this version."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    # Vary: the same URL answers HTML or JSON depending on Accept (PEP 691).
    headers = {"Vary": "Accept", "ETag": etag}
    if if_none_match is not None and etag in (t.strip() for t in if_none_match.split(",")):
        return Reply(status=304, content_type=content_type, headers=headers)
    return Reply(status=200, body=body, content_type=content_type, headers=headers)


def _accept_quality(accept: str, media_types: Collection[str]) -> float:
    """The highest q the Accept header gives any of ``media_types`` (0 if none)."""
    best = 0.0
    for media_range in accept.split(","):
        media_type, *params = (part.strip() for part in media_range.split(";"))
        if media_type.lower() not in media_types:
            continue
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def negotiate(accept: str | None, formats: Collection[str]) -> Literal["json", "html"] | None:
    """The format to answer in, or None for 406; JSON wins ties, HTML is the default."""
    if "json" not in formats:
        return "html"  # a PEP 503-only index ignores Accept
    if accept is None:
        return "html" if "html" in formats else "json"
    json_q = _accept_quality(accept, _JSON_TYPES)
    html_q = _accept_quality(accept, _HTML_TYPES | _WILDCARDS)
    if json_q > 0 and (json_q >= html_q or "html" not in formats):
        return "json"
    return "html" if "html" in formats else None


class RangeNotSatisfiableError(Exception):
    """The range is well formed but selects no byte of the representation (416)."""


def parse_byte_range(header: str, size: int) -> tuple[int, int] | None:
    """Inclusive ``(first, last)`` byte positions, clamped to ``size``.

    None means "ignore the header and send the whole body": RFC 9110 lets a server do that
    for a malformed header, and this test server does it for multiple ranges too.
    """
    match = _BYTE_RANGE.fullmatch(header.strip())
    if match is None:
        return None
    first, last = match.groups()
    if not first:
        if not last:
            return None
        suffix = int(last)  # "bytes=-N": the final N bytes
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiableError(header)
        return max(size - suffix, 0), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise RangeNotSatisfiableError(header)
    return start, min(end, size - 1)


def ranged_reply(method: str, content: bytes, range_header: str | None, *, ranges: bool) -> Reply:
    """200 with the whole body, 206 with one range, or 416; ``ranges=False`` ignores Range."""
    if not ranges:
        return Reply(status=200, body=content, content_type=_OCTETS)
    accept_ranges = {"Accept-Ranges": "bytes"}
    whole = Reply(status=200, body=content, content_type=_OCTETS, headers=accept_ranges)
    if range_header is None or method != "GET":  # Range applies to GET only
        return whole
    try:
        byte_range = parse_byte_range(range_header, len(content))
    except RangeNotSatisfiableError:
        return text_reply(
            416, "range not satisfiable", **{"Content-Range": f"bytes */{len(content)}"}
        )
    if byte_range is None:
        return whole
    first, last = byte_range
    content_range = {"Content-Range": f"bytes {first}-{last}/{len(content)}"}
    return Reply(
        status=206,
        body=content[first : last + 1],
        content_type=_OCTETS,
        headers=accept_ranges | content_range,
    )
