"""A real package index on 127.0.0.1: HTTP/1.1, keep-alive, Range, auth and injected faults.

Routes: ``/simple/`` and ``/simple/<project>/`` (PEP 503 HTML or PEP 691 JSON by the Accept
header), ``/files/<filename>`` (GET, HEAD, single byte ranges) and
``/files/<filename>.metadata`` (PEP 658, for entries that enable it).
"""

from __future__ import annotations

import base64
import dataclasses
import socket
import threading
import urllib.parse
from collections.abc import Collection, Mapping
from types import TracebackType

from packaging.utils import canonicalize_name

from tests.support import pages
from tests.support.dists import DistFile
from tests.support.faults import Fault, FaultPlan, FaultSchedule
from tests.support.replies import (
    HTML_CONTENT_TYPE,
    Reply,
    negotiate,
    page_reply,
    ranged_reply,
    text_reply,
)
from tests.support.requestlog import RequestLog, RequestRecord
from tests.support.transport import LoopbackHTTPServer, shutdown_quietly

__all__ = ["IndexServer"]

_HOST = "127.0.0.1"
_STOP_JOIN_SECONDS = 5.0


class IndexServer:
    """Start with ``start()`` or ``with IndexServer() as server:``; stop with ``stop()``.

    The options are plain attributes read on every request, so a test may change them
    while the server runs.
    """

    def __init__(
        self,
        *,
        formats: Collection[str] = frozenset({"json", "html"}),
        pep658: bool = False,
        absolute_urls: bool = False,
        range_support: bool = True,
        auth: tuple[str, str] | None = None,
    ) -> None:
        if not formats or not set(formats) <= {"json", "html"}:
            raise ValueError(f"formats must be a non-empty subset of json, html: {formats!r}")
        self.formats = frozenset(formats)
        self.pep658 = pep658
        self.absolute_urls = absolute_urls
        self.range_support = range_support
        self.auth = auth
        self.log = RequestLog()
        self.faults = FaultSchedule()
        self.stopping = threading.Event()
        self._entries: dict[str, pages.IndexEntry] = {}
        self._lock = threading.Lock()
        self._httpd: LoopbackHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self._connections: dict[socket.socket, threading.Thread] = {}

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> IndexServer:
        if self._httpd is not None:
            raise RuntimeError("IndexServer already started")
        self._httpd = LoopbackHTTPServer((_HOST, 0), self)
        self._serve_thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},  # stop() waits up to one interval
            name=f"IndexServer:{self._httpd.server_port}",
            daemon=True,
        )
        self._serve_thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, end hangs and cut open connections, then join every thread."""
        if self._httpd is None or self.stopping.is_set():
            return
        self.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        assert self._serve_thread is not None
        self._serve_thread.join(_STOP_JOIN_SECONDS)
        with self._lock:
            connections = list(self._connections.items())
        for connection, _ in connections:
            shutdown_quietly(connection)
        for _, thread in connections:
            thread.join(_STOP_JOIN_SECONDS)

    def __enter__(self) -> IndexServer:
        if self._httpd is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def track(self, connection: socket.socket, thread: threading.Thread) -> None:
        """Called by the transport for each accepted connection."""
        with self._lock:
            self._connections[connection] = thread
            if self.stopping.is_set():
                shutdown_quietly(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._lock:
            self._connections.pop(connection, None)

    # -- addresses -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("IndexServer not started")
        return self._httpd.server_port

    @property
    def url(self) -> str:
        return f"http://{_HOST}:{self.port}"

    @property
    def simple_url(self) -> str:
        return f"{self.url}/simple/"

    def project_url(self, project: str) -> str:
        return f"{self.simple_url}{canonicalize_name(project)}/"

    def file_url(self, filename: str) -> str:
        return f"{self.url}/files/{urllib.parse.quote(filename)}"

    # -- content, faults and the log -------------------------------------------------------

    def add(
        self,
        dist: DistFile,
        *,
        project: str | None = None,
        yanked: bool | str = False,
        requires_python: str | None = None,
        pep658: bool | None = None,
        upload_time: str | None = None,
    ) -> pages.IndexEntry:
        """List ``dist``; ``requires_python`` defaults to the file's own Requires-Python.

        ``upload_time`` (PEP 700, ISO 8601) is given on JSON pages only, as HTML has no place
        for it.
        """
        if pep658 is None:
            # The server-wide default cannot apply to an sdist that has no PKG-INFO.
            pep658 = self.pep658 and bool(dist.metadata)
        entry = pages.IndexEntry.from_dist(
            dist,
            project=project,
            yanked=yanked,
            requires_python=requires_python,
            pep658=pep658,
            upload_time=upload_time,
        )
        with self._lock:
            if dist.filename in self._entries:
                raise ValueError(f"{dist.filename} is already on this index")
            self._entries[dist.filename] = entry
        return entry

    def yank(self, filename: str, reason: bool | str = True) -> None:
        """Yank a listed file (PEP 592): ``True`` without a reason, or the reason's text."""
        with self._lock:
            entry = self._entries[filename]
            self._entries[filename] = dataclasses.replace(entry, yanked=reason)

    def remove(self, filename: str) -> None:
        """Take a file off the index: gone from its page, and 404 when fetched."""
        with self._lock:
            del self._entries[filename]

    def inject(self, path_glob: str, fault: Fault, *, times: int | None = 1) -> FaultPlan:
        """Apply ``fault`` to the next ``times`` requests whose path matches (None: forever)."""
        return self.faults.add(path_glob, fault, times)

    def clear_faults(self) -> None:
        self.faults.clear()

    @property
    def requests(self) -> list[RequestRecord]:
        return self.log.records

    def bytes_sent(self, path_glob: str | None = None) -> int:
        return self.log.bytes_sent(path_glob)

    def count(self, path_glob: str | None = None, *, method: str | None = None) -> int:
        return self.log.count(path_glob, method=method)

    # -- routing: a request in, a Reply out --------------------------------------------------

    def authorized(self, authorization: str | None) -> bool:
        if self.auth is None:
            return True
        token = base64.b64encode(":".join(self.auth).encode()).decode()
        return authorization is not None and authorization.split() == ["Basic", token]

    def route(self, method: str, path: str, headers: Mapping[str, str]) -> Reply:
        if path == "/simple":
            return text_reply(301, "moved", Location="/simple/")
        if path == "/simple/":
            return self._project_list(headers.get("accept"))
        if path.startswith("/simple/"):
            return self._project_page(path, headers.get("accept"), headers.get("if-none-match"))
        if path.startswith("/files/"):
            return self._file(method, path.removeprefix("/files/"), headers.get("range"))
        return text_reply(404, "not found")

    def _project_list(self, accept: str | None) -> Reply:
        with self._lock:
            projects = {entry.project for entry in self._entries.values()}
        chosen = negotiate(accept, self.formats)
        if chosen == "json":
            return page_reply(pages.project_list_json(projects), pages.JSON_TYPE)
        if chosen == "html":
            return page_reply(pages.project_list_html(projects), HTML_CONTENT_TYPE)
        return text_reply(406, "not acceptable")

    def _project_page(self, path: str, accept: str | None, if_none_match: str | None) -> Reply:
        requested = path.removeprefix("/simple/")
        name = requested.removesuffix("/")
        if not name or "/" in name:
            return text_reply(404, "not found")
        project = canonicalize_name(name)
        if name != project or not requested.endswith("/"):
            # The public index redirects non-normalised names (PEP 503 normalisation).
            return text_reply(301, "moved", Location=f"/simple/{project}/")
        with self._lock:
            entries = [entry for entry in self._entries.values() if entry.project == project]
        if not entries:
            return text_reply(404, f"no project named {project}")
        file_paths = {entry.dist.filename: f"/files/{entry.dist.filename}" for entry in entries}
        corrupted = self.faults.take_wrong_hashes(path, file_paths)
        links = [
            entry.link(
                self._link_url(entry.dist.filename), wrong_hash=entry.dist.filename in corrupted
            )
            for entry in entries
        ]
        chosen = negotiate(accept, self.formats)
        if chosen == "json":
            versions = [entry.version for entry in entries]
            body = pages.project_json(project, links, versions)
            return page_reply(body, pages.JSON_TYPE, if_none_match=if_none_match)
        if chosen == "html":
            body = pages.project_html(project, links)
            return page_reply(body, HTML_CONTENT_TYPE, if_none_match=if_none_match)
        return text_reply(406, "not acceptable")

    def _link_url(self, filename: str) -> str:
        if self.absolute_urls:
            return self.file_url(filename)
        return f"../../files/{urllib.parse.quote(filename)}"

    def _file(self, method: str, filename: str, range_header: str | None) -> Reply:
        with self._lock:
            entry = self._entries.get(filename)
            metadata_of = self._entries.get(filename.removesuffix(".metadata"))
        if entry is not None:
            return ranged_reply(method, entry.dist.content, range_header, ranges=self.range_support)
        if filename.endswith(".metadata") and metadata_of is not None and metadata_of.pep658:
            return ranged_reply(method, metadata_of.dist.metadata, None, ranges=self.range_support)
        return text_reply(404, f"no file named {filename}")
