from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.urls import SecretURL, redact_text


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://user:pa%40ss@host.test/simple/", "https://user:****@host.test/simple/"),
        ("https://token@host.test/simple/", "https://****@host.test/simple/"),
        ("https://host.test/simple/", "https://host.test/simple/"),
    ],
)
def test_display_forms_are_redacted(url: str, shown: str) -> None:
    secret = SecretURL(url)
    assert str(secret) == shown
    assert repr(secret) == f"SecretURL({shown!r})"
    assert f"{secret}" == shown


def test_file_urls_are_shown_as_they_are(tmp_path: Path) -> None:
    local = SecretURL(tmp_path.as_uri())
    assert str(local) == tmp_path.as_uri() and local.credentials() is None


def test_redact_text_finds_urls_inside_messages() -> None:
    message = "ConnectError for https://u:hunter2@a.test/x and http://tok@b.test/y"
    assert (
        redact_text(message) == "ConnectError for https://u:****@a.test/x and http://****@b.test/y"
    )


def test_credentials_are_decoded_and_carried_to_the_same_host_only() -> None:
    index = SecretURL("https://user:pa%40ss@host.test/simple/")
    assert index.credentials() == ("user", "pa@ss")
    assert index.join("pkg/").secret == "https://user:pa%40ss@host.test/simple/pkg/"
    assert index.join("/files/a.whl").secret == "https://user:pa%40ss@host.test/files/a.whl"
    assert index.join("https://cdn.test/a.whl").secret == "https://cdn.test/a.whl"
    assert index.without_credentials().secret == "https://host.test/simple/"
