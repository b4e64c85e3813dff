"""A thread-safe log of every request the loopback index received and what it answered."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase

__all__ = ["RequestLog", "RequestRecord"]


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRecord:
    method: str
    path: str  # decoded, without the query string
    range: str | None  # the Range header as sent
    headers: Mapping[str, str]  # lower-case names
    status: int | None = None  # None: not answered (yet), e.g. a Reset or an unfinished Hang
    body_bytes: int = 0  # body bytes written (a HEAD answer and a 304 have none)


class RequestLog:
    """Records are logged when a request arrives and completed before its body is written.

    So a client that has read a response always finds it logged, and a request the
    server is still hanging on already counts.
    """

    def __init__(self) -> None:
        self._records: list[RequestRecord] = []
        self._lock = threading.Lock()

    def start(self, record: RequestRecord) -> int:
        with self._lock:
            self._records.append(record)
            return len(self._records) - 1

    def finish(self, index: int, *, status: int, body_bytes: int) -> None:
        with self._lock:
            record = self._records[index]
            self._records[index] = dataclasses.replace(record, status=status, body_bytes=body_bytes)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def matching(
        self, path_glob: str | None = None, *, method: str | None = None
    ) -> list[RequestRecord]:
        return [
            record
            for record in self.records
            if (path_glob is None or fnmatchcase(record.path, path_glob))
            and (method is None or record.method == method)
        ]

    def bytes_sent(self, path_glob: str | None = None) -> int:
        return sum(record.body_bytes for record in self.matching(path_glob))

    def count(self, path_glob: str | None = None, *, method: str | None = None) -> int:
        return len(self.matching(path_glob, method=method))
