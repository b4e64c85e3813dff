"""A cache that heals itself and cannot be confused, on a real loopback index.

Each test fills a cache, spoils it the way disks, editors, copies and killed runs do, and runs
again: the damage is reported with its path, the answer is fetched again and is right, and a
third run, offline, finds the cache whole. A cache that cannot be used at all only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from lockctl.errors import IndexFailure
from lockctl.events import CacheEntryCorrupt, CacheUnusable
from lockctl.index import DistributionFile, IndexClient, ProjectPage, entryparts
from lockctl.index.cache import Cache
from lockctl.index.cachefiles import FORMAT, STRAY_AFTER, EntryStore
from lockctl.index.entryparts import MAX_OPEN
from tests.index.helpers import EventLog, make_client
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer
from tests.support.privileges import unprivileged

Damage = Callable[[Path], None]


@pytest.fixture
def server(index_server: IndexServer) -> IndexServer:
    index_server.add(make_wheel("alpha", "1.0", requires_dist=["beta>=1"]))
    index_server.add(make_wheel("beta", "1.0", requires_dist=["six"]))
    return index_server


def _file(client: IndexClient, name: str) -> DistributionFile:
    page = client.project(name)
    assert isinstance(page, ProjectPage), page
    (dist,) = page.releases()[Version("1.0")]
    return dist


def _use(client: IndexClient) -> None:
    """Read both pages and both files' metadata, and check that they are right."""
    assert [str(r) for r in client.metadata(_file(client, "alpha")).requires_dist] == ["beta>=1"]
    assert [str(r) for r in client.metadata(_file(client, "beta")).requires_dist] == ["six"]


def _run(
    server: IndexServer, cache: Path, *, offline: bool = False, refresh: bool = False
) -> EventLog:
    events = EventLog()
    with make_client(
        [server.simple_url], cache_dir=cache, reporter=events, offline=offline, refresh=refresh
    ) as client:
        _use(client)
    return events


def _entries(cache: Path, kind: str = "") -> list[Path]:
    folder = cache / f"v{FORMAT}" / kind
    return sorted(p for p in folder.rglob("*.json") if "tmp" not in p.relative_to(cache).parts)


def _corrupt(events: EventLog) -> dict[Path, str]:
    return {e.path: e.reason for e in events if isinstance(e, CacheEntryCorrupt)}


def _rewrite(entry: Path, meta: dict[str, Any], body: bytes) -> None:
    """Write an entry whose checksum is sound, as a bug or a tool that knows the format might."""
    rest = json.dumps(meta).encode() + b"\n" + body
    check = {"format": FORMAT, "checksum": hashlib.sha256(rest).hexdigest()}
    entry.write_bytes(json.dumps(check).encode() + b"\n" + rest)


def _rewrite_parts(entry: Path, meta: dict[str, Any], body: bytes) -> None:
    """Write an entry in parts whose checksum (of its metadata) is sound."""
    line = json.dumps(meta).encode() + b"\n"
    check = {"format": FORMAT, "checksum": hashlib.sha256(line).hexdigest(), "parts": True}
    entry.write_bytes(json.dumps(check).encode() + b"\n" + line + body)


def _meta(entry: Path) -> dict[str, Any]:
    meta: dict[str, Any] = json.loads(entry.read_bytes().split(b"\n")[1])
    return meta


# -- damaged entries ------------------------------------------------------------------------


def _truncate(entry: Path) -> None:
    entry.write_bytes(entry.read_bytes()[:40])


def _garbage(entry: Path) -> None:
    entry.write_bytes(b"\x00\xff not an entry at all\n" * 3)


def _empty(entry: Path) -> None:
    entry.write_bytes(b"")


def _folder(entry: Path) -> None:
    entry.unlink()
    entry.mkdir()
    (entry / "inside").write_text("x")


def _link_loop(entry: Path) -> None:
    entry.unlink()
    entry.symlink_to(entry.name)


def _older_format(entry: Path) -> None:
    header, _, rest = entry.read_bytes().partition(b"\n")
    entry.write_bytes(json.dumps({**json.loads(header), "format": 2}).encode() + b"\n" + rest)


