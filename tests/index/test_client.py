"""The index client on a real loopback index: pages, metadata paths, faults, several indexes."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.errors import (
    HashMismatch,
    IndexResponseError,
    IndexUnreachable,
    InsecureIndex,
    MetadataUnavailable,
    OfflineMiss,
)
from lockctl.events import CacheEntryCorrupt, Retrying
from lockctl.index import DistributionFile, IndexClient, ProjectNotFound, ProjectPage
from lockctl.index.cache import Cache, CachedPage
from lockctl.index.cachefiles import FORMAT
from tests.index.helpers import EventLog, make_client
from tests.support.dists import make_sdist, make_wheel
from tests.support.faults import Garbage, Hang, Reset, Status, Truncate, WrongHash
from tests.support.fileindex import write_file_index, write_find_links
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer


def _page(client: IndexClient, name: str) -> ProjectPage:
    page = client.project(name)
    assert isinstance(page, ProjectPage), page
    return page


def _file(client: IndexClient, name: str, version: str) -> DistributionFile:
    (dist,) = _page(client, name).releases()[Version(version)]
    return dist


@pytest.mark.parametrize("formats", [{"json"}, {"html"}])
def test_project_page_in_json_and_html(
    make_index: IndexFactory, tmp_path: Path, formats: set[str]
) -> None:
    server = make_index(formats=formats, pep658=True)
    wheel = make_wheel("Foo_Bar", "1.0", requires_python=">=3.8")
    server.add(wheel)
    server.add(make_wheel("foo-bar", "0.9"), yanked="broken build")
    server.add(make_sdist("foo-bar", "0.8"), yanked=True)
    with make_client([server.simple_url], cache_dir=tmp_path) as client:
        page = _page(client, "FOO.bar")
    assert page.name == "foo-bar"
    by_name = {f.filename: f for f in page.files}
    assert set(by_name) == {wheel.filename, "foo_bar-0.9-py3-none-any.whl", "foo_bar-0.8.tar.gz"}
    current = by_name[wheel.filename]
    assert current.sha256 == wheel.sha256
    assert current.requires_python == ">=3.8"  # HTML: unescaped from &gt;=3.8
    assert current.yanked is None
    assert current.core_metadata == {"sha256": wheel.metadata_sha256}
    assert current.url.secret == server.file_url(wheel.filename)
    assert by_name["foo_bar-0.9-py3-none-any.whl"].yanked == "broken build"
    assert by_name["foo_bar-0.8.tar.gz"].yanked == ""


def test_pep658_metadata_is_used_without_touching_the_wheel(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    server = make_index(pep658=True)
    server.add(make_wheel("alpha", "2.0", requires_dist=["beta>=1", "gamma; extra == 'x'"]))
    with make_client([server.simple_url], cache_dir=tmp_path) as client:
        metadata = client.metadata(_file(client, "alpha", "2.0"))
        assert client.sources == {"pep658": 1}
    assert [str(r) for r in metadata.requires_dist] == ["beta>=1", 'gamma; extra == "x"']
    assert server.count("/files/*.whl") == 0
    assert server.count("/files/*.metadata") == 1


def test_range_read_transfers_a_small_part_of_a_large_wheel(
    index_server: IndexServer, tmp_path: Path
) -> None:
    wheel = make_wheel("big", "1.0", requires_dist=["numpy>=1.26"], padding=3_000_000)
    index_server.add(wheel)
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        metadata = client.metadata(_file(client, "big", "1.0"))
        assert client.sources == {"range": 1}
    assert [str(r) for r in metadata.requires_dist] == ["numpy>=1.26"]
    transferred = index_server.bytes_sent("/files/*")
    assert 0 < transferred < wheel.size // 20, (transferred, wheel.size)


def test_full_download_when_the_server_ignores_ranges(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    server = make_index(range_support=False)
    wheel = make_wheel("plain", "1.0", requires_dist=["six"])
    server.add(wheel)
    with make_client([server.simple_url], cache_dir=tmp_path) as client:
        metadata = client.metadata(_file(client, "plain", "1.0"))
        assert client.sources == {"download": 1}
    assert [str(r) for r in metadata.requires_dist] == ["six"]
    assert server.count("/files/*") == 1


def test_a_full_download_with_a_wrong_hash_is_refused(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    server = make_index(range_support=False)
    server.add(make_wheel("tampered", "1.0"))
    server.inject("/simple/tampered/", WrongHash(), times=None)
    with make_client([server.simple_url], cache_dir=tmp_path) as client:
        dist = _file(client, "tampered", "1.0")
        with pytest.raises(HashMismatch) as caught:
            client.metadata(dist)
    assert caught.value.expected == dist.sha256
    assert caught.value.actual != dist.sha256


def test_transient_failures_are_retried(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("flaky", "1.0", requires_dist=["six"]))
    index_server.inject("/simple/flaky/", Status(503), times=2)
    index_server.inject("/files/*.whl", Reset(), times=1)
    events = EventLog()
    with make_client([index_server.simple_url], cache_dir=tmp_path, reporter=events) as client:
        metadata = client.metadata(_file(client, "flaky", "1.0"))
    assert [str(r) for r in metadata.requires_dist] == ["six"]
    assert index_server.count("/simple/flaky/") == 3
    retries = [e for e in events if isinstance(e, Retrying)]
    assert [e.attempt for e in retries] == [1, 2, 1]
    assert retries[0].reason == "HTTP 503"


def test_a_hang_times_out_and_is_retried(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("slow", "1.0"))
    index_server.inject("/simple/slow/", Hang(3.0), times=1)
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        assert _page(client, "slow").files
    assert index_server.count("/simple/slow/") == 2


def test_a_truncated_download_is_retried(make_index: IndexFactory, tmp_path: Path) -> None:
    server = make_index(range_support=False)
    server.add(make_wheel("cut", "1.0", padding=100_000))
    server.inject("/files/*.whl", Truncate(), times=1)
    with make_client([server.simple_url], cache_dir=tmp_path) as client:
        client.metadata(_file(client, "cut", "1.0"))
    assert server.count("/files/*.whl") == 2


def test_a_server_that_keeps_failing_is_an_index_error(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.inject("/simple/*", Status(500), times=None)
    with (
        make_client([index_server.simple_url], cache_dir=tmp_path) as client,
        pytest.raises(IndexResponseError) as caught,
    ):
        client.project("anything")
    assert caught.value.status == 500
    assert caught.value.exit_code == 3
    assert index_server.count("/simple/anything/") == 4  # one try and three retries


def test_an_unreachable_index_is_an_index_error(tmp_path: Path) -> None:
    with IndexServer() as server:
        dead = server.simple_url  # the port is closed once the server stops
    with (
        make_client([dead], cache_dir=tmp_path) as client,
        pytest.raises(IndexUnreachable) as caught,
    ):
        client.project("anything")
    assert caught.value.url == dead + "anything/"


def test_plain_http_to_an_untrusted_host_is_refused(tmp_path: Path) -> None:
    plain = "http://me:s3cret@index.invalid/simple/"
    with (
        make_client([plain], cache_dir=tmp_path) as client,
        pytest.raises(InsecureIndex) as caught,
    ):
        client.project("anything")  # refused before any connection: the host does not resolve
    assert caught.value.exit_code == 2
    assert caught.value.url == "http://me:****@index.invalid/simple/anything/"
    assert caught.value.host == "index.invalid"
    assert "uses plain HTTP" in caught.value.message
    assert caught.value.hint == "use HTTPS, or add --trusted-host index.invalid if you mean it"


def test_an_answer_that_is_neither_html_nor_json(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("odd", "1.0"))
    index_server.inject("/simple/odd/", Garbage(), times=1)
    with (
        make_client([index_server.simple_url], cache_dir=tmp_path) as client,
        pytest.raises(IndexResponseError, match="neither a PEP 691 JSON page nor"),
    ):
        client.project("odd")


def test_not_found_is_a_value_naming_every_index(make_index: IndexFactory, tmp_path: Path) -> None:
    first, second = make_index(), make_index()
    with make_client([first.simple_url, second.simple_url], cache_dir=tmp_path) as client:
        missing = client.project("Nowhere_To_Be_Found")
    assert missing == ProjectNotFound(
        name=canonicalize_name("nowhere-to-be-found"),
        searched=(first.simple_url, second.simple_url),
    )


def test_the_first_index_that_has_a_project_wins(make_index: IndexFactory, tmp_path: Path) -> None:
    private, public = make_index(), make_index()
    private.add(make_wheel("internal-tool", "1.0"))
    public.add(make_wheel("internal-tool", "99.0"))  # a dependency-confusion attempt
    public.add(make_wheel("requests", "2.0"))
    with make_client([private.simple_url, public.simple_url], cache_dir=tmp_path) as client:
        internal = _page(client, "internal-tool")
        requests = _page(client, "requests")
    assert list(internal.releases()) == [Version("1.0")]
    assert internal.source == private.simple_url
    assert requests.source == public.simple_url
    assert public.count("/simple/internal-tool/") == 0


def test_file_index_and_find_links_are_merged(tmp_path: Path) -> None:
    simple = write_file_index(
        tmp_path / "tree",
        [(make_wheel("local", "1.0", requires_dist=["dep"]), {}), (make_wheel("dep", "1.0"), {})],
    )
    links = write_find_links(tmp_path / "links", [make_wheel("local", "2.0"), make_sdist("x", "1")])
    with make_client(
        [simple.as_uri()], cache_dir=tmp_path / "cache", find_links=[str(links)]
    ) as client:
        page = _page(client, "local")
        assert sorted(page.releases()) == [Version("1.0"), Version("2.0")]
        metadata = client.metadata(_file(client, "local", "1.0"))
        only_linked = _page(client, "x")
    assert [str(r) for r in metadata.requires_dist] == ["dep"]
    assert [f.filename for f in only_linked.files] == ["x-1.tar.gz"]


def test_a_file_index_is_never_cached_and_read_offline_too(tmp_path: Path) -> None:
    simple = write_file_index(tmp_path / "tree", [(make_wheel("local", "1.0"), {})])
    cache_dir = tmp_path / "cache"
    with make_client([simple.as_uri()], cache_dir=cache_dir) as client:
        assert sorted(_page(client, "local").releases()) == [Version("1.0")]
        assert isinstance(client.project("absent"), ProjectNotFound)
        assert client.project_names() == ["local"]
    assert not list(cache_dir.rglob("pages/**/*.json"))
    assert not list(cache_dir.rglob("names/**/*.json"))
    write_file_index(tmp_path / "tree", [(make_wheel("local", "1.1"), {})])
    with make_client([simple.as_uri()], cache_dir=cache_dir, offline=True) as client:
        assert sorted(_page(client, "local").releases()) == [Version("1.1")]


def test_credentials_are_sent_and_never_shown(make_index: IndexFactory, tmp_path: Path) -> None:
    server = make_index(auth=("alice", "s3cret"))
    server.add(make_wheel("private", "1.0", requires_dist=["six"]))
    with_credentials = server.simple_url.replace("http://", "http://alice:s3cret@")
    with make_client([with_credentials], cache_dir=tmp_path / "a") as client:
        dist = _file(client, "private", "1.0")
        assert [str(r) for r in client.metadata(dist).requires_dist] == ["six"]
    assert "s3cret" not in str(dist) and "s3cret" not in repr(dist)

    wrong = server.simple_url.replace("http://", "http://alice:wrong@")
    with (
        make_client([wrong], cache_dir=tmp_path / "b") as client,
        pytest.raises(IndexResponseError) as caught,
    ):
        client.project("private")
    assert caught.value.status == 401
    assert "wrong" not in caught.value.url and "alice:****@" in caught.value.url


def test_credentials_from_netrc(make_index: IndexFactory, tmp_path: Path) -> None:
    server = make_index(auth=("bob", "hunter2"))
    server.add(make_wheel("private", "1.0"))
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bob password hunter2\n")
    netrc.chmod(0o600)
    with make_client([server.simple_url], cache_dir=tmp_path / "c", netrc=netrc) as client:
        assert _page(client, "private").files


def test_cache_serves_a_second_run_offline(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("cached", "1.0", requires_dist=["six"]))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        client.metadata(_file(client, "cached", "1.0"))
    before = index_server.count()
    with make_client([index_server.simple_url], cache_dir=tmp_path, offline=True) as client:
        metadata = client.metadata(_file(client, "cached", "1.0"))
        assert client.sources == {"cache": 1}
    assert [str(r) for r in metadata.requires_dist] == ["six"]
    assert index_server.count() == before


def test_offline_without_a_cached_answer(index_server: IndexServer, tmp_path: Path) -> None:
    with (
        make_client([index_server.simple_url], cache_dir=tmp_path, offline=True) as client,
        pytest.raises(OfflineMiss, match="not in the cache"),
    ):
        client.project("never-seen")
    assert index_server.count() == 0


def test_a_corrupt_cache_entry_is_reported_and_refetched(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("fragile", "1.0", requires_dist=["six"]))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        client.metadata(_file(client, "fragile", "1.0"))
    entries = sorted((tmp_path / f"v{FORMAT}" / "metadata").rglob("*.json"))
    assert len(entries) == 1
    entries[0].write_bytes(entries[0].read_bytes().replace(b"six", b"sux"))
    events = EventLog()
    with make_client([index_server.simple_url], cache_dir=tmp_path, reporter=events) as client:
        metadata = client.metadata(_file(client, "fragile", "1.0"))
        assert client.sources == {"range": 1}
    assert [str(r) for r in metadata.requires_dist] == ["six"]
    (event,) = events
    assert isinstance(event, CacheEntryCorrupt)
    assert event.path == entries[0] and event.reason == "checksum does not match its content"


def test_refresh_refetches_pages(index_server: IndexServer, tmp_path: Path) -> None:
    index_server.add(make_wheel("moving", "1.0"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        _page(client, "moving")
    index_server.add(make_wheel("moving", "1.1"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        assert sorted(_page(client, "moving").releases()) == [Version("1.0")]
    with make_client([index_server.simple_url], cache_dir=tmp_path, refresh=True) as client:
        assert sorted(_page(client, "moving").releases()) == [Version("1.0"), Version("1.1")]


def test_a_stale_page_is_revalidated_with_its_etag(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("steady", "1.0"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        _page(client, "steady")
    # Age the cached page past its time-to-live without waiting for it.
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        client.cache.page_ttl = 0.0
        assert sorted(_page(client, "steady").releases()) == [Version("1.0")]
    (first, second) = [r for r in index_server.requests if r.path == "/simple/steady/"]
    assert first.status == 200 and second.status == 304
    assert second.headers.get("if-none-match") and second.body_bytes == 0


def test_a_stale_page_is_read_from_the_cache_once(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_server.add(make_wheel("steady", "1.0"))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        _page(client, "steady")
    reads: list[str] = []
    real = Cache.get_page

    def counted(self: Cache, url: str, *, allow_stale: bool = False) -> CachedPage | None:
        reads.append(url)
        return real(self, url, allow_stale=allow_stale)

    monkeypatch.setattr(Cache, "get_page", counted)
    monkeypatch.setenv("LOCKCTL_PAGE_WORKER", "0")  # its read-back is another matter
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        client.cache.page_ttl = 0.0  # stale: checked in this thread, revalidated in the pool
        assert sorted(_page(client, "steady").releases()) == [Version("1.0")]
    assert reads == [index_server.project_url("steady")]


def test_sdist_static_metadata_is_read_without_building(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_sdist("static", "1.0", requires_dist=["attrs>=22"]))
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        metadata = client.metadata(_file(client, "static", "1.0"))
    assert [str(r) for r in metadata.requires_dist] == ["attrs>=22"]


@pytest.mark.parametrize(
    ("options", "reason"),
    [
        ({"metadata_version": "2.1"}, "Metadata-Version 2.1, older than 2.2"),
        ({"dynamic": ["Requires-Dist"]}, "marks requires-dist as Dynamic"),
        ({"with_pkg_info": False}, "has no top-level PKG-INFO"),
    ],
)
def test_sdist_without_static_metadata_is_refused_by_default(
    index_server: IndexServer, tmp_path: Path, options: dict[str, object], reason: str
) -> None:
    index_server.add(make_sdist("dynamic", "1.0", **options))  # type: ignore[arg-type]
    with make_client([index_server.simple_url], cache_dir=tmp_path) as client:
        dist = _file(client, "dynamic", "1.0")
        with pytest.raises(MetadataUnavailable) as caught:
            client.metadata(dist)
    assert caught.value.filename == "dynamic-1.0.tar.gz"
    assert reason in caught.value.message
    assert "--allow-build" in caught.value.message


def test_metadata_for_many_files_in_parallel(index_server: IndexServer, tmp_path: Path) -> None:
    for number in range(40):
        index_server.add(make_wheel(f"pkg{number}", "1.0", requires_dist=[f"dep{number}"]))
    with make_client([index_server.simple_url], cache_dir=tmp_path, max_workers=8) as client:
        names = [f"pkg{n}" for n in range(40)]
        client.prefetch_projects(names)
        futures = [client.metadata_future(_file(client, name, "1.0")) for name in names]
        results = [future.result(timeout=30) for future in futures]
    assert [str(r.requires_dist[0]) for r in results] == [f"dep{n}" for n in range(40)]


@pytest.mark.live
@pytest.mark.slow
def test_allow_build_learns_metadata_by_building_the_sdist(
    index_server: IndexServer, tmp_path: Path
) -> None:
    # Metadata-Version 2.1: nothing in PKG-INFO can be trusted, so only a build tells.
    # The build backend (setuptools) comes from the default index, hence "live".
    index_server.add(
        make_sdist("built", "1.0", requires_dist=["attrs>=22"], metadata_version="2.1")
    )
    with make_client([index_server.simple_url], cache_dir=tmp_path, allow_build=True) as client:
        metadata = client.metadata(_file(client, "built", "1.0"))
        assert client.sources == {"build": 1}
    assert [str(r) for r in metadata.requires_dist] == ["attrs>=22"]


def test_a_failing_project_list_only_costs_the_suggestions(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    broken, working = make_index(), make_index()
    working.add(make_wheel("requests", "1.0"))
    broken.inject("/simple/", Status(500), times=None)
    with make_client([broken.simple_url, working.simple_url], cache_dir=tmp_path) as client:
        assert client.project_names() == ["requests"]
    assert broken.count("/simple/") == 4  # asked, retried, given up on: no error
    with make_client([working.simple_url], cache_dir=tmp_path / "empty", offline=True) as client:
        assert client.project_names() == []  # offline: no list is asked for
    assert working.count("/simple/") == 1
