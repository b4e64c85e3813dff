"""A failing network through the real command line: hung indexes, slow answers, odd caches."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.faults import Drip, Hang
from tests.support.indexserver import IndexServer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_a_hung_private_index_fails_the_run_at_its_timeout(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    index_server.inject("/simple/*", Hang(60.0), times=None)  # accepts, then never answers
    private = index_server.simple_url.replace("http://", "http://ci:token@")
    (tmp_path / "requirements.in").write_text(f"-i {private}\ninternal-tool\n")
    monkeypatch.chdir(tmp_path)
    start = time.monotonic()
    code, _, err = run(
        capsys,
        "compile",
        "requirements.in",
        "--python-version",
        "3.11",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--timeout",
        "2",
    )
    assert code == 3
    assert time.monotonic() - start < 6
    assert "the index did not answer within 2 s" in err
    assert "ci:****@127.0.0.1" in err and "token" not in err
    assert "hint:" in err and "--timeout" in err


def test_a_slow_answer_within_the_timeout_is_waited_for(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.add(make_wheel("six", "1.0"))
    index_server.inject("/simple/six/", Drip(0.0005), times=1)
    code, out, _ = run(
        capsys,
        "metadata",
        "six",
        "-i",
        index_server.simple_url,
        "--cache-dir",
        str(tmp_path),
        "--timeout",
        "30",
    )
    assert code == 0 and out.startswith("six 1.0")


# -- index values that cannot be misread ------------------------------------------------------


def test_an_empty_index_url_is_refused_not_replaced_by_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No server anywhere: had the default index been asked, this would be exit 3 (or worse, 0).
    argv = ("metadata", "internal-tool", "--cache-dir", str(tmp_path), "--timeout", "2")
    code, _, err = run(capsys, *argv, "--index-url", "")
    assert code == 2 and err.startswith("error: --index-url is empty\n")
    assert "default index" in err
    monkeypatch.setenv("PIP_INDEX_URL", "")  # PIP_INDEX_URL=$PRIVATE_INDEX, the variable unset
    code, _, err = run(capsys, *argv)
    assert code == 2 and err.startswith("error: PIP_INDEX_URL is empty\n")


def test_an_index_url_that_is_not_a_url_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("metadata", "six", "--cache-dir", str(tmp_path))
    code, _, err = run(capsys, *argv, "--index-url", "not-a-url")
    assert code == 2
    assert "error: --index-url 'not-a-url' is not an http(s) or file URL" in err
    code, _, err = run(capsys, *argv, "-i", "ftp://me:s3cret@127.0.0.1/simple")
    assert code == 2 and "'ftp://me:****@127.0.0.1/simple'" in err and "s3cret" not in err


def test_a_bad_index_line_in_a_requirements_file_points_at_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("six\n-i not-a-url\n")
    argv = ("compile", "requirements.in", "--python-version", "3.11", "--cache-dir", "cache")
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert err.splitlines()[:4] == [
        "error: --index-url 'not-a-url' is not an http(s) or file URL",
        "  --> requirements.in:2:4",
        "    -i not-a-url",
        "       ^^^^^^^^^",
    ]
    (tmp_path / "requirements.in").write_text("six\n--index-url=\n--extra-index-url nowhere\n")
    code, _, err = run(capsys, *argv)
    assert code == 2 and "2 problems" in err
    assert "--index-url is empty" in err and "requirements.in:2:1" in err
    assert "--extra-index-url 'nowhere'" in err and "requirements.in:3:19" in err
    assert not (tmp_path / "requirements.txt").exists()


def test_an_index_in_the_project_configuration_is_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.in").write_text("six\n")
    (tmp_path / "pyproject.toml").write_text('[tool.lockctl]\nindex-url = "not-a-url"\n')
    code, _, err = run(capsys, "compile", "requirements.in", "--python-version", "3.11")
    assert code == 2
    assert "index-url 'not-a-url' in [tool.lockctl] of pyproject.toml is not an http(s)" in err


# -- a cache that cannot be used only costs speed -------------------------------------------


@pytest.mark.parametrize("cache", ["cachefile", "cachefile/sub"])
def test_a_cache_dir_that_is_a_file_only_costs_speed(
    index_server: IndexServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    cache: str,
) -> None:
    index_server.add(make_wheel("six", "1.0"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cachefile").write_text("I am a file\n")
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\nsix\n")
    argv = ("compile", "requirements.in", "--python-version", "3.11", "--cache-dir", cache)
    code, _, _ = run(capsys, *argv)
    assert code == 0 and "six==1.0" in (tmp_path / "requirements.txt").read_text()
    assert (tmp_path / "cachefile").read_text() == "I am a file\n"
