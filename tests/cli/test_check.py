"""lockctl check: in sync, inputs changed, edited by hand, inconsistent; offline; json; --fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add(make_wheel("app", "2.0", requires_dist=["lib>=2", "extra-dep"]))
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("lib", "2.0"))
    index_server.add(make_wheel("extra-dep", "1.0"))
    index_server.add(make_wheel("tool", "1.0"))
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\napp==1.0\ntool\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 0
    return tmp_path


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", *argv])
    return code, capsys.readouterr().out


def test_a_lock_just_compiled_is_in_sync(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check(capsys, "requirements.txt") == (0, "requirements.txt: in sync\n")


def test_the_lock_records_its_digest_line_in_the_header(project: Path) -> None:
    header = (project / "requirements.txt").read_text().split("\n\n", 1)[0]
    (line,) = [row for row in header.splitlines() if row.startswith("# lockctl: v1 ")]
    assert "target=3.11/linux_x86_64 " in line and "files=requirements.in:" in line


def test_comments_and_spacing_in_the_input_do_not_count(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project / "requirements.in").read_text()
    (project / "requirements.in").write_text(
        "# the service\n" + text.replace("tool", "tool   # cli")
    )
    assert check(capsys, "requirements.txt")[0] == 0


def test_inputs_changed_names_the_lines(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = (project / "requirements.in").read_text()
    (project / "requirements.in").write_text(text.replace("app==1.0\ntool\n", "app==2.0\nlib\n"))
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert "requirements.txt: inputs changed since the lock was compiled\n" in out
    assert "  requirements.in: + lib (line 3); app==1.0 -> app==2.0 (line 2); - tool\n" in out
    assert "  app==1.0 does not meet app==2.0 (requirements.in line 2)\n" in out
    assert "  tool==1.0 is pinned but nothing requires it\n" in out
    assert out.endswith(
        "run: lockctl compile requirements.in --python-version 3.11 --platform linux_x86_64\n"
    )


def test_without_the_cache_the_changed_file_is_still_named(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(project / "fresh-cache"))  # a CI runner
    text = (project / "requirements.in").read_text()
    (project / "requirements.in").write_text(text + "extra-dep\n")
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert "  requirements.in: + extra-dep (line 4)\n" in out
    assert "  extra-dep (requirements.in line 4) has no pin\n" in out


def test_a_hand_edited_pin_is_named_with_what_lockctl_wrote(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = project / "requirements.txt"
    lock.write_text(lock.read_text().replace("lib==2.0", "lib==1.0"))
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert (
        "requirements.txt: edited by hand since lockctl wrote it\n"
        "  lib: 1.0 in the lock, lockctl wrote 2.0\n" in out
    )
    assert "inputs changed" not in out
    assert "lockctl reconcile requirements.txt --write" in out


def test_an_inconsistent_hand_edit_is_found_from_the_cached_metadata(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = project / "requirements.txt"
    text = lock.read_text()
    (project / "requirements.in").write_text(
        (project / "requirements.in").read_text().replace("app==1.0", "app==2.0")
    )
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 0  # app 2.0's metadata cached
    # Back to the lock of app 1.0, then app bumped by hand and lib taken down by hand.
    lock.write_text(text.replace("app==1.0", "app==2.0").replace("lib==2.0", "lib==1.0"))
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert "  app: 2.0 in the lock, lockctl wrote 1.0\n" in out
    assert "  app==2.0 requires extra-dep, which has no pin\n" in out
    assert "  lib==1.0 does not meet lib>=2, required by app==2.0\n" in out
    # lib 1.0 was never resolved here, so what it requires is not known: said, not guessed.
    assert "not checked (no metadata in the cache; --online fetches it): lib\n" in out


def test_metadata_that_is_not_cached_is_not_checked_unless_online(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = project / "requirements.txt"
    lock.write_text(lock.read_text().replace("app==1.0", "app==2.0"))
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert "not checked (no metadata in the cache; --online fetches it): app\n" in out
    code, out = check(capsys, "requirements.txt", "--online")
    assert "  app==2.0 requires extra-dep, which has no pin\n" in out
    assert "not checked" not in out


def test_a_pip_tools_lock_without_digest_is_checked_in_itself(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("app==1.0\n    # via -r requirements.in\n")
    code, out = check(capsys, "requirements.txt")
    assert code == 1
    assert "no lockctl digest" in out
    assert "  tool (requirements.in line 3) has no pin\n" in out


def test_a_damaged_digest_line_is_bad_input(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = project / "requirements.txt"
    lock.write_text(lock.read_text().replace(" pins=", " pinz="))
    assert main(["check", "requirements.txt"]) == 2
    err = capsys.readouterr().err
    assert "the lockctl digest line was edited by hand or is damaged" in err
    assert "requirements.txt:7:1" in err


def test_json_report(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = project / "requirements.txt"
    lock.write_text(lock.read_text().replace("lib==2.0", "lib==1.0"))
    code, out = check(capsys, "requirements.txt", "--format", "json")
    report = json.loads(out)
    assert code == 1 and report["version"] == 1 and report["in_sync"] is False
    (entry,) = report["locks"]
    assert entry["states"] == ["hand-edited", "not-checked"]
    assert entry["findings"] == [
        {"kind": "pin-edited", "group": "hand-edited", "name": "lib", "was": "2.0", "now": "1.0"},
        {"kind": "not-checked", "group": "not-checked", "names": ["lib"]},
    ]


def test_fix_runs_the_compile_and_the_next_check_passes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (project / "requirements.in").read_text()
    (project / "requirements.in").write_text(text + "extra-dep\n")
    code, out = check(capsys, "requirements.txt", "--fix")
    assert code == 0
    assert "running: lockctl compile requirements.in" in out
    assert "extra-dep==1.0" in (project / "requirements.txt").read_text()
    assert check(capsys, "requirements.txt")[0] == 0


def test_a_project_checks_every_lock_and_its_target(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n'
    )
    assert main(["-q", "compile"]) == 0
    assert check(capsys) == (0, "requirements.txt: in sync\n")
    (project / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.12"\nplatform = "linux_x86_64"\n'
    )
    code, out = check(capsys)
    assert code == 1
    assert "  target: compiled for 3.11/linux_x86_64, now 3.12/linux_x86_64\n" in out
    assert out.endswith("run: lockctl compile\n")
