"""Tests of the test support itself: the distributions are valid and the index is honest.

Only the standard library's HTTP clients are used here, so a bug in lockctl's fetcher
cannot hide a bug in the server that its own tests rely on.
"""

from __future__ import annotations

import base64
import email.parser
import hashlib
import http.client
import io
import json
import os
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from tests.support.dists import DistFile, make_sdist, make_wheel
from tests.support.faults import Garbage, Hang, Reset, Status, Truncate, WrongHash
from tests.support.fileindex import write_file_index, write_find_links
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

JSON_TYPE = "application/vnd.pypi.simple.v1+json"
# What pip sends: JSON preferred, HTML accepted as a fallback.
PIP_ACCEPT = f"{JSON_TYPE}, application/vnd.pypi.simple.v1+html; q=0.1, text/html; q=0.01"


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes


def fetch(
    server: IndexServer,
    path: str,
    *,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    timeout: float = 5.0,
) -> Answer:
    """One request on a fresh connection; redirects are not followed."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request(method, path, headers=dict(headers or {}))
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


class AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def anchors(body: bytes) -> list[dict[str, str | None]]:
    parser = AnchorParser()
    parser.feed(body.decode())
    return parser.anchors


def parse_metadata(data: bytes) -> email.message.Message:
    return email.parser.BytesParser().parsebytes(data)


@pytest.fixture
def wheel() -> DistFile:
    return make_wheel("Foo.Bar", "1.0", requires_dist=["idna>=3"], requires_python=">=3.8")


@pytest.fixture
def big_wheel() -> DistFile:
    return make_wheel("big", "2.0", padding=200_000)


# -- distributions ---------------------------------------------------------------------------


def test_wheel_is_a_valid_zip_with_a_correct_record() -> None:
    dist = make_wheel(
        "Foo.Bar",
        "1.0.0",
        requires_dist=["idna>=3", "requests>=2; extra == 'http'"],
        provides_extra=["http"],
        requires_python=">=3.9",
        extra_files={"foo_bar/data.txt": b"payload"},
    )
    assert dist.filename == "foo_bar-1.0.0-py3-none-any.whl"
    archive = zipfile.ZipFile(io.BytesIO(dist.content))
    assert archive.testzip() is None
    metadata_bytes = archive.read("foo_bar-1.0.0.dist-info/METADATA")
    assert metadata_bytes == dist.metadata
    metadata = parse_metadata(metadata_bytes)
    assert metadata["Name"] == "Foo.Bar"
    assert metadata["Requires-Python"] == ">=3.9"
    assert metadata.get_all("Provides-Extra") == ["http"]
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    assert [r.name for r in requirements] == ["idna", "requests"]

    record = archive.read("foo_bar-1.0.0.dist-info/RECORD").decode().splitlines()
    listed = set()
    for line in record:
        path, digest, size = line.rsplit(",", 2)
        listed.add(path)
        if path.endswith("RECORD"):
            assert (digest, size) == ("", "")
            continue
        data = archive.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
        assert digest == f"sha256={expected.decode()}"
        assert int(size) == len(data)
    assert listed == set(archive.namelist())
    assert "foo_bar/data.txt" in listed


def test_wheel_name_version_and_tags_follow_the_spec() -> None:
    dist = make_wheel("A-B", "01.0", tag="py2.py3-none-any")
    assert dist.filename == "a_b-1.0-py2.py3-none-any.whl"
    wheel_file = zipfile.ZipFile(io.BytesIO(dist.content)).read("a_b-1.0.dist-info/WHEEL")
    assert parse_metadata(wheel_file).get_all("Tag") == ["py2-none-any", "py3-none-any"]


def test_wheel_padding_is_stored_incompressible_and_reproducible() -> None:
    dist = make_wheel("big", "2.0", padding=100_000)
    info = zipfile.ZipFile(io.BytesIO(dist.content)).getinfo("big/_padding.bin")
    assert info.compress_type == zipfile.ZIP_STORED
    assert info.file_size == 100_000
    assert len(dist.content) > 100_000
    assert make_wheel("big", "2.0", padding=100_000).sha256 == dist.sha256


def test_sdist_is_a_valid_tarball_with_pkg_info() -> None:
    dist = make_sdist("Foo.Bar", "2.0", requires_dist=["idna"], dynamic=["Requires-Dist"])
    assert dist.filename == "foo_bar-2.0.tar.gz"
    with tarfile.open(fileobj=io.BytesIO(dist.content), mode="r:gz") as archive:
        names = archive.getnames()
        pkg_info = archive.extractfile("foo_bar-2.0/PKG-INFO")
        assert pkg_info is not None
        metadata_bytes = pkg_info.read()
    assert "foo_bar-2.0/pyproject.toml" in names
    assert metadata_bytes == dist.metadata
    metadata = parse_metadata(metadata_bytes)
    assert metadata["Metadata-Version"] == "2.2"
    assert metadata["Version"] == "2.0"
    assert metadata.get_all("Dynamic") == ["Requires-Dist"]
    assert metadata.get_all("Requires-Dist") == ["idna"]


def test_sdist_without_pkg_info_has_no_metadata() -> None:
    dist = make_sdist("bare", "1.0", with_pkg_info=False)
    with tarfile.open(fileobj=io.BytesIO(dist.content), mode="r:gz") as archive:
        assert "bare-1.0/PKG-INFO" not in archive.getnames()
    assert dist.metadata == b""


# -- index pages -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (PIP_ACCEPT, JSON_TYPE),
        (JSON_TYPE, JSON_TYPE),
        ("text/html;q=0.5, application/vnd.pypi.simple.v1+json;q=0.9", JSON_TYPE),
        ("text/html", "text/html"),
        (None, "text/html"),
        ("*/*", "text/html"),
        (f"{JSON_TYPE};q=0, text/html", "text/html"),
        (f"text/html, {JSON_TYPE};q=0.5", "text/html"),
    ],
)
def test_content_negotiation(
    index_server: IndexServer, wheel: DistFile, accept: str | None, expected: str
) -> None:
    index_server.add(wheel)
    headers = {} if accept is None else {"Accept": accept}
    for path in ("/simple/", "/simple/foo-bar/"):
        answer = fetch(index_server, path, headers=headers)
        assert answer.status == 200
        assert answer.headers.get_content_type() == expected
        assert answer.headers["Vary"] == "Accept"


def test_json_page_describes_each_file(index_server: IndexServer, wheel: DistFile) -> None:
    sdist = make_sdist("foo-bar", "0.9")
    index_server.add(wheel, yanked="broken <build>")
    index_server.add(sdist, yanked=True, requires_python="<4")
    page_url = index_server.project_url("foo-bar")
    answer = fetch(index_server, "/simple/foo-bar/", headers={"Accept": PIP_ACCEPT})
    document = json.loads(answer.body)
    assert document["meta"] == {"api-version": "1.1"}
    assert document["name"] == "foo-bar"
    assert document["versions"] == ["0.9", "1.0"]
    by_name = {entry["filename"]: entry for entry in document["files"]}
    first = by_name[wheel.filename]
    assert first["url"] == f"../../files/{wheel.filename}"
    assert first["hashes"] == {"sha256": wheel.sha256}
    assert first["requires-python"] == ">=3.8"  # from the wheel's own metadata
    assert first["yanked"] == "broken <build>"
    assert first["size"] == wheel.size
    assert "core-metadata" not in first
    assert "dist-info-metadata" not in first
    assert by_name[sdist.filename]["yanked"] is True
    assert by_name[sdist.filename]["requires-python"] == "<4"
    with urllib.request.urlopen(urllib.parse.urljoin(page_url, first["url"])) as response:
        assert hashlib.sha256(response.read()).hexdigest() == wheel.sha256


def test_html_page_has_escaped_pep503_attributes(
    index_server: IndexServer, wheel: DistFile
) -> None:
    sdist = make_sdist("foo-bar", "0.9")
    index_server.add(wheel, yanked='bad "quote" <tag>')
    index_server.add(sdist, yanked=True)
    body = fetch(index_server, "/simple/foo-bar/").body
    assert b'data-requires-python="&gt;=3.8"' in body
    first, second = anchors(body)
    assert first["href"] == f"../../files/{wheel.filename}#sha256={wheel.sha256}"
    assert first["data-requires-python"] == ">=3.8"
    assert first["data-yanked"] == 'bad "quote" <tag>'
    assert "data-core-metadata" not in first
    assert second["data-yanked"] == ""
    assert "data-requires-python" not in second


def test_project_list(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    index_server.add(make_wheel("zeta", "1.0"))
    html_list = anchors(fetch(index_server, "/simple/").body)
    assert [a["href"] for a in html_list] == ["foo-bar/", "zeta/"]
    json_list = json.loads(fetch(index_server, "/simple/", headers={"Accept": JSON_TYPE}).body)
    assert json_list["projects"] == [{"name": "foo-bar"}, {"name": "zeta"}]


def test_html_only_index_ignores_accept(make_index: IndexFactory, wheel: DistFile) -> None:
    server = make_index(formats={"html"})
    server.add(wheel)
    answer = fetch(server, "/simple/foo-bar/", headers={"Accept": JSON_TYPE})
    assert answer.headers.get_content_type() == "text/html"
    assert anchors(answer.body)[0]["href"] == f"../../files/{wheel.filename}#sha256={wheel.sha256}"


def test_json_only_index_refuses_an_html_only_client(make_index: IndexFactory) -> None:
    server = make_index(formats={"json"})
    server.add(make_wheel("x", "1.0"))
    assert fetch(server, "/simple/x/", headers={"Accept": "text/html"}).status == 406
    assert fetch(server, "/simple/x/").headers.get_content_type() == JSON_TYPE


def test_absolute_urls(make_index: IndexFactory, wheel: DistFile) -> None:
    server = make_index(absolute_urls=True)
    server.add(wheel)
    document = json.loads(fetch(server, "/simple/foo-bar/", headers={"Accept": JSON_TYPE}).body)
    assert document["files"][0]["url"] == server.file_url(wheel.filename)
    assert server.file_url(wheel.filename).startswith("http://127.0.0.1:")


@pytest.mark.parametrize("path", ["/simple/Foo_Bar/", "/simple/foo.bar/", "/simple/foo-bar"])
def test_non_normalised_names_redirect(
    index_server: IndexServer, wheel: DistFile, path: str
) -> None:
    index_server.add(wheel)
    answer = fetch(index_server, path)
    assert answer.status == 301
    assert answer.headers["Location"] == "/simple/foo-bar/"
    with urllib.request.urlopen(index_server.url + path) as response:
        assert response.url == index_server.project_url("foo-bar")
        assert response.status == 200


def test_unknown_project_and_file_are_404(index_server: IndexServer) -> None:
    assert fetch(index_server, "/simple/nothing/").status == 404
    assert fetch(index_server, "/files/nothing-1.0.tar.gz").status == 404
    assert fetch(index_server, "/elsewhere").status == 404


def test_add_rejects_a_duplicate_file(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    with pytest.raises(ValueError, match="already"):
        index_server.add(wheel)


# -- files: HEAD and Range -------------------------------------------------------------------


def test_head_reports_length_and_range_support(
    index_server: IndexServer, big_wheel: DistFile
) -> None:
    index_server.add(big_wheel)
    answer = fetch(index_server, f"/files/{big_wheel.filename}", method="HEAD")
    assert answer.status == 200
    assert answer.headers["Content-Length"] == str(big_wheel.size)
    assert answer.headers["Accept-Ranges"] == "bytes"
    assert answer.body == b""
    assert index_server.requests[-1].body_bytes == 0


@pytest.mark.parametrize(
    ("range_header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, None), ("bytes=-22", -22, None)],
)
def test_range_forms(
    index_server: IndexServer, big_wheel: DistFile, range_header: str, first: int, last: int | None
) -> None:
    index_server.add(big_wheel)
    size = big_wheel.size
    answer = fetch(index_server, f"/files/{big_wheel.filename}", headers={"Range": range_header})
    expected = big_wheel.content[first : None if last is None else last + 1]
    start, end = first % size, (size - 1 if last is None else last)
    assert answer.status == 206
    assert answer.body == expected
    assert answer.headers["Content-Range"] == f"bytes {start}-{end}/{size}"
    assert answer.headers["Content-Length"] == str(len(expected))


def test_range_past_the_end_is_clamped(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    answer = fetch(index_server, f"/files/{wheel.filename}", headers={"Range": "bytes=10-99999999"})
    assert answer.status == 206
    assert answer.body == wheel.content[10:]


@pytest.mark.parametrize("range_header", ["bytes=999999999-", "bytes=-0"])
def test_unsatisfiable_range_is_416(
    index_server: IndexServer, wheel: DistFile, range_header: str
) -> None:
    index_server.add(wheel)
    answer = fetch(index_server, f"/files/{wheel.filename}", headers={"Range": range_header})
    assert answer.status == 416
    assert answer.headers["Content-Range"] == f"bytes */{wheel.size}"


@pytest.mark.parametrize("range_header", ["bytes=9-2", "bytes=0-1,5-6", "items=0-1"])
def test_unusable_range_is_ignored(
    index_server: IndexServer, wheel: DistFile, range_header: str
) -> None:
    index_server.add(wheel)
    answer = fetch(index_server, f"/files/{wheel.filename}", headers={"Range": range_header})
    assert (answer.status, answer.body) == (200, wheel.content)


def test_range_support_off_sends_the_whole_file(
    make_index: IndexFactory, big_wheel: DistFile
) -> None:
    server = make_index(range_support=False)
    server.add(big_wheel)
    answer = fetch(server, f"/files/{big_wheel.filename}", headers={"Range": "bytes=-100"})
    assert (answer.status, answer.body) == (200, big_wheel.content)
    assert "Accept-Ranges" not in answer.headers
    assert (
        "Accept-Ranges" not in fetch(server, f"/files/{big_wheel.filename}", method="HEAD").headers
    )


def test_keep_alive_reuses_one_connection(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    connection = http.client.HTTPConnection("127.0.0.1", index_server.port, timeout=5)
    try:
        connection.request("GET", "/simple/foo-bar/")
        first = connection.getresponse()
        first.read()
        socket_used = connection.sock
        connection.request("GET", f"/files/{wheel.filename}", headers={"Range": "bytes=0-3"})
        second = connection.getresponse()
        assert second.read() == wheel.content[:4]
        assert connection.sock is socket_used
        assert first.getheader("Connection") is None
    finally:
        connection.close()


# -- PEP 658 ---------------------------------------------------------------------------------


def test_pep658_metadata_file_matches_the_advertised_hash(
    make_index: IndexFactory, wheel: DistFile
) -> None:
    server = make_index(pep658=True)
    server.add(wheel)
    document = json.loads(fetch(server, "/simple/foo-bar/", headers={"Accept": JSON_TYPE}).body)
    entry = document["files"][0]
    assert entry["core-metadata"] == {"sha256": wheel.metadata_sha256}
    assert entry["dist-info-metadata"] == entry["core-metadata"]
    anchor = anchors(fetch(server, "/simple/foo-bar/").body)[0]
    assert anchor["data-core-metadata"] == f"sha256={wheel.metadata_sha256}"
    assert anchor["data-dist-info-metadata"] == anchor["data-core-metadata"]
    answer = fetch(server, f"/files/{wheel.filename}.metadata")
    assert answer.status == 200
    assert hashlib.sha256(answer.body).hexdigest() == wheel.metadata_sha256
    assert parse_metadata(answer.body)["Name"] == "Foo.Bar"


def test_pep658_is_per_file(make_index: IndexFactory, wheel: DistFile) -> None:
    server = make_index(pep658=True)
    server.add(wheel, pep658=False)
    bare = make_sdist("foo-bar", "0.1", with_pkg_info=False)
    server.add(bare)  # the server default cannot apply: there is no PKG-INFO
    assert fetch(server, f"/files/{wheel.filename}.metadata").status == 404
    assert fetch(server, f"/files/{bare.filename}.metadata").status == 404
    assert all(
        "data-core-metadata" not in a for a in anchors(fetch(server, "/simple/foo-bar/").body)
    )
    with pytest.raises(ValueError, match="no core metadata"):
        server.add(make_sdist("other", "1.0", with_pkg_info=False), pep658=True)


# -- auth ------------------------------------------------------------------------------------


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_basic_auth(make_index: IndexFactory, wheel: DistFile) -> None:
    server = make_index(auth=("user", "secret"))
    server.add(wheel)
    for path in ("/simple/", "/simple/foo-bar/", f"/files/{wheel.filename}"):
        refused = fetch(server, path)
        assert refused.status == 401
        assert refused.headers["WWW-Authenticate"].startswith("Basic ")
        assert fetch(server, path, headers=basic("user", "wrong")).status == 401
        assert fetch(server, path, headers=basic("user", "secret")).status == 200


# -- faults ----------------------------------------------------------------------------------


def test_status_fault_affects_the_next_n_requests(index_server: IndexServer) -> None:
    index_server.inject("/simple/*", Status(503, retry_after=1), times=2)
    first = fetch(index_server, "/simple/")
    assert (first.status, first.headers["Retry-After"]) == (503, "1")
    assert fetch(index_server, "/simple/").status == 503
    assert fetch(index_server, "/simple/").status == 200
    assert index_server.count("/simple/") == 3
    assert [r.status for r in index_server.requests] == [503, 503, 200]


def test_fault_forever_and_clear(index_server: IndexServer) -> None:
    plan = index_server.inject("/simple/", Status(500), times=None)
    assert [fetch(index_server, "/simple/").status for _ in range(3)] == [500, 500, 500]
    assert plan.active
    index_server.clear_faults()
    assert fetch(index_server, "/simple/").status == 200


def test_fault_glob_only_matches_its_paths(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    index_server.inject("/files/*.tar.gz", Status(500), times=None)
    assert fetch(index_server, f"/files/{wheel.filename}").status == 200


def test_hang_outlasts_the_client_timeout(index_server: IndexServer) -> None:
    index_server.inject("/simple/", Hang(30))
    with pytest.raises(TimeoutError):
        fetch(index_server, "/simple/", timeout=0.2)
    assert index_server.requests[0].status is None  # logged on arrival, never answered
    assert fetch(index_server, "/simple/").status == 200


def test_truncate_sends_half_the_promised_body(
    index_server: IndexServer, big_wheel: DistFile
) -> None:
    index_server.add(big_wheel)
    path = f"/files/{big_wheel.filename}"
    index_server.inject(path, Truncate())
    with pytest.raises(http.client.IncompleteRead) as excinfo:
        fetch(index_server, path)
    assert len(excinfo.value.partial) == big_wheel.size // 2
    assert index_server.requests[0].body_bytes == big_wheel.size // 2
    assert fetch(index_server, path).body == big_wheel.content


@pytest.mark.parametrize("glob", ["/files/foo_bar-*.whl", "/simple/foo-bar/"])
def test_wrong_hash_is_advertised_then_corrected(
    index_server: IndexServer, wheel: DistFile, glob: str
) -> None:
    index_server.add(wheel)
    index_server.inject(glob, WrongHash())
    corrupted = json.loads(
        fetch(index_server, "/simple/foo-bar/", headers={"Accept": JSON_TYPE}).body
    )
    advertised = corrupted["files"][0]["hashes"]["sha256"]
    assert advertised != wheel.sha256
    assert len(advertised) == 64
    assert anchors(fetch(index_server, "/simple/foo-bar/").body)[0]["href"] == (
        f"../../files/{wheel.filename}#sha256={wheel.sha256}"
    )
    # The file itself is untouched: only the index lies.
    assert fetch(index_server, f"/files/{wheel.filename}").body == wheel.content


def test_wrong_hash_spares_other_files(index_server: IndexServer, wheel: DistFile) -> None:
    sdist = make_sdist("foo-bar", "0.9")
    index_server.add(wheel)
    index_server.add(sdist)
    index_server.inject("/files/*.tar.gz", WrongHash())
    hrefs = {a["href"] for a in anchors(fetch(index_server, "/simple/foo-bar/").body)}
    assert f"../../files/{wheel.filename}#sha256={wheel.sha256}" in hrefs
    assert f"../../files/{sdist.filename}#sha256={sdist.sha256}" not in hrefs


def test_garbage_is_neither_html_nor_json(index_server: IndexServer, wheel: DistFile) -> None:
    index_server.add(wheel)
    index_server.inject("/simple/foo-bar/", Garbage())
    answer = fetch(index_server, "/simple/foo-bar/", headers={"Accept": PIP_ACCEPT})
    assert answer.status == 200
    assert answer.headers.get_content_type() == "text/plain"
    assert anchors(answer.body.decode(errors="replace").encode()) == []
    with pytest.raises(ValueError):
        json.loads(answer.body)


def test_reset_closes_without_an_answer(index_server: IndexServer) -> None:
    index_server.inject("/simple/", Reset())
    with pytest.raises(ConnectionResetError) as excinfo:
        fetch(index_server, "/simple/")
    # An RST, not an orderly close (http.client reports that as RemoteDisconnected).
    assert not isinstance(excinfo.value, http.client.RemoteDisconnected)
    assert index_server.requests[0].status is None
    assert fetch(index_server, "/simple/").status == 200


def test_faults_come_before_auth(make_index: IndexFactory) -> None:
    server = make_index(auth=("user", "secret"))
    server.inject("/simple/", Status(502))
    assert fetch(server, "/simple/").status == 502
    assert fetch(server, "/simple/").status == 401


def test_inject_rejects_a_non_positive_count(index_server: IndexServer) -> None:
    with pytest.raises(ValueError, match="times"):
        index_server.inject("/simple/", Status(500), times=0)


# -- request log -----------------------------------------------------------------------------


def test_log_shows_a_range_read_transfers_far_less_than_the_wheel(
    index_server: IndexServer, big_wheel: DistFile
) -> None:
    index_server.add(big_wheel)
    path = f"/files/{big_wheel.filename}"
    fetch(index_server, path, headers={"Range": "bytes=-4096"})
    fetch(index_server, path, method="HEAD")
    assert index_server.bytes_sent(path) == 4096
    assert index_server.bytes_sent(path) < big_wheel.size // 40
    fetch(index_server, path)
    assert index_server.bytes_sent("/files/*") == 4096 + big_wheel.size
    assert index_server.count("/files/*") == 3
    assert index_server.count("/files/*", method="HEAD") == 1
    ranged = index_server.requests[0]
    assert (ranged.method, ranged.path, ranged.range, ranged.status) == (
        "GET",
        path,
        "bytes=-4096",
        206,
    )
    assert ranged.headers["host"] == f"127.0.0.1:{index_server.port}"
    fetch(index_server, "/simple/")
    assert index_server.bytes_sent() > index_server.bytes_sent("/files/*")


def test_log_is_thread_safe(index_server: IndexServer) -> None:
    def hammer() -> None:
        for _ in range(10):
            fetch(index_server, "/simple/")

    workers = [threading.Thread(target=hammer) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert index_server.count("/simple/") == 80
    assert all(record.status == 200 for record in index_server.requests)


# -- lifecycle and fixtures ------------------------------------------------------------------


def server_threads() -> set[threading.Thread]:
    return set(threading.enumerate()) - {threading.main_thread()}


def test_stop_leaks_no_threads_even_with_idle_and_hanging_connections() -> None:
    before = server_threads()
    server = IndexServer().start()
    server.inject("/simple/", Hang(60))
    idle = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    idle.request("GET", "/files/none")
    idle.getresponse().read()  # the connection stays open (keep-alive)
    hanging = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    hanging.request("GET", "/simple/")
    deadline = time.monotonic() + 5
    while server.count("/simple/") == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2
    assert server_threads() == before
    idle.close()
    hanging.close()


def test_url_needs_a_started_server() -> None:
    with pytest.raises(RuntimeError):
        _ = IndexServer().url


def test_make_index_starts_independent_servers(make_index: IndexFactory) -> None:
    first, second = make_index(), make_index(formats={"html"})
    assert first.port != second.port
    assert first.simple_url == f"http://127.0.0.1:{first.port}/simple/"
    assert fetch(second, "/simple/", headers={"Accept": JSON_TYPE}).headers["Content-Type"] == (
        "text/html; charset=utf-8"
    )


def test_pip_configuration_is_isolated() -> None:
    assert os.environ["PIP_CONFIG_FILE"] == os.devnull
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX"):
        assert name not in os.environ


# -- static indexes --------------------------------------------------------------------------


@pytest.fixture
def file_index(tmp_path: Path, wheel: DistFile) -> Iterator[Path]:
    sdist = make_sdist("foo-bar", "0.9")
    yield write_file_index(
        tmp_path / "index",
        [(wheel, {"pep658": True}), (sdist, {"yanked": "old"}), (make_wheel("zeta", "1.0"), {})],
    )


def test_file_index_pages_link_to_files_with_hashes(file_index: Path, wheel: DistFile) -> None:
    assert file_index.name == "simple"
    assert [a["href"] for a in anchors((file_index / "index.html").read_bytes())] == [
        "foo-bar/",
        "zeta/",
    ]
    page_url = (file_index / "foo-bar" / "index.html").as_uri()
    with urllib.request.urlopen(page_url) as page:
        links = anchors(page.read())
    assert links[1]["data-yanked"] == "old"
    for link in links:
        href = link["href"]
        assert href is not None
        file_url, _, fragment = urllib.parse.urljoin(page_url, href).partition("#")
        with urllib.request.urlopen(file_url) as response:
            assert f"sha256={hashlib.sha256(response.read()).hexdigest()}" == fragment
    metadata = (file_index / "foo-bar" / f"{wheel.filename}.metadata").read_bytes()
    assert links[0]["data-core-metadata"] == f"sha256={hashlib.sha256(metadata).hexdigest()}"


def test_find_links_directory_is_flat(tmp_path: Path, wheel: DistFile) -> None:
    sdist = make_sdist("foo-bar", "0.9")
    directory = write_find_links(tmp_path / "links", [wheel, sdist])
    assert sorted(p.name for p in directory.iterdir()) == sorted([wheel.filename, sdist.filename])
    assert (directory / wheel.filename).read_bytes() == wheel.content
