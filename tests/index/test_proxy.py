"""The environment's HTTP proxy is honoured, and bypassed for the hosts NO_PROXY names."""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from lockctl.index import ProjectNotFound, ProjectPage
from tests.index.helpers import make_client
from tests.support.dists import make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer


class _ForwardProxy(ThreadingHTTPServer):
    """A forward proxy for plain HTTP: records each absolute-form request and relays it."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.seen: list[str] = []


class _Relay(BaseHTTPRequestHandler):
    server: _ForwardProxy

    def do_GET(self) -> None:
        self.server.seen.append(self.path)
        target = urllib.parse.urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.netloc, timeout=5)
        headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
        upstream.request("GET", target.path, headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[_ForwardProxy]:
    server = _ForwardProxy()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def index_behind_proxy(
    make_index: IndexFactory, proxy: _ForwardProxy, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    """An index with one project, and HTTP_PROXY naming the proxy (and nothing else set)."""
    server = make_index()
    server.add(make_wheel("foo", "1.0"))
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.server_address[1]}")
    return server


def test_requests_go_through_the_proxy_the_environment_names(
    index_behind_proxy: IndexServer, proxy: _ForwardProxy, tmp_path: Path
) -> None:
    with make_client([index_behind_proxy.simple_url], cache_dir=tmp_path) as client:
        assert isinstance(client.project("foo"), ProjectPage)
        assert isinstance(client.project("bar"), ProjectNotFound)  # the proxy relays the 404
    assert proxy.seen[0] == index_behind_proxy.project_url("foo")
    assert len(proxy.seen) == 2


def test_no_proxy_bypasses_it(
    index_behind_proxy: IndexServer,
    proxy: _ForwardProxy,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with make_client([index_behind_proxy.simple_url], cache_dir=tmp_path) as client:
        assert isinstance(client.project("foo"), ProjectPage)
    assert proxy.seen == []
    assert index_behind_proxy.count() >= 1
