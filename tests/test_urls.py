from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from lockctl.urls import SecretURL, redact_text
from tests.reqfile.deadline import deadline


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


# The pattern redact_text used before issue 14: quadratic, but the reference for what it
# redacts. The linear one must agree with it on any text.
_REFERENCE = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def _reference_redact(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        user, sep, _ = match["userinfo"].partition(":")
        return match["scheme"] + (f"{user}:****" if sep else "****") + "@"

    return _REFERENCE.sub(mask, text)


def test_redact_text_agrees_with_the_reference_pattern() -> None:
    rng = random.Random(14)
    alphabet = "aZ9+.-:/@ \t\n_%é"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        assert redact_text(text) == _reference_redact(text), text


_MB = 5_000_000


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        pytest.param("a" * _MB, "a" * _MB, id="letters"),
        pytest.param("a:" * (_MB // 2), "a:" * (_MB // 2), id="a-colon"),
        pytest.param("a://" * (_MB // 4), "a://" * (_MB // 4), id="a-scheme"),
        pytest.param("x://y/ " * (_MB // 6), "x://y/ " * (_MB // 6), id="schemes-no-at"),
        pytest.param("a://" + "b:" * (_MB // 2), "a://" + "b:" * (_MB // 2), id="long-userinfo"),
        pytest.param("a://" + "b:" * (_MB // 2) + "@h", "a://b:****@h", id="long-password"),
        pytest.param("a" * _MB + "://u:p@h", "a" * _MB + "://u:****@h", id="long-scheme"),
        pytest.param(
            "1+" * (_MB // 2) + "git://t@h", "1+" * (_MB // 2) + "git://****@h", id="lead"
        ),
        pytest.param("@" * _MB, "@" * _MB, id="at-signs"),
        pytest.param(
            "see https://u:p@h/ " * (_MB // 19),
            "see https://u:****@h/ " * (_MB // 19),
            id="many-urls",
        ),
    ],
)
def test_redact_text_is_linear_on_adversarial_text(text: str, shown: str) -> None:
    with deadline():
        assert redact_text(text) == shown
