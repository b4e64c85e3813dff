"""Cut a fetched project page into its cache entry without decoding it: an optimisation.

``store_page`` turns a fetched page into its cache entry and returns the page as a reader of
that entry sees it. For a PEP 691 JSON page it does not decode the files: ``json_page_chunks``
scans the body once with the JSON decoder and cuts each file dict out of the text as the index
wrote it, grouped by release, and the cache stores those bytes (a dict whose URL carries
credentials is the one written again, without them). Releases are decoded later, only those a
caller looks at (``cache.LazyGroups``). An HTML page is parsed and stored the plain way.

The plain way for JSON, which this module must stay equal to: ``simple.parse_json_page``
(``json.loads``, then grouping by release) and ``Cache.put_page``, which encodes every record
again; ``tests/index/test_simple.py`` checks that both keep the same files and refuse the same
bodies. That decode and re-encode cost about twice the scan on megabyte pages when this was
written, and pages are large: pandas' JSON page is over 1 MB, and a cold compile of the
data-science stack reads about 31 MB of them (README, "Performance"). The gain shows in the
cold runs of ``benchmarks/compile.py``. The calling process uses ``store_page`` for small
pages, and the page worker (``pageworker.py``) for large ones.
"""

from __future__ import annotations

import json
import re

from packaging.utils import NormalizedName

from lockctl.index.cache import Cache
from lockctl.index.models import ProjectPage, release_key
from lockctl.index.simple import PageFormatError, is_json_page, parse_project_page
from lockctl.urls import SecretURL, strip_credentials

__all__ = ["json_page_chunks", "store_page"]


def store_page(
    cache: Cache,
    key: str,
    *,
    name: NormalizedName,
    page_url: SecretURL,
    content_type: str,
    body: bytes,
    etag: str | None,
) -> ProjectPage:
    """Turn a fetched page into its cache entry, and the page as read from that entry.

    What the worker does with every page it is sent, and the calling process with the pages
    it keeps. A PEP 691 page keeps the index's own file dicts (``json_page_chunks``); an HTML
    page is parsed. Raises ``PageFormatError``.
    """
    if is_json_page(content_type):
        groups = cache.put_page_chunks(
            key,
            base=page_url.without_credentials().secret,
            chunks=json_page_chunks(name, body),
            etag=etag,
            found=True,
        )
        return ProjectPage(name=name, source=page_url.redacted, base=page_url, groups=groups)
    page = parse_project_page(name=name, page_url=page_url, content_type=content_type, body=body)
    base = page.base.without_credentials().secret
    cache.put_page(key, base=base, groups=page.groups, etag=etag, found=True)
    return page


def json_page_chunks(name: NormalizedName, body: bytes) -> dict[str, bytes]:
    """A PEP 691 page's files grouped by release, each group a JSON array of the page's own text.

    What the cache stores: the file dicts as the index wrote them, cut out of the body rather
    than decoded and encoded again. A file URL with credentials in it is the exception: that
    dict is written again without them. Raises ``PageFormatError`` for what
    ``simple.parse_json_page`` refuses.
    """
    try:
        text = body.decode("utf-8")
        pieces: dict[str, list[str]] = {}
        memo: dict[str, str | None] = {}
        position = _skip(text, _expect(text, _skip(text, 0), "{"))
        found = False
        while not text.startswith("}", position):
            key, position = _DECODER.raw_decode(text, position)
            if not isinstance(key, str):
                raise TypeError("a key that is not a string")
            position = _skip(text, _expect(text, _skip(text, position), ":"))
            if key == "files":
                position = _file_pieces(name, text, position, pieces, memo)
                found = True
            else:
                _, position = _DECODER.raw_decode(text, position)
            position = _after_item(text, _skip(text, position), "}")
        if not found or text[position + 1 :].strip():
            raise ValueError("no files list, or text after the page")
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise PageFormatError(f"not a PEP 691 JSON page: {exc}") from exc
    return {key: f"[{','.join(group)}]".encode() for key, group in pieces.items()}


def _file_pieces(
    name: NormalizedName,
    text: str,
    position: int,
    pieces: dict[str, list[str]],
    memo: dict[str, str | None],
) -> int:
    """Cut each file dict of the ``files`` array out of ``text``; the position after it."""
    position = _skip(text, _expect(text, position, "["))
    if text.startswith("]", position):
        return position + 1
    decode, separator = _DECODER.raw_decode, _FILES_SEPARATOR.match
    while True:  # once per file: tens of thousands on a large page, so kept lean
        record, end = decode(text, position)
        if not isinstance(record, dict) or not isinstance(record.get("url"), str):
            raise TypeError("a file without a URL")
        if not isinstance(record.get("filename"), str):
            raise TypeError("a file without a filename")
        key = release_key(record["filename"], name, memo)
        if key is not None:
            piece = text[position:end]
            if "@" in record["url"]:  # rare: checked here, as this runs once per file
                clean = strip_credentials(record["url"])
                if clean != record["url"]:
                    piece = json.dumps({**record, "url": clean}, separators=(",", ":"))
            pieces.setdefault(key, []).append(piece)
        after = separator(text, end)
        if after is None:
            raise ValueError(f"expected ',' or ']' at offset {end}")
        if after.group(1) == "]":
            return after.end()
        position = after.end()


_DECODER = json.JSONDecoder()
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_FILES_SEPARATOR = re.compile(r"[ \t\n\r]*(\]|,[ \t\n\r]*)")


def _skip(text: str, position: int) -> int:
    match = _WHITESPACE.match(text, position)
    assert match is not None  # the pattern matches the empty string
    return match.end()


def _after_item(text: str, position: int, closing: str) -> int:
    """Past the comma after an item, at the next item; or at ``closing``, the last one."""
    if text.startswith(",", position):
        position = _skip(text, position + 1)
        if not text.startswith(closing, position):
            return position
    elif text.startswith(closing, position):
        return position
    raise ValueError(f"expected ',' or {closing!r} at offset {position}")


def _expect(text: str, position: int, char: str) -> int:
    if not text.startswith(char, position):
        raise ValueError(f"expected {char!r} at offset {position}")
    return position + 1
