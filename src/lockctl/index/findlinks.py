"""``--find-links`` locations: a local directory, a single file, or an HTML page of links.

pip reads every location once and keeps the files whose names parse as a wheel or sdist of the
project asked for; lockctl does the same, listing each location at most once per run.
"""

from __future__ import annotations

import threading
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IndexResponseError
from lockctl.index.fetcher import Fetcher
from lockctl.index.models import DistributionFile, parse_dist_filename
from lockctl.index.simple import PageFormatError, html_links
from lockctl.urls import SecretURL, file_url_path

__all__ = ["FindLinks"]


class FindLinks:
    def __init__(self, locations: tuple[SecretURL, ...], *, fetcher: Fetcher) -> None:
        self.locations = locations
        self.fetcher = fetcher
        self._listing: dict[NormalizedName, list[DistributionFile]] | None = None
        self._lock = threading.Lock()

    def files_for(self, name: NormalizedName) -> tuple[DistributionFile, ...]:
        with self._lock:
            if self._listing is None:
                self._listing = self._list_all()
            return tuple(self._listing.get(name, ()))

    def _list_all(self) -> dict[NormalizedName, list[DistributionFile]]:
        listing: dict[NormalizedName, list[DistributionFile]] = {}
        for location in self.locations:
            for dist in self._list(location):
                parsed = parse_dist_filename(dist.filename)
                if parsed is not None:
                    listing.setdefault(canonicalize_name(parsed.name), []).append(dist)
        return listing

    def _list(self, location: SecretURL) -> list[DistributionFile]:
        if location.scheme == "file":
            path = file_url_path(location)
            if path.is_dir():
                return [_local(child) for child in sorted(path.iterdir()) if child.is_file()]
            if path.is_file() and path.suffix != ".html":
                return [_local(path)]
        response = self.fetcher.get(location, headers={"Accept": "text/html"})
        if response.status in (404, 410):
            return []  # pip warns and carries on when a find-links location is missing
        if not response.ok:
            raise IndexResponseError(
                f"unexpected HTTP {response.status} for a find-links page",
                url=location.redacted,
                status=response.status,
            )
        try:
            return html_links(response.url, response.body)
        except PageFormatError as exc:
            raise IndexResponseError(str(exc), url=location.redacted) from None


def _local(path: Path) -> DistributionFile:
    return DistributionFile(filename=path.name, url=SecretURL(path.resolve().as_uri()))
