"""A netrc file that cannot be used is a warning, never a crash; a missing one is nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockctl.events import NetrcUnreadable
from lockctl.index import ProjectNotFound, ProjectPage
from lockctl.index.auth import CredentialStore
from lockctl.urls import SecretURL
from tests.index.helpers import EventLog, make_client
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer
from tests.support.privileges import unprivileged

HOST = SecretURL("https://index.test/simple/")


def _credentials(netrc: Path | None, events: EventLog) -> tuple[str, str] | None:
    return CredentialStore(netrc_path=netrc, reporter=events).for_url(HOST)


def test_a_netrc_that_is_a_directory_is_reported_and_the_run_goes_on(
    index_server: IndexServer, tmp_path: Path
) -> None:
    index_server.add(make_wheel("open", "1.0"))
    netrc = tmp_path / "netrc"
    netrc.mkdir()
    events = EventLog()
    with make_client(
        [index_server.simple_url], cache_dir=tmp_path / "cache", netrc=netrc, reporter=events
    ) as client:
        assert isinstance(client.project("open"), ProjectPage)
        assert isinstance(client.project("other"), ProjectNotFound)  # read once, said once
    assert events == [NetrcUnreadable(path=netrc, reason="Is a directory")]


def test_a_malformed_netrc_is_reported_with_its_line(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine index.test\nnonsense here\n")
    events = EventLog()
    assert _credentials(netrc, events) is None
    (event,) = events
    assert isinstance(event, NetrcUnreadable) and event.path == netrc
    assert event.reason == "line 2: bad follower token 'nonsense'"


def test_netrc_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine index.test login me password s3cret\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert _credentials(None, EventLog()) == ("me", "s3cret")
    netrc.unlink()
    netrc.mkdir()
    events = EventLog()
    assert _credentials(None, events) is None
    assert events == [NetrcUnreadable(path=netrc, reason="Is a directory")]


def test_a_missing_netrc_or_home_is_nothing_to_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "no-such-home"))
    events = EventLog()
    assert _credentials(None, events) is None
    home_file = tmp_path / "home"
    home_file.write_text("a file, not a directory\n")
    monkeypatch.setenv("HOME", str(home_file))
    assert _credentials(None, events) is None

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("HOME")
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert _credentials(None, events) is None
    assert events == []


_READ_NETRC = """
import sys
from pathlib import Path
from lockctl.index.auth import CredentialStore
from lockctl.urls import SecretURL
events = []
store = CredentialStore(netrc_path=Path(sys.argv[1]), reporter=events.append)
print(store.for_url(SecretURL("https://index.test/simple/")))
print([f"{type(e).__name__}: {e.reason}" for e in events])
"""


def test_an_unreadable_netrc_is_reported(tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine index.test login me password s3cret\n")
    netrc.chmod(0o000)
    tmp_path.chmod(0o755)  # the child may reach the file, but not read it
    result = subprocess.run(
        unprivileged([sys.executable, "-c", _READ_NETRC, str(netrc)]),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["None", "['NetrcUnreadable: Permission denied']"]
