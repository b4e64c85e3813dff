"""Look each host up once per run, and let every connection use the answer: an optimisation.

The plain way is urllib3's own: each new connection asks the system resolver for its host.
A cold run opens a dozen connections to the same two hosts at once, and a burst of identical
queries is exactly what some resolvers drop: glibc then waits its 5-second timeout before
asking again (measured on the CI machines: one burst in three stalled for 5.0 s). Looking a
host up once, under a lock, removes the burst. What it saves shows in the cold rounds of
``benchmarks/compile.py``, where a stalled lookup adds those 5 seconds to a run; nothing turns
it off, and ``fetcher.py`` is its only user.

The connection classes below hand urllib3 the looked-up address for the socket only; the host
name still goes into TLS (SNI and certificate checks) and the Host header. If the lookup here
fails, urllib3 looks the name up itself and reports the failure its own way.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["HostCache", "pool_classes"]


class HostCache:
    """host -> the first address the system resolver gives for it, looked up once."""

    def __init__(self) -> None:
        self._addresses: dict[tuple[str, int], str] = {}
        self._lock = threading.Lock()

    def address(self, host: str, port: int) -> str:
        key = (host, port)
        with self._lock:  # one lookup per host at a time: no burst of identical queries
            known = self._addresses.get(key)
            if known is None:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                known = self._addresses[key] = str(infos[0][4][0])
            return known


def pool_classes(cache: HostCache) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections resolve through ``cache``."""

    def resolving(base: type[HTTPConnection]) -> type[HTTPConnection]:
        class Resolving(base):  # type: ignore[valid-type,misc]
            def _new_conn(self) -> socket.socket:
                # urllib3 keeps the name used for the socket apart from ``host`` (SNI, Host).
                name: str = self._dns_host  # type: ignore[has-type]
                # On OSError urllib3 resolves the name itself and reports the failure its way.
                with contextlib.suppress(OSError):
                    self._dns_host = cache.address(name, self.port)
                try:
                    sock: socket.socket = super()._new_conn()
                    return sock
                finally:
                    self._dns_host = name

        return Resolving

    http_connection = resolving(HTTPConnection)
    https_connection = resolving(HTTPSConnection)

    class HTTPPool(HTTPConnectionPool):
        ConnectionCls: Any = http_connection

    class HTTPSPool(HTTPSConnectionPool):
        ConnectionCls: Any = https_connection

    return {"http": HTTPPool, "https": HTTPSPool}
