"""Credentials for index hosts, found the way pip finds them.

pip takes credentials from the URL itself, then from an index URL on the same host, then from
``~/.netrc`` (or ``$NETRC``). They travel only as an Authorization header; every URL that is
shown anywhere is a ``SecretURL`` and prints redacted.

A netrc file that is missing (or a home directory that is) simply gives no credentials. One that
is there but cannot be read or parsed is not used either, as pip does not use it, but where pip
is silent lockctl reports it (``NetrcUnreadable``): a 401 that follows is then explained.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from lockctl.events import NetrcUnreadable, Reporter, ignore_events
from lockctl.urls import SecretURL

if TYPE_CHECKING:
    import netrc

__all__ = ["CredentialStore"]


class CredentialStore:
    def __init__(
        self,
        index_urls: Iterable[SecretURL] = (),
        *,
        netrc_path: Path | None = None,
        reporter: Reporter = ignore_events,
    ):
        self._by_host: dict[str, tuple[str, str]] = {}
        self._lock = threading.Lock()
        for url in index_urls:
            self.remember(url)
        self._netrc_path = netrc_path
        self._netrc: netrc.netrc | bool | None = False  # False: not read yet
        self._reporter = reporter

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
                self._netrc = _load_netrc(self._netrc_path, self._reporter)
            parsed = self._netrc
        if parsed is None or isinstance(parsed, bool):
            return None
        hostname = host.rsplit(":", 1)[0] if not host.startswith("[") else host
        entry = parsed.authenticators(hostname)
        if entry is None:
            return None
        login, _account, password = entry
        return (login or "", password or "")


def _load_netrc(path: Path | None, reporter: Reporter) -> netrc.netrc | None:
    import netrc  # only when an index asks for credentials the URLs do not carry

    candidate = path or _netrc_path()
    if candidate is None:
        return None
    try:
        return netrc.netrc(str(candidate))
    except (FileNotFoundError, NotADirectoryError):
        return None  # no netrc file (or no home directory): nothing to use, nothing to say
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except netrc.NetrcParseError as exc:
        reason = f"line {exc.lineno}: {exc.msg}"
    except ValueError as exc:  # text that is not UTF-8 (nor in the locale's encoding)
        reason = str(exc)
    reporter(NetrcUnreadable(path=candidate, reason=reason))
    return None


def _netrc_path() -> Path | None:
    """``$NETRC``, else ``~/.netrc``; None when there is no home directory to look in."""
    explicit = os.environ.get("NETRC")
    if explicit:
        return Path(explicit)
    try:
        return Path.home() / ".netrc"
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry (containers)
        return None
