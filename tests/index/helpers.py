"""Build a real IndexClient against loopback servers or file:// trees."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lockctl.events import Event, Reporter
from lockctl.index import Cache, ClientOptions, FetchPolicy, HttpFetcher, IndexClient, IndexSettings
from lockctl.index.auth import CredentialStore
from lockctl.index.settings import IndexOptions

__all__ = ["FAST", "EventLog", "make_client"]

# Short timeouts and backoff so retry paths run in milliseconds, not seconds.
FAST = FetchPolicy(connect_timeout=2.0, read_timeout=0.5, retries=3, backoff=0.01)


class EventLog(list[Event]):
    def __call__(self, event: Event) -> None:
        self.append(event)


def make_client(
    indexes: Sequence[str],
    *,
    cache_dir: Path,
    find_links: Sequence[str] = (),
    policy: FetchPolicy = FAST,
    reporter: Reporter | None = None,
    netrc: Path | None = None,
    **options: bool | int,
) -> IndexClient:
    settings = IndexSettings.combine(
        [
            IndexOptions(
                index_url=indexes[0] if indexes else None,
                extra_index_urls=tuple(indexes[1:]),
                find_links=tuple(find_links),
                no_index=not indexes,
            )
        ],
        default_index="",
    )
    events = reporter if reporter is not None else EventLog()
    fetcher = HttpFetcher(
        policy=policy,
        credentials=CredentialStore(settings.indexes, netrc_path=netrc, reporter=events),
        reporter=events,
    )
    return IndexClient(
        settings,
        fetcher=fetcher,
        cache=Cache(cache_dir, reporter=events),
        options=ClientOptions(**options),  # type: ignore[arg-type]
    )
