"""Nothing lost: outputs are checked before any work, written all or none, never over an input."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add(make_wheel("lib", "1.0"))
    (tmp_path / "base.in").write_text(f"-i {index_server.simple_url}\nlib\n")
    (tmp_path / "requirements.in").write_text("-r base.in\napp\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "cache" not in path.relative_to(root).parts
    }


@pytest.mark.parametrize(
    ("output", "message"),
    [
        ("requirements.in", "the output requirements.in is requirements.in, which this lock reads"),
        ("base.in", "the output base.in is "),
        ("missing/requirements.txt", "is in a directory that does not exist"),
        ("adir", "the output adir is a directory"),
    ],
)
def test_an_output_that_would_lose_something_is_refused_before_resolving(
    project: Path,
    index_server: IndexServer,
    capsys: pytest.CaptureFixture[str],
    output: str,
    message: str,
) -> None:
    (project / "adir").mkdir()
    before = _files(project)
    requests_before = len(index_server.requests)
    assert main(["compile", "requirements.in", "-o", output, *TARGET]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert _files(project) == before
    assert len(index_server.requests) == requests_before  # refused before asking the index


def test_json_and_lock_are_written_together_or_not_at_all(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "requirements.txt").write_text("old\n")
    code = main(["compile", "requirements.in", "--json", "gone/resolution.json", *TARGET])
    assert code == 2
    assert "gone/resolution.json is in a directory that does not exist" in capsys.readouterr().err
    assert (project / "requirements.txt").read_text() == "old\n"
    assert main(["-q", "compile", "requirements.in", "--json", "resolution.json", *TARGET]) == 0
    assert (project / "resolution.json").is_file()
    assert "app==1.0" in (project / "requirements.txt").read_text()


def test_a_project_with_one_unwritable_lock_writes_none(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n\n'
        '[[tool.lockctl.lock]]\ninput = "base.in"\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements.in"\noutput = "out/requirements.txt"\n'
    )
    (project / "base.txt").write_text("old\n")
    before = _files(project)
    assert main(["compile"]) == 2
    assert "out/requirements.txt is in a directory that does not exist" in capsys.readouterr().err
    assert _files(project) == before
    (project / "out").mkdir()
    assert main(["-q", "compile"]) == 0
    assert "lib==1.0" in (project / "base.txt").read_text()
    assert "app==1.0" in (project / "out" / "requirements.txt").read_text()
