"""Parse project pages of the simple repository API: PEP 691 JSON and PEP 503 HTML.

HTML pages carry the PEP 503 anchor attributes: ``data-requires-python`` (HTML-escaped),
``data-yanked`` (PEP 592), ``data-core-metadata`` and its older spelling
``data-dist-info-metadata`` (PEP 658 / PEP 714). Hashes ride in the URL fragment.
"""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Mapping
from html.parser import HTMLParser
from typing import Any

from packaging.utils import NormalizedName

from lockctl.index.models import (
    DistributionFile,
    FileRecord,
    ProjectPage,
    build_file,
    release_key,
)
from lockctl.urls import SecretURL, strip_credentials

__all__ = [
    "ACCEPT_HEADER",
    "JSON_CONTENT_TYPE",
    "PageFormatError",
    "html_links",
    "is_json_page",
    "json_page_chunks",
    "list_project_names",
    "parse_html_page",
    "parse_json_page",
    "parse_project_page",
]

JSON_CONTENT_TYPE = "application/vnd.pypi.simple.v1+json"
# PEP 691: prefer JSON, accept the HTML form (old servers ignore Accept and send text/html).
ACCEPT_HEADER = f"{JSON_CONTENT_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"


class PageFormatError(ValueError):
    """The body is neither a PEP 691 JSON page nor an HTML page."""


def parse_project_page(
    *, name: NormalizedName, page_url: SecretURL, content_type: str, body: bytes
) -> ProjectPage:
    """Dispatch on the response's content type, as PEP 691 asks clients to."""
    if is_json_page(content_type):
        return parse_json_page(name=name, page_url=page_url, body=body)
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type in ("text/html", "application/vnd.pypi.simple.v1+html"):
        return parse_html_page(name=name, page_url=page_url, body=body)
    raise PageFormatError(f"unexpected content type {media_type or '(none)'!r}")


def is_json_page(content_type: str) -> bool:
    """Whether the content type is PEP 691's JSON form (or another ``+json`` flavour of it)."""
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_CONTENT_TYPE or media_type.endswith("+json")


def list_project_names(content_type: str, body: bytes) -> list[str]:
    """The names on an index's root page (PEP 691 ``projects`` or PEP 503 anchors)."""
    try:
        if "json" in content_type:
            document: Any = json.loads(body)
            return [str(p["name"]) for p in document.get("projects", [])]
        parser = _AnchorParser()
        parser.feed(body.decode("utf-8", "replace"))
        return [name for name in parser.texts if name]
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


def _grouped(name: NormalizedName, records: list[FileRecord]) -> dict[str, list[FileRecord]]:
    groups: dict[str, list[FileRecord]] = {}
    memo: dict[str, str | None] = {}
    for record in records:
        # The file dicts stay as the index sent them; they become DistributionFile values only
        # for the releases a caller looks at. A dict without a str filename or url is not a page.
        key = release_key(record["filename"], name, memo)
        if key is not None:
            if not isinstance(record["url"], str):
                raise TypeError(f"file {record['filename']!r} has no URL")
            groups.setdefault(key, []).append(record)
    return groups


def json_page_chunks(name: NormalizedName, body: bytes) -> dict[str, bytes]:
    """A PEP 691 page's files grouped by release, each group a JSON array of the page's own text.

    What the cache stores: the file dicts as the index wrote them, cut out of the body rather
    than decoded and encoded again (which cost twice as much on megabyte pages). A file URL
    with credentials in it is the exception: that dict is written again without them.
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


def parse_json_page(*, name: NormalizedName, page_url: SecretURL, body: bytes) -> ProjectPage:
    try:
        document: Any = json.loads(body)
        raw_files = document["files"]
        if not isinstance(raw_files, list):
            raise TypeError("files is not a list")
        groups = _grouped(name, raw_files)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PageFormatError(f"not a PEP 691 JSON page: {exc}") from exc
    return ProjectPage(name=name, source=page_url.redacted, base=page_url, groups=groups)


def parse_html_page(*, name: NormalizedName, page_url: SecretURL, body: bytes) -> ProjectPage:
    base, records = _anchors(page_url, body)
    return ProjectPage(
        name=name, source=page_url.redacted, base=base, groups=_grouped(name, records)
    )


def html_links(page_url: SecretURL, body: bytes) -> list[DistributionFile]:
    """Every link of an HTML page as a file (a find-links page lists many projects)."""
    base, records = _anchors(page_url, body)
    return [build_file(base, record) for record in records]


def _anchors(page_url: SecretURL, body: bytes) -> tuple[SecretURL, list[FileRecord]]:
    parser = _AnchorParser()
    try:
        parser.feed(body.decode("utf-8"))
        parser.close()
    except UnicodeDecodeError as exc:
        raise PageFormatError(f"HTML page is not UTF-8: {exc}") from exc
    base = page_url.join(parser.base_href) if parser.base_href else page_url
    return base, [_html_record(attrs) for attrs in parser.anchors if attrs.get("href")]


def _html_record(attrs: Mapping[str, str | None]) -> FileRecord:
    """An anchor in the shape of a PEP 691 file dict, so both formats share one path."""
    href, _, fragment = (attrs["href"] or "").partition("#")
    algorithm, sep, digest = fragment.partition("=")
    record: FileRecord = {
        "filename": urllib.parse.unquote(urllib.parse.urlsplit(href).path.rsplit("/", 1)[-1]),
        "url": href,
        "hashes": {algorithm.lower(): digest.lower()} if sep and algorithm and digest else {},
    }
    if attrs.get("data-requires-python"):
        record["requires-python"] = attrs["data-requires-python"]
    if "data-yanked" in attrs:
        record["yanked"] = attrs["data-yanked"] or True
    if "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs:
        value = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata"))
        record["core-metadata"] = _html_core_metadata(value)
    return record


def _html_core_metadata(value: str | None) -> dict[str, str] | bool:
    if value == "false":
        return False
    algorithm, sep, digest = (value or "").partition("=")
    return {algorithm.lower(): digest.lower()} if sep else True


class _AnchorParser(HTMLParser):
    """Collect the attributes of every <a> and the first <base href>.

    HTMLParser unescapes attribute values, so ``&gt;=3.8`` arrives as ``>=3.8``.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []
        self.texts: list[str] = []
        self.base_href: str | None = None
        self._in_anchor = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append({key: ("" if value is None else value) for key, value in attrs})
            self._in_anchor = True
            self.texts.append("")
        elif tag == "base" and self.base_href is None:
            self.base_href = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False

    def handle_data(self, data: str) -> None:
        if self._in_anchor:
            self.texts[-1] += data.strip()
