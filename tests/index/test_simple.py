"""Parsing project pages: the PEP 503 and PEP 691 details that servers differ on."""

from __future__ import annotations

import json

import pytest
from packaging.utils import canonicalize_name

from lockctl.index.simple import PageFormatError, parse_project_page
from lockctl.urls import SecretURL

PAGE = SecretURL("https://user:pw@index.test/simple/demo/")
NAME = canonicalize_name("demo")


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
            "files": [
                {
                    "filename": "demo-1.0-py3-none-any.whl",
                    "url": "../../files/demo-1.0-py3-none-any.whl",
                    "hashes": {"sha256": "ab"},
                    "dist-info-metadata": {"sha256": "cd"},
                    "yanked": False,
                    "size": 10,
                }
            ],
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
