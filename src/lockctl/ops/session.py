"""Open an index client from the options of one run: the one place that wires index/ together."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from lockctl.events import Reporter, ignore_events
from lockctl.index import (
    Cache,
    ClientOptions,
    FetchPolicy,
    HttpFetcher,
    IndexClient,
    IndexOptions,
    IndexSettings,
    default_cache_dir,
)
from lockctl.index.auth import CredentialStore
from lockctl.ops.commands import IndexRequest
from lockctl.reqfile import RequirementsFile

__all__ = ["file_index_options", "open_index"]


def file_index_options(files: Iterable[RequirementsFile]) -> IndexOptions:
    """The index options written inside requirement files (and the files they include)."""
    index_url: str | None = None
    extras: list[str] = []
    find_links: list[str] = []
    trusted: list[str] = []
    no_index: bool | None = None
    for requirements in files:
        for located in requirements.iter_options():
            option = located.entry
            value = option.url.secret if option.url is not None else option.value
            if option.name == "index-url" and value:
                index_url = value
            elif option.name == "extra-index-url" and value:
                extras.append(value)
            elif option.name == "find-links" and value:
                find_links.append(value)
            elif option.name == "trusted-host" and value:
                trusted.append(value)
            elif option.name == "no-index":
                no_index = True
    return IndexOptions(
        index_url=index_url,
        extra_index_urls=tuple(extras),
        find_links=tuple(find_links),
        no_index=no_index,
        trusted_hosts=tuple(trusted),
    )


def open_index(
    request: IndexRequest,
    *,
    files: Iterable[RequirementsFile] = (),
    reporter: Reporter = ignore_events,
) -> IndexClient:
    """An index client for the CLI options, with the requirement files' options on top.

    pip's order: its defaults and configuration, then the command line, then the files
    (an ``-i`` inside a requirements file replaces the index given on the command line).
    """
    cache_dir = request.cache_dir or default_cache_dir()
    settings = IndexSettings.from_pip(
        request.config_options, request.options, file_index_options(files), cache_dir=cache_dir
    )
    credentials = CredentialStore((*settings.indexes, *settings.find_links))
    policy = replace(request.policy or FetchPolicy(), trusted_hosts=settings.trusted_hosts)
    fetcher = HttpFetcher(policy=policy, credentials=credentials, reporter=reporter)
    return IndexClient(
        settings,
        fetcher=fetcher,
        cache=Cache(cache_dir, reporter=reporter),
        options=ClientOptions(
            offline=request.offline,
            refresh=request.refresh,
            refresh_projects=request.refresh_projects,
            allow_build=request.allow_build,
            max_workers=request.max_requests,
        ),
    )
