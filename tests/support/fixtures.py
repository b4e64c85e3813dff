"""Pytest fixtures for the loopback index; loaded through ``pytest_plugins`` in conftest."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any, Protocol

import pytest

from tests.support.indexserver import IndexServer

__all__ = ["IndexFactory", "index_server", "make_index"]


class IndexFactory(Protocol):
    """``make_index(**options)``: a started ``IndexServer``, stopped when the test ends."""

    def __call__(
        self,
        *,
        formats: Collection[str] = ...,
        pep658: bool = ...,
        absolute_urls: bool = ...,
        range_support: bool = ...,
        auth: tuple[str, str] | None = ...,
    ) -> IndexServer: ...


@pytest.fixture
def index_server() -> Iterator[IndexServer]:
    with IndexServer() as server:
        yield server


@pytest.fixture
def make_index() -> Iterator[IndexFactory]:
    servers: list[IndexServer] = []

    def factory(**options: Any) -> IndexServer:
        server = IndexServer(**options).start()
        servers.append(server)
        return server

    yield factory
    for server in servers:
        server.stop()
