"""The index, find-links and trusted-host lines of a lock, as pip-compile writes them.

pip-compile writes pip's finder state back: the index URLs as they were given (no slash
added), the default index left out only when it is the first one, find-links locations as
given (a local path stays a path), and trusted hosts as given; ``OutputWriter`` dedups each
list, keeping the first. lockctl resolves from normalised URLs (``IndexSettings``) but writes
these lines from what the user wrote (``IndexSettings.given``), so a lock is byte-identical to
pip-compile's where the pins agree.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lockctl.errors import LockctlError
from lockctl.index import IndexSettings
from lockctl.lockfiles import LockWriteOptions
from lockctl.urls import SecretURL

__all__ = ["with_option_lines"]


def with_option_lines(
    options: LockWriteOptions, settings: IndexSettings, *, cache_dir: Path
) -> LockWriteOptions:
    """``options`` with the index options the lock was compiled with, as pip-compile writes them."""
    given = settings.given
    index_url = given.index_url
    if index_url is not None and _is_pip_default(index_url, cache_dir, exact=False):
        index_url = None  # pip-compile skips the first index when it is pip's default
    extras = list(given.extra_index_urls)
    if index_url is None and settings.index_url is not None:
        # The list pip-compile dedups starts with pip's default, as pip spells it: an extra
        # index spelt the same is that entry, skipped with it.
        extras = [url for url in extras if not _is_pip_default(url, cache_dir, exact=True)]
    return replace(
        options,
        index_url=None if index_url is None else SecretURL(index_url),
        extra_index_urls=tuple(SecretURL(url) for url in extras),
        find_links=tuple(_find_link(link) for link in given.find_links),
        trusted_hosts=given.trusted_hosts,
    )


def _find_link(link: str) -> str:
    # pip expands a leading "~" in a find-links path that exists (SearchScope.create).
    if link.startswith("~"):
        expanded = Path(link).expanduser()
        if expanded.exists():
            return str(expanded)
    return link


def _is_pip_default(url: str, cache_dir: Path, *, exact: bool) -> bool:
    """Is ``url`` pip's own default index (``exact``: spelt as pip spells it, else with any
    trailing slash)? Only an https URL of a ``/simple`` path can be, and only then is pip
    asked (once per installed pip: ``pip_default_index_url`` remembers the answer)."""
    stripped = url.rstrip("/")
    if not stripped.lower().startswith("https://") or not stripped.endswith("/simple"):
        return False
    from lockctl.index.pipconfig import pip_default_index_url

    try:
        default = pip_default_index_url(cache_dir)
    except LockctlError:  # no pip to ask: the line is written, which is harmless
        return False
    return url == default if exact else stripped == default.rstrip("/")
