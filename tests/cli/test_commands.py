"""The read-only commands on real files and a real loopback index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer


def test_inputs_lists_requirements_with_their_origin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "core.in").write_text("# core\nrich==13.7.0\n")
    (tmp_path / "app.in").write_text("-r core.in\nmlflow==3.4.0\n")
    assert main(["inputs", str(tmp_path / "app.in")]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        f"rich==13.7.0  [{tmp_path / 'core.in'}:2]  <- -r {tmp_path / 'app.in'}:1",
        f"mlflow==3.4.0  [{tmp_path / 'app.in'}:2]",
    ]


def test_metadata_shows_the_newest_matching_release(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("demo", "1.0", requires_dist=["six"]))
    index_server.add(make_wheel("demo", "2.0", requires_dist=["six>=1.16", "rich; extra == 'x'"]))
    index_server.add(make_wheel("demo", "3.0rc1"))
    reqs = tmp_path / "req.in"
    reqs.write_text(f"-i {index_server.simple_url}\ndemo<3\n")
    code = main(["metadata", "-r", str(reqs), "--json", "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    (shown,) = json.loads(capsys.readouterr().out)
    assert shown["version"] == "2.0" and shown["file"] == "demo-2.0-py3-none-any.whl"
    assert shown["requires_dist"] == ["six>=1.16", 'rich; extra == "x"']


def test_metadata_text_hides_extra_requirements_unless_asked(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(
        make_wheel("demo", "1.0", requires_dist=["six", "rich; extra == 'x'"], provides_extra=["x"])
    )
    argv = ["metadata", "demo", "-i", index_server.simple_url, "--cache-dir", str(tmp_path)]
    assert main(argv) == 0
    plain = capsys.readouterr().out
    assert "requires: six" in plain and "rich" not in plain and "extras: x  (--extras" in plain
    assert main([*argv, "--extras"]) == 0
    assert 'requires: rich; extra == "x"' in capsys.readouterr().out


def test_metadata_for_a_missing_project_is_exit_1(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["metadata", "ghost", "-i", index_server.simple_url, "--cache-dir", str(tmp_path)])
    assert code == 1
    assert f"ghost: not available: ghost was not found on {index_server.simple_url}" in (
        capsys.readouterr().out
    )