DAMAGE: dict[str, tuple[Damage, str]] = {
    "truncated": (_truncate, "truncated entry"),
    "garbage": (_garbage, "not a valid cache entry"),
    "empty": (_empty, "truncated entry"),
    "a folder": (_folder, "a folder where the entry should be"),
    "a link loop": (_link_loop, "cannot be read (Too many levels of symbolic links)"),
    "an older format": (_older_format, "not a valid cache entry"),
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_entry_is_reported_and_fetched_again(
    server: IndexServer, tmp_path: Path, damage: str
) -> None:
    spoil, reason = DAMAGE[damage]
    _run(server, tmp_path)
    entries = _entries(tmp_path)
    assert len(entries) == 4  # two pages, two files' metadata
    for entry in entries:
        spoil(entry)
    asked = server.count()
    events = _run(server, tmp_path)
    assert _corrupt(events) == {entry: reason for entry in entries}
    assert server.count() > asked
    assert _run(server, tmp_path, offline=True) == []  # whole again


def test_entries_swapped_between_keys_are_not_trusted(server: IndexServer, tmp_path: Path) -> None:
    _run(server, tmp_path)
    for kind in ("pages", "metadata"):
        first, second = _entries(tmp_path, kind)
        first_bytes = first.read_bytes()
        first.write_bytes(second.read_bytes())
        second.write_bytes(first_bytes)
    events = _run(server, tmp_path)
    assert set(_corrupt(events).values()) == {"it was written for another key"}
    assert len(_corrupt(events)) == 4
    assert _run(server, tmp_path, offline=True) == []


def test_metadata_of_another_release_is_not_trusted(server: IndexServer, tmp_path: Path) -> None:
    _run(server, tmp_path)
    cache = Cache(tmp_path)
    with make_client([server.simple_url], cache_dir=tmp_path, offline=True) as client:
        alpha, beta = _file(client, "alpha"), _file(client, "beta")
        alpha_metadata = client.metadata(alpha)
    cache.put_metadata(f"sha256:{beta.sha256}", alpha_metadata)  # sound, under beta's key
    events = _run(server, tmp_path)
    (reason,) = _corrupt(events).values()
    assert reason == "metadata of another release: it says alpha 1.0, not beta 1.0"
    assert _run(server, tmp_path, offline=True) == []


def test_sound_checksum_but_offsets_that_do_not_fit(server: IndexServer, tmp_path: Path) -> None:
    _run(server, tmp_path)
    for entry in _entries(tmp_path, "pages"):
        meta = _meta(entry)
        body = entry.read_bytes().split(b"\n", 2)[2]
        meta["parts"] = [[key, 0, len(body) + 100, crc] for key, _, _, crc in meta["parts"]]
        _rewrite_parts(entry, meta, body)
    events = _run(server, tmp_path)
    reasons = list(_corrupt(events).values())
    assert len(reasons) == 2
    assert all(reason.startswith("not a valid cache entry (the part") for reason in reasons)
    assert _run(server, tmp_path, offline=True) == []


RELEASE_DAMAGE = {
    "does not decode": (b"[1,2]", b"[1,2]", "release 1.0 does not decode to a list of files"),
    "fails its CRC": (b"[1,2]", b"[1,3]", "release 1.0 does not match its checksum"),
}


def _spoil_release(tmp_path: Path, damage: str) -> tuple[Path, str]:
    body, crc_of, reason = RELEASE_DAMAGE[damage]
    (entry,) = [e for e in _entries(tmp_path, "pages") if "alpha" in _meta(e)["key"]]
    meta = {**_meta(entry), "parts": [["1.0", 0, len(body), zlib.crc32(crc_of)]]}
    _rewrite_parts(entry, meta, body)
    return entry, reason


@pytest.mark.parametrize("damage", sorted(RELEASE_DAMAGE))
def test_a_damaged_release_is_reported_and_fetched_again(
    server: IndexServer, tmp_path: Path, damage: str
) -> None:
    """Found only when the release is read, after the page was handed out: the page is
    fetched again there and then, and the run goes on."""
    _run(server, tmp_path)
    entry, reason = _spoil_release(tmp_path, damage)
    events = _run(server, tmp_path)
    assert _corrupt(events) == {entry: reason}
    assert _run(server, tmp_path, offline=True) == []  # the entry was written again, sound


@pytest.mark.parametrize("damage", sorted(RELEASE_DAMAGE))
def test_a_damaged_release_offline_fails_once_and_is_gone(
    server: IndexServer, tmp_path: Path, damage: str
) -> None:
    _run(server, tmp_path)
    entry, reason = _spoil_release(tmp_path, damage)
    events = EventLog()
    with (
        make_client(
            [server.simple_url], cache_dir=tmp_path, reporter=events, offline=True
        ) as client,
        pytest.raises(IndexFailure) as caught,
    ):
        _use(client)
    assert caught.value.exit_code == 3 and "run the command again" in caught.value.hint
    assert _corrupt(events) == {entry: reason}
    assert not entry.exists()
    assert _run(server, tmp_path) == []


def test_pages_are_stored_newest_first_with_equal_versions_joined(tmp_path: Path) -> None:
    cache = Cache(tmp_path)
    chunks = {
        "1.0": b'[{"filename":"a-1.0.tar.gz","url":"a-1.0.tar.gz"}]',
        "2.0rc1": b'[{"filename":"a-2.0rc1.tar.gz","url":"a"}]',
        "10.0": b'[{"filename":"a-10.0.tar.gz","url":"b"}]',
        "1.0.0": b'[{"filename":"a-1.0.0-py3-none-any.whl","url":"c"}]',
        "not a version": b'[{"filename":"a-x.tar.gz","url":"d"}]',
    }
    returned = cache.put_page_chunks("u", base="u", chunks=chunks, etag=None, found=True)
    page = cache.get_page("u")
    assert page is not None
    for groups in (returned, page.groups):
        assert list(groups) == ["10.0", "2.0rc1", "1.0"]
        assert [r["filename"] for r in groups["1.0"]] == [
            "a-1.0.tar.gz",
            "a-1.0.0-py3-none-any.whl",
        ]


@pytest.mark.parametrize("open_limit", [MAX_OPEN, 0])
def test_a_large_entry_is_read_part_by_part(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_limit: int
) -> None:
    """A page of megabytes: parts are read from the open file when asked for (or the whole
    body at once when too many entries are open), and a damaged part is found then."""
    monkeypatch.setattr(entryparts, "MAX_OPEN", open_limit)
    store = EntryStore(tmp_path, reporter=EventLog())
    parts = {
        f"{n}.0": json.dumps([{"filename": "x" * 2000, "n": n}] * 200).encode() for n in range(9)
    }
    assert sum(map(len, parts.values())) > 3_000_000
    assert store.write_parts("pages", "big", {"base": "b"}, parts)
    entry = store.read("pages", "big")
    assert entry is not None and entry.parts is not None and entry.meta["base"] == "b"
    assert entry.parts.names() == list(parts)
    assert all(entry.parts.read(name) == data for name, data in parts.items())
    path = store.path("pages", "big")
    raw = bytearray(path.read_bytes())
    raw[-10] ^= 1  # a byte of the last part
    path.write_bytes(bytes(raw))
    again = store.read("pages", "big")
    assert again is not None and again.parts is not None
    assert again.parts.read("8.0") is None and again.parts.read("0.0") == parts["0.0"]


# -- folders of the cache that are files ----------------------------------------------------


def _folders_become_files(*relative: str) -> Callable[[Path], list[Path]]:
    def damage(cache: Path) -> list[Path]:
        spoiled = []
        for pattern in relative:
            found = (cache / f"v{FORMAT}").glob(pattern) if pattern else [cache / f"v{FORMAT}"]
            for folder in sorted(found):
                shutil.rmtree(folder)
                folder.write_text("not a folder\n")
                spoiled.append(folder)
        return spoiled

    return damage


FOLDERS = {
    "the format folder": _folders_become_files(""),
    "the pages folder": _folders_become_files("pages"),
    "the metadata folder": _folders_become_files("metadata"),
    "the shard folders": _folders_become_files("pages/*", "metadata/*"),
    "the temporary folder": _folders_become_files("tmp"),
    "the temporary and shard folders": _folders_become_files("tmp", "pages/*", "metadata/*"),
}


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_a_file_where_a_folder_should_be_is_cleared(
    server: IndexServer, tmp_path: Path, folder: str
) -> None:
    _run(server, tmp_path)
    spoiled = FOLDERS[folder](tmp_path)
    assert spoiled
    server.clear_faults()
    events = _run(server, tmp_path, refresh=True)  # refresh: the pages are written again
    corrupt = _corrupt(events)
    assert set(corrupt) <= set(spoiled) and corrupt
    assert set(corrupt.values()) == {"a file where a folder of the cache should be"}
    assert not any(isinstance(e, CacheUnusable) for e in events)
    assert _run(server, tmp_path, offline=True) == []


# -- leftovers of a killed run --------------------------------------------------------------


def test_stray_temporary_files_are_removed_by_a_later_run(
    server: IndexServer, tmp_path: Path
) -> None:
    _run(server, tmp_path)
    temporary = tmp_path / f"v{FORMAT}" / "tmp"
    old, recent = temporary / "entry-killed", temporary / "entry-writing"
    old.write_bytes(b"half an entry")
    recent.write_bytes(b"another run is writing this")
    long_ago = time.time() - STRAY_AFTER - 60
    os.utime(old, (long_ago, long_ago))
    _run(server, tmp_path, refresh=True)  # a run that writes
    assert not old.exists() and recent.exists()


# -- a cache that cannot be used ------------------------------------------------------------


def test_a_cache_dir_that_is_a_file_is_reported_once_and_not_used(
    server: IndexServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cachefile"
    cache.write_text("I am a file\n")
    for _ in range(2):
        asked = server.count()
        events = _run(server, cache)
        assert events == [CacheUnusable(path=cache, reason="is not a directory", readable=False)]
        assert server.count() > asked  # nothing was kept
    assert cache.read_text() == "I am a file\n"


def test_a_cache_dir_under_a_file_is_reported(server: IndexServer, tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    events = _run(server, tmp_path / "file" / "cache")
    assert events == [
        CacheUnusable(
            path=tmp_path / "file" / "cache",
            reason="cannot be created (Not a directory)",
            readable=False,
        )
    ]


@pytest.fixture
def read_only() -> Iterator[Callable[[Path], None]]:
    """Make folders refuse new files, to root too (the immutable attribute), and undo it."""
    done: list[Path] = []

    def make(folder: Path) -> None:
        if os.geteuid() != 0:
            folder.chmod(0o555)
        elif subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("running as root on a file system without chattr +i")
        done.append(folder)

    yield make
    for folder in reversed(done):
        if os.geteuid() != 0:
            folder.chmod(0o755)
        else:
            subprocess.run(["chattr", "-i", str(folder)], check=True)


def test_a_read_only_cache_is_still_read(
    server: IndexServer, tmp_path: Path, read_only: Callable[[Path], None]
) -> None:
    server.add(make_wheel("gamma", "1.0"))
    _run(server, tmp_path)
    for folder in sorted(p for p in tmp_path.rglob("*") if p.is_dir()):
        read_only(folder)
    asked = server.count()
    events = EventLog()
    with make_client([server.simple_url], cache_dir=tmp_path, reporter=events) as client:
        _use(client)
        assert server.count() == asked  # every answer came from the cache
        assert events == []
        assert isinstance(client.project("gamma"), ProjectPage)  # fetched, not kept
    (event,) = events
    assert isinstance(event, CacheUnusable) and event.readable
    assert event.path == tmp_path and event.reason.startswith("cannot be written (")


_USE_CACHE = """
import sys
from pathlib import Path
from lockctl.index.cache import Cache
events = []
cache = Cache(Path(sys.argv[1]), reporter=events.append)
print(cache.get_page("https://index.test/simple/six/", allow_stale=True))
cache.put_page("https://index.test/simple/six/", base="b", groups={}, etag=None, found=False)
print([(type(e).__name__, e.reason, e.readable) for e in events])
"""


@pytest.mark.parametrize(
    ("folders", "mode", "reason", "readable"),
    [
        ((f"v{FORMAT}",), 0o000, "cannot be read (Permission denied)", False),
        ((f"v{FORMAT}", "."), 0o000, "cannot be used (Permission denied)", False),
        ((f"v{FORMAT}", "."), 0o555, "cannot be written (Permission denied)", True),
    ],
)
def test_a_cache_without_permissions_is_reported_once(
    tmp_path: Path, folders: tuple[str, ...], mode: int, reason: str, readable: bool
) -> None:
    cache = tmp_path / "cache"
    Cache(cache)  # the format folder
    tmp_path.chmod(0o755)
    for folder in folders:
        (cache / folder).chmod(mode)
    try:
        result = subprocess.run(
            unprivileged([sys.executable, "-c", _USE_CACHE, str(cache)]),
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        for folder in reversed(folders):
            (cache / folder).chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["None", repr([("CacheUnusable", reason, readable)])]


def test_clearing_a_file_in_the_way_spares_a_folder_made_since(tmp_path: Path) -> None:
    # Two threads meet the same file where a shard folder should be: the first removes it and
    # writes its entry into a new folder there; the second, late, must not remove that folder.
    events = EventLog()
    store = EntryStore(tmp_path, reporter=events)
    assert store.write("names", "https://index.test/simple/", {}, b"{}")
    shard = store.path("names", "https://index.test/simple/").parent
    for _ in range(2):
        store.discard(shard, "a file where a folder of the cache should be")
    assert store.read("names", "https://index.test/simple/") is not None
    assert _corrupt(events) == {shard: "a file where a folder of the cache should be"}
    assert len(events) == 1  # met twice, reported once


def test_a_write_clears_every_file_in_its_way(tmp_path: Path) -> None:
    key = "https://index.test/simple/"
    EntryStore(tmp_path, reporter=EventLog()).write("names", key, {}, b"{}")
    kind = tmp_path / f"v{FORMAT}" / "names"
    for folder in (kind, tmp_path / f"v{FORMAT}" / "tmp"):
        shutil.rmtree(folder)
        folder.write_text("not a folder\n")
    events = EventLog()
    store = EntryStore(tmp_path, reporter=events)
    assert store.write("names", key, {}, b"{}")  # no read first: the write meets them all
    assert store.read("names", key) is not None
    assert set(_corrupt(events)) == {kind, tmp_path / f"v{FORMAT}" / "tmp"}
