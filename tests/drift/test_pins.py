"""One pin at a time: each way a release can be gone, a fix the inputs block, what does not
count as newer (pre-releases, yanked releases), a -c constraint as the blocker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from tests.drift.conftest import TARGET, osv, write_json
from tests.support.dists import make_sdist, make_wheel
from tests.support.indexserver import IndexServer

Locker = Callable[..., Path]


@pytest.fixture
def lock(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Locker:
    """Compile ``requirements.in`` (the lines given, after an -i line) into a lock."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))

    def compile_lock(*lines: str, options: tuple[str, ...] = ()) -> Path:
        text = "".join(f"{line}\n" for line in lines)
        (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\n{text}")
        assert main(["-q", "compile", "requirements.in", *TARGET, *options]) == 0
        return tmp_path / "requirements.txt"

    return compile_lock


def drift(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    main(["drift", "requirements.txt", "--format", "json", *argv])
    (found,) = json.loads(capsys.readouterr().out)["locks"]
    result: dict[str, Any] = found
    return result


def facts(lock: dict[str, Any]) -> list[tuple[str, str | None, str | None]]:
    return [(f["kind"], f.get("name"), f.get("reason")) for f in lock["findings"]]


def test_a_project_the_index_no_longer_has(
    lock: Locker, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("other", "1.0"))
    lock("lib", "other")
    index_server.remove("other-1.0-py3-none-any.whl")
    found = drift(capsys)
    assert facts(found) == [
        ("unresolvable", "other", "project-not-found"),
        ("gone", "other", "project-not-found"),
    ]
    assert found["findings"][0] == {
        "kind": "unresolvable",
        "name": "other",
        "reason": "project-not-found",
        "requirement": "other",
        "required_by": "requirements.in line 3",
    }
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--fail-on", "unresolvable"]) == 1
    assert (
        "  compile --upgrade: does not resolve\n"
        "    error: other is on no index any more: other (required by requirements.in line 3)\n"
    ) in capsys.readouterr().out


def test_a_release_without_a_file_for_the_target(
    lock: Locker, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("native", "1.0"))
    lock("native")
    index_server.remove("native-1.0-py3-none-any.whl")
    index_server.add(make_wheel("native", "1.0", tag="cp312-cp312-manylinux_2_17_x86_64"))
    found = drift(capsys)
    unresolvable, gone = found["findings"]
    assert unresolvable["kind"] == "unresolvable"  # its only version has no file for 3.11
    assert (gone["kind"], gone["reason"], gone["detail"]) == (
        "gone",
        "no-file-for-target",
        "no wheel fits Python 3.11 on linux_x86_64; its wheels: cp312-cp312-manylinux_2_17_x86_64",
    )
    capsys.readouterr()
    main(["drift", "requirements.txt"])
    assert (
        "  native   1.0     gone     no file for the target any more "
        "(no wheel fits Python 3.11 on linux_x86_64; its wheels: "
        "cp312-cp312-manylinux_2_17_x86_64)\n"
    ) in capsys.readouterr().out


def test_hashed_files_that_are_gone(
    lock: Locker, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("lib", "1.0"))
    lock("lib", options=("--generate-hashes",))
    index_server.remove("lib-1.0-py3-none-any.whl")
    index_server.add(make_sdist("lib", "1.0"))  # the same version, another file
    assert facts(drift(capsys)) == [("gone", "lib", "locked-files-not-listed")]


def test_a_fix_the_inputs_block(
    lock: Locker, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("vuln", "1.0"))
    lock("vuln<1.1")
    index_server.add(make_wheel("vuln", "1.1"))
    index_server.add(make_wheel("vuln", "1.2"))
    advisory = write_json(tmp_path / "osv.json", osv("PYSEC-1", "vuln", fixed="1.1"))
    (vulnerable, blocked) = drift(capsys, "--advisories", str(advisory))["findings"]
    blocker = {
        "requirement": "vuln<1.1",
        "kind": "requirement",
        "file": "requirements.in",
        "line": 2,
        "required_by": None,
    }
    assert (vulnerable["kind"], vulnerable["fixed"], vulnerable["fixed_allowed"]) == (
        "vulnerable",
        ["1.1"],
        None,
    )
    assert vulnerable["blocked_by"] == [blocker]
    assert (blocked["kind"], blocked["latest"], blocked["blocked_by"]) == (
        "blocked",
        "1.2",
        [blocker],
    )
    capsys.readouterr()
    main(["drift", "requirements.txt", "--advisories", str(advisory)])
    assert (
        "PYSEC-1: fixed in 1.1; no fixed release the inputs allow "
        "(blocked by vuln<1.1 (requirements.in line 2))"
    ) in capsys.readouterr().out


def test_pre_releases_and_yanked_releases_are_not_newer(
    lock: Locker, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("lib", "1.0"))
    lock("lib")
    index_server.add(make_wheel("lib", "2.0rc1"))
    index_server.add(make_wheel("lib", "1.1"), yanked="do not use")
    found = drift(capsys)
    assert found["findings"] == []
    assert found["recompile"]["moves"] == []


def test_a_constraint_file_blocks(
    lock: Locker, index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("lib", "1.0"))
    (tmp_path / "constraints.txt").write_text("# the platform team's caps\nlib<2\n")
    lock("-c constraints.txt", "lib")
    index_server.add(make_wheel("lib", "2.0"))
    (blocked,) = drift(capsys)["findings"]
    assert blocked["blocked_by"] == [
        {
            "requirement": "lib<2",
            "kind": "constraint",
            "file": "constraints.txt",
            "line": 2,
            "required_by": None,
        }
    ]
