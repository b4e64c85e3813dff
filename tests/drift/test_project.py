"""lockctl drift in a project: every lock of [tool.lockctl] (or one named), the project's
overrides and a lock's own override comments named as what blocks a newer release."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

PYPROJECT = """\
[tool.lockctl]
python-version = "3.11"
platform = "linux_x86_64"
index-url = "{index}"
overrides = [
    {{ requirement = "lib<1.5", reason = "1.5 changed its API" }},
]

[[tool.lockctl.lock]]
input = "requirements-core.in"

[[tool.lockctl.lock]]
input = "requirements-web.in"
"""


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib<2"]))
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("web", "1.0", requires_dist=["helper"]))
    index_server.add(make_wheel("helper", "1.0"))
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(index=index_server.simple_url))
    (tmp_path / "requirements-core.in").write_text("app\n")
    (tmp_path / "requirements-web.in").write_text("-r requirements-core.in\nweb\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile", "--override", "helper<2"]) == 0
    index_server.add(make_wheel("lib", "1.5"))
    index_server.add(make_wheel("lib", "2.0"))
    index_server.add(make_wheel("helper", "2.0"))
    return tmp_path


def drift(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["drift", "--format", "json", *argv])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return code, report


def kinds(lock: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["kind"], f["name"], f.get("latest", "")) for f in lock["findings"]]


def test_every_lock_of_the_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = drift(capsys)
    assert code == 1
    core, web = report["locks"]
    assert (core["lock"], web["lock"]) == ("requirements-core.txt", "requirements-web.txt")
    # The project's override replaces app's lib<2: it alone blocks lib 1.5 and 2.0.
    override = {
        "requirement": "lib<1.5",
        "kind": "override",
        "file": "pyproject.toml",
        "line": 6,
        "required_by": None,
    }
    assert kinds(core) == [("blocked", "lib", "2.0")]
    assert core["findings"][0]["blocked_by"] == [override]
    assert kinds(web) == [("blocked", "helper", "2.0"), ("blocked", "lib", "2.0")]
    assert web["findings"][1]["blocked_by"] == [override]
    # helper<2 was given on the command line: the lock's own comment says where it is.
    lines = (project / "requirements-web.txt").read_text().splitlines()
    (helper_line,) = [n for n, text in enumerate(lines, start=1) if text.startswith("helper==")]
    assert web["findings"][0]["blocked_by"] == [
        {
            "requirement": "helper<2",
            "kind": "override",
            "file": "requirements-web.txt",
            "line": helper_line,
            "required_by": None,
        }
    ]
    # The dry run honours both overrides: nothing would move.
    assert core["recompile"]["moves"] == web["recompile"]["moves"] == []


def test_one_lock_of_the_project(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, report = drift(capsys, "requirements-web.txt")
    assert code == 1
    (web,) = report["locks"]
    assert web["lock"] == "requirements-web.txt"
    assert kinds(web) == [("blocked", "helper", "2.0"), ("blocked", "lib", "2.0")]


def test_the_table_words_each_blocker(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert main(["drift", "requirements-core.txt"]) == 1
    out = capsys.readouterr().out
    assert (
        "  lib      1.0     blocked  2.0, blocked by override lib<1.5 (pyproject.toml line 6)\n"
        in out
    )


def test_a_lock_that_does_not_exist_is_bad_input(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements-core.txt").unlink()
    capsys.readouterr()
    assert main(["drift"]) == 2
    err = capsys.readouterr().err
    assert "the lock" in err and "requirements-core.txt does not exist" in err
    assert "hint: compile it first: lockctl compile" in err
