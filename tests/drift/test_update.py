"""lockctl drift --update: refreshed locks written by compile's own code, all or nothing; and
a lock whose inputs no longer resolve."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.drift.conftest import TARGET
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


def test_update_writes_what_compile_upgrade_writes(
    moved_on: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, expected, _ = run(
        capsys, "compile", "requirements.in", *TARGET, "--upgrade", "--dry-run", "-q"
    )
    assert code == 0
    code, out, err = run(capsys, "drift", "requirements.txt", "--update", "--format", "json")
    assert code == 1  # what was found: the lock as it was had drifted
    report = json.loads(out)
    (lock,) = report["locks"]
    assert report["updated"] is True and lock["recompile"]["written"] is True
    assert [(m["name"], m["from"], m["to"]) for m in lock["recompile"]["moves"]] == [
        ("dropped", "1.0", "1.1"),
        ("lib", "1.0", "1.5"),
        ("old", "1.0", "0.9"),
        ("vuln", "1.0", "1.1"),
    ]
    assert "updated requirements.txt" in err
    # The same lock, byte for byte, but the header's command: the one that wrote it before.
    assert moved_on.read_text() == expected.replace(" --upgrade --dry-run -q\n", "\n", 1)
    assert run(capsys, "check", "requirements.txt")[0] == 0
    # What is left is what the inputs block: nothing a scheduler must fix at once.
    code, out, _ = run(capsys, "drift", "requirements.txt", "--format", "json")
    assert code == 1
    assert [(f["kind"], f["name"]) for f in json.loads(out)["locks"][0]["findings"]] == [
        ("blocked", "lib"),
        ("blocked", "tool"),
    ]
    assert run(capsys, "drift", "requirements.txt", "--fail-on", "yanked,gone,vulnerable")[0] == 0


def test_update_with_nothing_to_change_writes_nothing(
    stale_lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = stale_lock.stat().st_mtime_ns
    code, _, err = run(capsys, "drift", "requirements.txt", "--update")
    assert code == 0
    assert "nothing to update" in err
    assert stale_lock.stat().st_mtime_ns == before


@pytest.fixture
def two_locks(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project of two independent locks: a.in (lib) and b.in (solo, whose only release will
    be removed)."""
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("solo", "1.0"))
    (tmp_path / "pyproject.toml").write_text(
        "[tool.lockctl]\n"
        'python-version = "3.11"\n'
        'platform = "linux_x86_64"\n'
        f'index-url = "{index_server.simple_url}"\n'
        '[[tool.lockctl.lock]]\ninput = "a.in"\n'
        '[[tool.lockctl.lock]]\ninput = "b.in"\n'
    )
    (tmp_path / "a.in").write_text("lib\n")
    (tmp_path / "b.in").write_text("solo\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile"]) == 0
    index_server.add(make_wheel("lib", "1.5"))
    index_server.remove("solo-1.0-py3-none-any.whl")
    index_server.add(make_wheel("solo", "2.0", requires_python=">=3.13"))
    return tmp_path


def test_update_is_all_or_nothing(two_locks: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = {name: (two_locks / name).read_text() for name in ("a.txt", "b.txt")}
    code, out, err = run(capsys, "drift", "--update", "--format", "json")
    assert code == 1
    report = json.loads(out)
    a, b = report["locks"]
    assert (a["lock"], b["lock"]) == ("a.txt", "b.txt")
    assert [f["kind"] for f in a["findings"]] == ["outdated"]
    assert [(f["kind"], f.get("name"), f.get("reason")) for f in b["findings"]] == [
        ("unresolvable", None, None),
        ("gone", "solo", "version-not-listed"),
    ]
    assert b["recompile"]["status"] == "unresolvable"
    assert a["recompile"] == {
        "status": "unknown",
        "moves": [],
        "written": False,
        "error": "another lock of its project does not resolve",
    }
    assert report["updated"] is False
    assert "nothing written: not every lock could be compiled again" in err
    assert {name: (two_locks / name).read_text() for name in before} == before


def test_an_unresolvable_lock_is_explained(
    two_locks: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "drift", "b.txt", "--format", "json", "--fail-on", "unresolvable")
    assert code == 1
    (lock,) = json.loads(out)["locks"]
    conflict = lock["findings"][0]["conflict"]
    assert conflict["message"] == "no versions satisfy every requirement"
    assert conflict["causes"] == [
        {
            "requirement": "solo",
            "parent": None,
            "where": {"file": str(two_locks / "b.in"), "line": 1},
        }
    ]
    assert any("requires Python >=3.13" in reason for reason in conflict["unavailable"])
    code, out, _ = run(capsys, "drift", "b.txt", "--format", "markdown")
    assert code == 1
    assert (
        "### Unresolvable (1)\n\n`b.txt`: a fresh `lockctl compile --upgrade` does not resolve."
        in out
    )
    assert "```\nerror: no versions satisfy every requirement\n" in out
    code, out, _ = run(capsys, "drift", "b.txt")
    assert "  compile --upgrade: does not resolve\n    error: no versions satisfy" in out
