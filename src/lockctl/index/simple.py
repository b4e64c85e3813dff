"""Parse project pages of the simple repository API: PEP 691 JSON and PEP 503 HTML.

HTML pages carry the PEP 503 anchor attributes: ``data-requires-python`` (HTML-escaped),
``data-yanked`` (PEP 592), ``data-core-metadata`` and its older spelling
``data-dist-info-metadata`` (PEP 658 / PEP 714). Hashes ride in the URL fragment.
"""

from __future__ import annotations

import json
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
from lockctl.urls import SecretURL

__all__ = [
    "ACCEPT_HEADER",
    "JSON_CONTENT_TYPE",
    "PageFormatError",
    "html_links",
    "is_json_page",
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
