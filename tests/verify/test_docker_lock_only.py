"""``lockctl verify LOCK`` in real containers: the lock alone, pip check, imports, overrides.

One run verifies several locks (one build each): a good lock, one that lacks a dependency,
one with a conflicting pin, one whose package fails to import. The engine is reached through
an explicit DOCKER_HOST, and nothing is left on it afterwards.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from tests.support.indexserver import IndexServer
from tests.verify.conftest import BASE_IMAGE, write_lock

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", "--format", "json", "--base-image", BASE_IMAGE, *argv])
    return code, json.loads(capsys.readouterr().out)


def _kinds(lock: dict[str, Any]) -> list[str]:
    return [finding["kind"] for finding in lock["findings"]]


@pytest.mark.usefixtures("nothing_left", "docker_env")
def test_good_missing_conflicting_and_unimportable_locks(
    tmp_path: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_lock(
        tmp_path / "good.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    missing = write_lock(tmp_path / "missing.txt", ("app==1.0", "-r requirements.in"))
    conflict = write_lock(
        tmp_path / "conflict.txt",
        ("app==1.0", "-r requirements.in"),
        ("helper==1.0", "app"),
        ("needy==1.0", "-r requirements.in"),
    )
    broken = write_lock(tmp_path / "broken.txt", ("broken==1.0", "-r requirements.in"))

    code, report = _verify(
        capsys, "-i", stack.simple_url, *map(str, (good, missing, conflict, broken))
    )

    assert code == 1
    by_lock = {Path(lock["lock"]).name: lock for lock in report["locks"]}
    assert by_lock["good.txt"]["ok"] is True
    assert by_lock["good.txt"]["findings"] == []
    assert by_lock["good.txt"]["imports_checked"] == 1  # app (a root); helper is not one
    assert by_lock["good.txt"]["where"].startswith("a container at unix://")
    assert "(DOCKER_HOST)" in by_lock["good.txt"]["where"]

    assert by_lock["missing.txt"]["ok"] is False
    assert by_lock["missing.txt"]["findings"] == [
        {
            "kind": "missing-dependency",
            "name": "app",
            "version": "1.0",
            "dependency": "helper",
            "line": "app 1.0 requires helper, which is not installed.",
        }
    ]

    assert _kinds(by_lock["conflict.txt"]) == ["conflict"]
    (finding,) = by_lock["conflict.txt"]["findings"]
    assert finding["line"] == "needy 1.0 has requirement helper>=2, but you have helper 1.0."

    assert _kinds(by_lock["broken.txt"]) == ["import-failed"]
    assert by_lock["broken.txt"]["findings"][0]["error"] == "RuntimeError: broken on import"


@pytest.mark.usefixtures("nothing_left")
def test_text_report_names_the_missing_package_and_who_requires_it(
    tmp_path: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "requirements.txt").write_text(
        f"--index-url {stack.simple_url}\n\napp==1.0\n    # via -r requirements.in\n"
    )
    capsys.readouterr()
    code = main(["-q", "verify", str(tmp_path / "requirements.txt"), "--base-image", BASE_IMAGE])
    out = capsys.readouterr().out
    assert code == 1
    assert "verification failed" in out
    assert "missing: helper is required by app 1.0 and is not installed" in out


@pytest.mark.usefixtures("nothing_left")
def test_an_override_pip_check_complains_about_is_reported_as_the_lock_says(
    tmp_path: Path,
    stack: IndexServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "requirements.in").write_text(f"-i {stack.simple_url}\nneedy\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    target = ["--python-version", "3.11", "--platform", "linux_x86_64"]
    assert main(["-q", "compile", "requirements.in", *target, "--override", "helper==1.0"]) == 0
    assert "# override: `helper==1.0`" in (tmp_path / "requirements.txt").read_text()

    code, report = _verify(capsys, "requirements.txt")

    (lock,) = report["locks"]
    assert code == 0, lock
    assert lock["ok"] is True
    (finding,) = lock["findings"]
    assert finding["kind"] == "overridden"
    assert finding["override"] == "helper==1.0"
    assert finding["requirement"] == "helper>=2"
