"""A lock holding a ``name @ URL`` pin, after compile: check, drift and reconcile read it as
a pin by URL (``LockedDirectPin``), not as a requirement without a pin.

A real loopback index serves the dependencies and a second loopback server the artifact, as
in ``tests/resolver/test_direct_references.py``; every URL is built at run time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from lockctl.cli.parser import parse_argv
from lockctl.ops.commands import ReconcileCommand
from lockctl.ops.reconcile import reconcile
from lockctl.ops.reconcile_rows import ReconcileReport
from tests.resolver.test_direct_references import write_project
from tests.support.dists import make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")
ALPHA = make_wheel("alpha", "1.0", requires_dist=["beta>=1"])
ALPHA_NEXT = make_wheel("alpha", "1.1", requires_dist=["beta>=1"])


@pytest.fixture
def index(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    index_server.add(make_wheel("beta", "1.0"))
    index_server.add(make_wheel("beta", "2.0"))
    index_server.add(make_wheel("tool", "1.0"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CUSTOM_COMPILE_COMMAND", raising=False)
    return index_server


@pytest.fixture
def files(make_index: IndexFactory) -> IndexServer:
    """The server the direct reference points at (its /files/ route); never an index."""
    server = make_index()
    server.add(ALPHA)
    server.add(ALPHA_NEXT)
    return server


@pytest.fixture
def url(files: IndexServer) -> str:
    return files.file_url(ALPHA.filename)


@pytest.fixture
def lock(index: IndexServer, url: str) -> Path:
    """requirements.txt compiled from ``alpha @ URL`` and ``tool``, with hashes."""
    Path("requirements.in").write_text(f"-i {index.simple_url}\nalpha @ {url}\ntool\n")
    argv = ["-q", "compile", "requirements.in", "--generate-hashes", *TARGET]
    assert main(argv) == 0
    text = Path("requirements.txt").read_text()
    assert f"alpha @ {url} \\\n    --hash=sha256:{ALPHA.sha256}\n" in text
    return Path("requirements.txt")


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "requirements.txt", *argv])
    return code, capsys.readouterr().out


def test_a_lock_with_a_url_pin_is_in_sync(lock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(capsys) == (0, "requirements.txt: in sync\n")


def test_after_an_input_change_the_url_pin_still_pins_its_project(
    lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A changed input makes check judge the lock against it: alpha is pinned (by URL), and
    # beta is required by alpha (the snapshot compile kept), so neither is reported.
    Path("requirements.in").write_text(Path("requirements.in").read_text() + "beta<3\n")
    code, out = check(capsys, "--format", "json")
    assert code == 1
    [report] = json.loads(out)["locks"]
    assert [finding["kind"] for finding in report["findings"]] == ["file-changed"]


def test_a_version_requirement_on_the_url_pin_is_checked_against_its_file_name(
    lock: Path, capsys: pytest.CaptureFixture[str], url: str
) -> None:
    text = Path("requirements.in").read_text()
    Path("requirements.in").write_text(text.replace("tool\n", "tool\nalpha>=2\n"))
    code, out = check(capsys)
    assert code == 1
    assert f"  alpha @ {url} does not meet alpha>=2 (requirements.in line 4)\n" in out
    assert "has no pin" not in out and "nothing requires it" not in out


def test_another_url_in_the_input_is_not_met_by_the_lock(
    lock: Path, capsys: pytest.CaptureFixture[str], url: str, files: IndexServer
) -> None:
    other = files.file_url(ALPHA_NEXT.filename)
    Path("requirements.in").write_text(Path("requirements.in").read_text().replace(url, other))
    code, out = check(capsys)
    assert code == 1
    assert f"  alpha @ {url} does not meet alpha @ {other} (requirements.in line 2)\n" in out


def test_a_hand_edit_of_the_url_is_edited_by_hand(
    lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock.write_text(lock.read_text().replace(ALPHA.filename, ALPHA_NEXT.filename))
    code, out = check(capsys)
    assert code == 1
    assert (
        "requirements.txt: edited by hand since lockctl wrote it\n"
        "  alpha: 1.1 in the lock, lockctl wrote 1.0\n" in out
    )
    assert "removed by hand" not in out and "has no pin" not in out
    assert "nothing requires it" not in out  # beta is still alpha's (same requirements)


def drift(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    main(["drift", "requirements.txt", "--format", "json"])
    (found,) = json.loads(capsys.readouterr().out)["locks"]
    result: dict[str, Any] = found
    return result


def test_drift_does_not_look_a_url_pin_up_on_the_index(
    lock: Path, index: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # The index now has newer releases of both: only the pin by version is outdated; the
    # pin by URL is not asked about (a newer alpha on the index is not its concern).
    index.add(make_wheel("alpha", "5.0", requires_dist=["beta>=1"]))
    index.add(make_wheel("tool", "1.1"))
    found = drift(capsys)
    kinds = [(finding["kind"], finding["name"]) for finding in found["findings"]]
    assert kinds == [("outdated", "tool")]
    assert found["recompile"]["status"] == "resolves"
    assert found["recompile"]["moves"] == [{"name": "tool", "from": "1.0", "to": "1.1"}]
    assert index.count("/simple/alpha/") == 0


@pytest.mark.slow
def test_verify_installs_the_url_pin_as_written_with_its_hash(
    lock: Path, index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # pip install --no-deps --require-hashes -r LOCK (the lock has hashes, the URL line too),
    # in a throwaway venv; alpha is a pin of the lock: compared and imported, never "extra".
    capsys.readouterr()
    argv = ["verify", "--sandbox", "venv", "--format", "json", "-i", index.simple_url]
    code = main([*argv, "requirements.txt"])
    [report] = json.loads(capsys.readouterr().out)["locks"]
    assert (code, report["ok"], report["findings"]) == (0, True, [])
    assert (report["pins"], report["installed"]) == (3, 3)
    assert files.count(f"/files/{ALPHA.filename}") >= 1


def test_verify_in_a_container_refuses_a_file_url_before_starting_anything(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = tmp_path / ALPHA.filename
    wheel.write_bytes(ALPHA.content)
    Path("requirements.in").write_text(f"-i {index.simple_url}\nalpha @ {wheel.as_uri()}\n")
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 0
    capsys.readouterr()
    code = main(["verify", "--base-image", "python:3.11-slim", "requirements.txt"])
    err = capsys.readouterr().err
    assert code == 2
    assert f": alpha @ {wheel.as_uri()} is a file of this machine" in err
    assert "--sandbox venv" in err and "Traceback" not in err


def reconcile_report(*args: str) -> ReconcileReport:
    _, command = parse_argv(["reconcile", "requirements.txt", *TARGET, *args])
    assert isinstance(command, ReconcileCommand)
    return reconcile(command, Path.cwd())


@pytest.mark.slow
def test_reconcile_takes_the_url_pin_as_a_pin(lock: Path) -> None:
    # pip installs alpha from its URL, lockctl resolves it from the same URL in the input:
    # alpha is no "missing" row, beta (alpha's) is not orphaned, and --write changes nothing.
    text = lock.read_text()
    report = reconcile_report("--write")
    rows = {row.name: (row.kind, str(row.lock), str(row.pip)) for row in report.rows}
    assert rows == {
        "alpha": ("ok", "1.0", "1.0"),
        "beta": ("ok", "2.0", "2.0"),
        "tool": ("ok", "1.0", "1.0"),
    }
    assert report.moves == ()
    assert lock.read_text() == text


@pytest.mark.slow
def test_reconcile_finds_a_hand_edited_url(lock: Path, files: IndexServer) -> None:
    lock.write_text(lock.read_text().replace(ALPHA.filename, ALPHA_NEXT.filename))
    report = reconcile_report()
    kinds = {row.name: row.kind for row in report.rows}
    assert kinds == {"alpha": "hand-edited", "beta": "ok", "tool": "ok"}


def test_a_built_url_pin_is_checked_from_the_snapshot(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A directory (or git) has no file name to give a version: its requirements are the ones
    # compile kept, so after an input change it is still checked, and beta is still its.
    project = write_project(tmp_path / "delta", "delta", "3.0", ["beta<2"])
    Path("requirements.in").write_text(f"-i {index.simple_url}\ndelta @ {project.as_uri()}\n")
    assert main(["-q", "compile", "requirements.in", "--allow-build", *TARGET]) == 0
    assert check(capsys) == (0, "requirements.txt: in sync\n")
    Path("requirements.in").write_text(Path("requirements.in").read_text() + "tool\n")
    code, out = check(capsys, "--format", "json")
    [report] = json.loads(out)["locks"]
    assert code == 1
    assert [finding["kind"] for finding in report["findings"]] == ["file-changed", "unpinned"]
    assert report["findings"][1]["name"] == "tool"  # and neither not-checked nor orphaned
