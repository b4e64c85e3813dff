"""An index that fails for some projects: their rows say so, the rest is still reported;
exit 3 only when nothing could be checked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.faults import Status
from tests.support.indexserver import IndexServer


def test_projects_the_index_fails_for_are_unknown_and_the_rest_is_reported(
    moved_on: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.inject("/simple/tool/", Status(503), times=None)
    capsys.readouterr()
    code = main(["drift", "requirements.txt", "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert code == 1  # the drift that could be seen
    (lock,) = report["locks"]
    (unknown,) = lock["unknown"]
    assert (unknown["name"], unknown["version"]) == ("tool", "1.0")
    assert unknown["error"] == "HTTP 503 after 4 attempts"
    assert unknown["url"] == index_server.project_url("tool")
    assert {f["name"] for f in lock["findings"]} == {"vuln", "old", "dropped", "lib"}
    assert "tool" not in {f["name"] for f in lock["findings"]}
    assert lock["recompile"]["status"] == "unknown"
    assert report["counts"]["unknown"] == 1
    assert main(["drift", "requirements.txt"]) == 1
    out = capsys.readouterr().out
    assert "  tool     1.0     unknown (index error: HTTP 503 after 4 attempts)\n" in out
    assert "  compile --upgrade: unknown (HTTP 503 after 4 attempts)\n" in out
    assert out.endswith("; 1 pin not checked\n")
    assert main(["drift", "requirements.txt", "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert (
        "### Not checked (1)\n\n| lock | package | pinned | why |\n|---|---|---|---|\n"
        "| `requirements.txt` | `tool` | 1.0 | unknown (index error: HTTP 503 after 4 attempts) |\n"
    ) in out
    assert "- `requirements.txt`: not compiled again (HTTP 503 after 4 attempts)" in out


def test_unknown_pins_alone_are_no_drift(
    stale_lock: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.inject("/simple/tool/", Status(503), times=None)
    assert main(["drift", "requirements.txt"]) == 0
    assert "; 1 pin not checked\n" in capsys.readouterr().out


def test_nothing_checked_is_exit_3(
    moved_on: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.inject("/simple/*", Status(503), times=None)
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--format", "json"]) == 3
    report = json.loads(capsys.readouterr().out)
    (lock,) = report["locks"]
    assert len(lock["unknown"]) == lock["pins"] == 6
    assert lock["findings"] == [] and lock["recompile"]["status"] == "unknown"
