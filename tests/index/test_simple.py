"""Parsing project pages: the PEP 503 and PEP 691 details that servers differ on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name

from lockctl.index.cache import Cache
from lockctl.index.models import build_file
from lockctl.index.pageslicer import json_page_chunks
from lockctl.index.simple import JSON_CONTENT_TYPE as JSON
from lockctl.index.simple import PageFormatError, parse_project_page
from lockctl.urls import SecretURL

PAGE = SecretURL("https://user:pw@index.test/simple/demo/")
NAME = canonicalize_name("demo")
_WHEEL = {  # a PEP 691 file dict, with the PEP 658 field under its old name
    "filename": "demo-1.0-py3-none-any.whl",
    "url": "../../files/demo-1.0-py3-none-any.whl",
    "hashes": {"sha256": "ab"},
    "dist-info-metadata": {"sha256": "cd"},
    "yanked": False,
    "size": 10,
}


def test_html_base_href_hashes_and_old_metadata_attribute() -> None:
    body = b"""<html><head><base href="https://files.test/packages/"></head><body>
    <a href="demo-1.0.tar.gz#SHA256=ABCD" data-dist-info-metadata="true">demo-1.0.tar.gz</a>
    <a href="demo-2.0-py3-none-any.whl" data-yanked data-requires-python="&lt;4,&gt;=3.9">w</a>
    </body></html>"""
    page = parse_project_page(name=NAME, page_url=PAGE, content_type="text/html", body=body)
    sdist, wheel = page.files
    assert sdist.url.secret == "https://files.test/packages/demo-1.0.tar.gz"
    assert sdist.hashes == {"sha256": "abcd"}
    assert sdist.core_metadata == {}
    assert wheel.yanked == "" and wheel.requires_python == "<4,>=3.9"
    assert wheel.core_metadata is None
    assert page.source == "https://user:****@index.test/simple/demo/"


def test_json_relative_urls_keep_credentials_on_the_same_host() -> None:
    body = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "demo",
            "files": [_WHEEL],
        }
    ).encode()
    page = parse_project_page(
        name=NAME, page_url=PAGE, content_type="application/vnd.pypi.simple.v1+json", body=body
    )
    (wheel,) = page.files
    assert wheel.url.secret == "https://user:pw@index.test/files/demo-1.0-py3-none-any.whl"
    assert wheel.core_metadata == {"sha256": "cd"} and wheel.size == 10
    assert "pw" not in str(wheel.url)


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", b"hello"),
        ("application/vnd.pypi.simple.v1+json", b"{not json"),
        ("application/vnd.pypi.simple.v1+json", b'{"files": 3}'),
    ],
)
def test_bodies_that_are_not_pages(content_type: str, body: bytes) -> None:
    with pytest.raises(PageFormatError):
        parse_project_page(name=NAME, page_url=PAGE, content_type=content_type, body=body)


# -- pageslicer.json_page_chunks: the same files as the parser, cut from the body ------------

_FILES = [
    {**_WHEEL, "upload-time": "2024-01-01T00:00:00Z"},
    {"filename": "demo-1.0.tar.gz", "url": "https://u:secret@files.test/demo-1.0.tar.gz"},
    {"filename": "Demo-2.0rc1.tar.gz", "url": "d.tgz", "yanked": 'broken \u00e9 "quoted" }]'},
    {
        "filename": "demo-2.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "url": "w",
        "core-metadata": True,
        "requires-python": ">=3.9",
        "hashes": {},
    },
    {"filename": "other-1.0.tar.gz", "url": "not-this-project"},
    {"filename": "demo-not-a-version!.tar.gz", "url": "bad"},
]


def _document(**extra: object) -> dict[str, object]:
    return {
        "meta": {"api-version": "1.1", "_last-serial": 3},
        "name": "demo",
        "files": _FILES,
        **extra,
    }


@pytest.mark.parametrize(
    "body",
    [
        json.dumps(_document()).encode(),
        json.dumps(_document(versions=["1.0", "2.0"]), indent=2).encode(),
        json.dumps(_document(), separators=(",", ":"), ensure_ascii=False).encode(),
        b'\n {"files" : [ ] , "name":"demo"}\r\n',
    ],
    ids=["spaced", "indented", "compact-utf8", "empty"],
)
def test_chunks_hold_the_same_files_as_the_parsed_page(body: bytes, tmp_path: Path) -> None:
    # The worker's entry and the in-process parser's, once both are in the cache, are the
    # same files: same releases, same values, credentials taken out of absolute URLs.
    cache = Cache(tmp_path)
    parsed = parse_project_page(name=NAME, page_url=PAGE, content_type=JSON, body=body)
    cache.put_page("parsed", base=PAGE.secret, groups=parsed.groups, etag=None, found=True)
    chunks = json_page_chunks(NAME, body)
    cache.put_page_chunks("cut", base=PAGE.secret, chunks=chunks, etag=None, found=True)
    from_parser, from_chunks = cache.get_page("parsed"), cache.get_page("cut")
    assert from_parser is not None and from_chunks is not None
    assert set(from_chunks.groups) == set(from_parser.groups) == set(parsed.groups)
    for key in parsed.groups:
        assert [build_file(PAGE, r) for r in from_chunks.groups[key]] == [
            build_file(PAGE, r) for r in from_parser.groups[key]
        ]
    assert b"secret" not in b"".join(chunks.values())


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"files": 3}',
        b'{"name": "demo"}',
        b"[1]",
        b'{"files": []',
        b'{"files": []} trailing',
        b'{"files": [] "name": "demo"}',
        b'{"files": [{"filename": "demo-1.0.tar.gz", "url": "x"},]}',
        b'{"files": [{"filename": "demo-1.0.tar.gz", "url": "x"}],}',
        b'{"files": [{"filename": 3, "url": "x"}]}',
        b'{"files": [{"filename": "demo-1.0.tar.gz"}]}',
        b'{"files": ["demo-1.0.tar.gz"]}',
        b'\xff{"files": []}',
    ],
)
def test_chunks_refuse_what_the_parser_refuses(body: bytes) -> None:
    with pytest.raises(PageFormatError):
        parse_project_page(name=NAME, page_url=PAGE, content_type=JSON, body=body)
    with pytest.raises(PageFormatError):
        json_page_chunks(NAME, body)
