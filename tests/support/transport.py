"""The socket side of the loopback index: threads, keep-alive, and faults on the wire."""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import urllib.parse
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol, cast

from tests.support.faults import (
    Drip,
    Endless,
    Fault,
    FaultSchedule,
    Garbage,
    Hang,
    Reset,
    Status,
    Truncate,
)
from tests.support.replies import Reply, text_reply
from tests.support.requestlog import RequestLog, RequestRecord

__all__ = ["IndexApp", "LoopbackHTTPServer", "shutdown_quietly"]


class IndexApp(Protocol):
    """What the transport needs from the index it serves."""

    log: RequestLog
    faults: FaultSchedule
    stopping: threading.Event

    def authorized(self, authorization: str | None) -> bool: ...

    def route(self, method: str, path: str, headers: Mapping[str, str]) -> Reply: ...

    def track(self, connection: socket.socket, thread: threading.Thread) -> None: ...

    def untrack(self, connection: socket.socket) -> None: ...


def shutdown_quietly(connection: socket.socket) -> None:
    # OSError: already closed by the client or by its handler.
    with contextlib.suppress(OSError):
        connection.shutdown(socket.SHUT_RDWR)


# What an Endless answer promises: far more than any client should wait for.
_ENDLESS_LENGTH = 10**12


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # IndexServer.stop joins the threads itself, with a time limit
    # socketserver's default backlog of 5 drops SYNs from parallel clients, and the
    # kernel's one-second SYN retry then makes them look slow.
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: IndexApp) -> None:
        self.app = app
        super().__init__(address, _Handler)

    # typeshed types ``request`` with private aliases; for a TCP server it is a socket.
    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread, args=(request, client_address), daemon=True
        )
        self.app.track(request, thread)
        thread.start()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.app.untrack(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out or hung up mid-answer is expected here; anything else
        # is a bug in this server and gets the usual traceback.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every answer carries Content-Length
    server_version = "lockctl-test-index/1"
    timeout = 30  # an idle keep-alive connection is closed after this
    # Headers and body go out in two writes; with Nagle on, the body waits for the
    # client's delayed ACK (about 40 ms on Linux) on every keep-alive request.
    disable_nagle_algorithm = True

    @property
    def app(self) -> IndexApp:
        return cast(LoopbackHTTPServer, self.server).app

    def log_message(self, format: str, *args: object) -> None:
        pass  # the RequestLog is the record; stderr stays quiet

    def do_GET(self) -> None:
        self._serve("GET")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def _serve(self, method: str) -> None:
        app = self.app
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        record = app.log.start(
            RequestRecord(method=method, path=path, range=headers.get("range"), headers=headers)
        )
        fault = app.faults.take_request_fault(path)
        if isinstance(fault, Reset):
            self._reset()
            return
        if isinstance(fault, Hang) and app.stopping.wait(fault.seconds):
            self.close_connection = True  # the server is stopping: give up without an answer
            return
        if isinstance(fault, Status):
            retry = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
            reply = text_reply(fault.code, f"injected status {fault.code}", **retry)
        elif isinstance(fault, Garbage):
            garbage = b"\x00\xff this is neither HTML nor JSON\n"
            reply = Reply(status=200, body=garbage, content_type=fault.content_type)
        elif not app.authorized(headers.get("authorization")):
            challenge = {"WWW-Authenticate": 'Basic realm="lockctl-test"'}
            reply = text_reply(401, "unauthorized", **challenge)
        else:
            reply = app.route(method, path, headers)
        self._send(reply, record=record, head=method == "HEAD", fault=fault)

    def _send(self, reply: Reply, *, record: int, head: bool, fault: Fault | None) -> None:
        body = b"" if head else reply.body
        if isinstance(fault, Truncate):
            body = body[: len(body) // 2]
        length = _ENDLESS_LENGTH if isinstance(fault, Endless) else len(reply.body)
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(length))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        # Logged before the client can see a byte, so a test that has read the answer
        # always finds it in the log.
        self.app.log.finish(record, status=reply.status, body_bytes=len(body))
        self.end_headers()
        if isinstance(fault, Drip) and not head:
            self._drip(body, fault.interval)
        elif isinstance(fault, Endless) and not head:
            self._endless(fault)
        else:
            self.wfile.write(body)
        if isinstance(fault, Truncate | Drip | Endless):
            self.close_connection = True

    def _drip(self, body: bytes, interval: float) -> None:
        """One byte, then a pause; the server stopping ends it (OSError: the client left)."""
        self.wfile.flush()
        for position in range(len(body)):
            self.wfile.write(body[position : position + 1])
            self.wfile.flush()
            if self.app.stopping.wait(interval):
                return

    def _endless(self, fault: Endless) -> None:
        filler = b"x" * fault.chunk
        while not self.app.stopping.wait(fault.interval):
            self.wfile.write(filler)
            self.wfile.flush()

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes the final close send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True
