"""URLs whose display form never shows a secret.

pip lets credentials ride inside index URLs (``https://user:token@host/simple``). lockctl keeps
the real text for making requests and shows only the redacted form, in the way pip's
``redact_auth_from_url`` does: the user name stays, a password or a lone token becomes ``****``.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

__all__ = ["SecretURL", "redact_text"]

_MASK = "****"
# scheme://userinfo@ inside arbitrary text (error messages of HTTP libraries, for instance).
_USERINFO_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")


def _redact_userinfo(userinfo: str) -> str:
    user, sep, _password = userinfo.partition(":")
    return f"{user}:{_MASK}" if sep else _MASK


def redact_text(text: str) -> str:
    """Redact the credentials of every URL inside ``text``."""
    return _USERINFO_IN_TEXT.sub(
        lambda m: m["scheme"] + _redact_userinfo(m["userinfo"]) + "@", text
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
        return urllib.parse.urlsplit(self.secret).scheme.lower()

    @property
    def netloc_host(self) -> str:
        """The host (and port) without credentials: what netrc and trusted-host match on."""
        return urllib.parse.urlsplit(self.secret).netloc.rpartition("@")[2]

    @property
    def has_credentials(self) -> bool:
        return "@" in urllib.parse.urlsplit(self.secret).netloc

    def without_credentials(self) -> SecretURL:
        parts = urllib.parse.urlsplit(self.secret)
        return SecretURL(urllib.parse.urlunsplit(parts._replace(netloc=self.netloc_host)))

    def credentials(self) -> tuple[str, str] | None:
        parts = urllib.parse.urlsplit(self.secret)
        if parts.username is None:
            return None
        user = urllib.parse.unquote(parts.username)
        password = urllib.parse.unquote(parts.password or "")
        return user, password

    def join(self, reference: str) -> SecretURL:
        """Resolve ``reference`` against this URL; credentials carry over to the same host."""
        joined = urllib.parse.urljoin(self.secret, reference)
        target = urllib.parse.urlsplit(joined)
        if "@" not in target.netloc and target.netloc == self.netloc_host and self.has_credentials:
            userinfo = urllib.parse.urlsplit(self.secret).netloc.rpartition("@")[0]
            joined = urllib.parse.urlunsplit(target._replace(netloc=f"{userinfo}@{target.netloc}"))
        return SecretURL(joined)

    def with_trailing_slash(self) -> SecretURL:
        return self if self.secret.endswith("/") else SecretURL(self.secret + "/")
