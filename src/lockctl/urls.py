"""URLs whose display form never shows a secret.

pip lets credentials ride inside index URLs (``https://user:token@host/simple``). lockctl keeps
the real text for making requests and shows only the redacted form, in the way pip's
``redact_auth_from_url`` does: the user name stays, a password or a lone token becomes ``****``.
"""

from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

__all__ = ["SecretURL", "file_url_path", "redact_text", "strip_credentials"]

_MASK = "****"
# scheme://userinfo@ inside arbitrary text (error messages of HTTP libraries, for instance).
# It runs on every message and line lockctl prints, so it must take linear time on any text.
# A match may start only where a run of scheme characters starts (the lookbehind), so a run is
# read once rather than once from each of its letters ("a" * n was quadratic); ``lead`` takes
# the digits and "+.-" before the scheme's first letter, and is put back as it was. From a
# run's start the work is the run and, after "://", the user info up to the first "/", "@" or
# blank; runs do not overlap, and neither do user-info stretches (each ends before the next
# "://"), so the whole search reads each character a bounded number of times.
_USERINFO_IN_TEXT = re.compile(
    r"(?<![a-zA-Z0-9+.-])(?P<lead>[0-9+.-]*)(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)"
    r"(?P<userinfo>[^/@\s]+)@"
)


def _redact_userinfo(userinfo: str) -> str:
    user, sep, _password = userinfo.partition(":")
    return f"{user}:{_MASK}" if sep else _MASK


def redact_text(text: str) -> str:
    """Redact the credentials of every URL inside ``text``."""
    return _USERINFO_IN_TEXT.sub(
        lambda m: m["lead"] + m["scheme"] + _redact_userinfo(m["userinfo"]) + "@", text
    )


@dataclass(frozen=True, slots=True)
class SecretURL:
    """A URL that may hold credentials: ``str()`` and ``repr()`` show them redacted."""

    secret: str

    def __str__(self) -> str:
        return self.redacted

    def __repr__(self) -> str:
        return f"SecretURL({self.redacted!r})"

    @property
    def redacted(self) -> str:
        return redact_text(self.secret)

    @property
    def scheme(self) -> str:
        return self.secret.partition(":")[0].lower()

    @property
    def netloc(self) -> str:
        """The authority part as written, credentials included."""
        _, sep, rest = self.secret.partition("://")
        return rest.partition("/")[0].partition("?")[0].partition("#")[0] if sep else ""

    @property
    def netloc_host(self) -> str:
        """The host (and port) without credentials: what netrc and trusted-host match on."""
        return self.netloc.rpartition("@")[2]

    @property
    def has_credentials(self) -> bool:
        return "@" in self.netloc

    def without_credentials(self) -> SecretURL:
        if not self.has_credentials:
            return self
        return SecretURL(self.secret.replace(self.netloc, self.netloc_host, 1))

    def credentials(self) -> tuple[str, str] | None:
        if not self.has_credentials:
            return None
        userinfo = self.netloc.rpartition("@")[0]
        user, _, password = userinfo.partition(":")
        return urllib.parse.unquote(user), urllib.parse.unquote(password)

    def join(self, reference: str) -> SecretURL:
        """Resolve ``reference`` against this URL; credentials carry over to the same host.

        Absolute references (what large indexes send for every file) skip ``urljoin``: it is
        the hot path when a page lists thousands of files.
        """
        if reference.startswith(("https://", "http://")):
            joined = SecretURL(reference)
        else:
            joined = SecretURL(urllib.parse.urljoin(self.secret, reference))
        if not self.has_credentials or joined.has_credentials:
            return joined
        if joined.netloc != self.netloc_host:
            return joined
        return SecretURL(joined.secret.replace(joined.netloc, self.netloc, 1))

    def with_trailing_slash(self) -> SecretURL:
        return self if self.secret.endswith("/") else SecretURL(self.secret + "/")


def strip_credentials(href: str) -> str:
    """An absolute URL without its user info; a relative one, or one without any, as it is.

    For URLs a page lists, which the cache keeps: credentials are never written to disk.
    """
    if "@" not in href or "://" not in href:
        return href
    return SecretURL(href).without_credentials().secret


def file_url_path(url: SecretURL) -> Path:
    """The local path of a ``file://`` URL."""
    path = urllib.parse.urlsplit(url.secret).path
    if os.name != "nt":
        return Path(urllib.parse.unquote(path))  # what url2pathname does on POSIX
    from urllib.request import url2pathname  # it pulls in http and ssl: only where needed

    return Path(url2pathname(path))
