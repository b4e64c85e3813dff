"""Credentials for index hosts, found the way pip finds them.

pip takes credentials from the URL itself, then from an index URL on the same host, then from
``~/.netrc`` (or ``$NETRC``). They travel only as an Authorization header; every URL that is
shown anywhere is a ``SecretURL`` and prints redacted.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lockctl.urls import SecretURL

if TYPE_CHECKING:
    import netrc

__all__ = ["CredentialStore"]


class CredentialStore:
    def __init__(self, index_urls: Iterable[SecretURL] = (), *, netrc_path: Path | None = None):
        self._by_host: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        for url in index_urls:
            self.remember(url)
        self._netrc_path = netrc_path
        self._netrc: netrc.netrc | bool | None = False  # False: not read yet

    def remember(self, url: SecretURL) -> None:
        credentials = url.credentials()
        if credentials is not None:
            with self._lock:
                self._by_host.setdefault(url.netloc_host, credentials)

    def for_url(self, url: SecretURL) -> tuple[str, str] | None:
        """Credentials to send with a request to ``url``, or None."""
        own = url.credentials()
        if own is not None:
            self.remember(url)
            return own
        host = url.netloc_host
        with self._lock:
            known = self._by_host.get(host)
        return known if known is not None else self._from_netrc(host)

    def reattach(self, final: SecretURL, requested: SecretURL) -> SecretURL:
        """The URL after redirects, keeping the requested credentials if the host is the same."""
        if requested.has_credentials and final.netloc_host == requested.netloc_host:
            return requested.join(final.without_credentials().secret)
        return final

    def _from_netrc(self, host: str) -> tuple[str, str] | None:
        with self._lock:
            if self._netrc is False:
                self._netrc = _load_netrc(self._netrc_path)
            parsed = self._netrc
        if parsed is None or isinstance(parsed, bool):
            return None
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        entry = parsed.authenticators(hostname)
        if entry is None:
            return None
        login, _account, password = entry
        return (login or "", password or "")


def _load_netrc(path: Path | None) -> netrc.netrc | None:
    import netrc  # only when an index asks for credentials the URLs do not carry

    candidate = path or Path(os.environ.get("NETRC", Path.home() / ".netrc"))
    if not candidate.is_file():
        return None
    try:
        return netrc.netrc(str(candidate))
    except (netrc.NetrcParseError, OSError):
        return None  # pip ignores an unreadable netrc too
