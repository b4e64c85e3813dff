"""Bad input and failing indexes through the real command line: message, exit code, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.faults import Garbage
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return code, captured.out, captured.err


def test_malformed_requirement_points_at_the_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "requirements.in"
    bad.write_text("pandas==2.1.1\nrich=13.7.0\n")
    code, _, err = run(capsys, "inputs", str(bad))
    assert code == 2
    assert f"{bad}:2:" in err
    assert "    rich=13.7.0\n" in err
    assert "^" in err.splitlines()[-1] or any(
        line.strip().startswith("^") for line in err.splitlines()
    )


def test_every_problem_is_reported_at_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "requirements.in"
    bad.write_text("foo==\nok==1\nbar baz\n-r missing.in\n")
    code, _, err = run(capsys, "inputs", str(bad))
    assert code == 2
    assert "3 problems" in err
    assert f"{bad}:1:" in err and f"{bad}:3:" in err and f"{bad}:4:" in err
    assert "missing.in" in err


def test_unknown_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "requirements.in"
    bad.write_text("--frobnicate\n")
    code, _, err = run(capsys, "inputs", str(bad))
    assert code == 2
    assert "unknown option --frobnicate" in err and f"{bad}:1:1" in err


def test_include_cycle(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.in").write_text("-r b.in\n")
    (tmp_path / "b.in").write_text("six\n-r a.in\n")
    code, _, err = run(capsys, "inputs", str(tmp_path / "a.in"))
    assert code == 2
    assert "cycle" in err and "b.in:2:" in err


def test_missing_and_unreadable_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "inputs", str(tmp_path / "nope.in"))
    assert code == 2 and "nope.in" in err
    unreadable = tmp_path / "dir.in"
    unreadable.mkdir()
    code, _, err = run(capsys, "inputs", str(unreadable))
    assert code == 2 and "dir.in" in err


def test_unreachable_index_is_exit_3_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with IndexServer() as server:
        dead = server.simple_url.replace("http://", "http://me:topsecret@")
    code, _, err = run(capsys, "metadata", "six", "--index-url", dead, "--cache-dir", str(tmp_path))
    assert code == 3
    assert "topsecret" not in err and "me:****@127.0.0.1" in err


def test_plain_http_to_a_remote_host_needs_trusted_host(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote = ["metadata", "six", "-i", "http://index.invalid/simple/", "--cache-dir", str(tmp_path)]
    code, _, err = run(capsys, *remote)
    assert code == 2
    assert "uses plain HTTP" in err and "--trusted-host index.invalid" in err
    code, _, err = run(capsys, *remote, "--trusted-host", "index.invalid")
    assert code == 3 and "index.invalid" in err  # now it is tried, and the name does not resolve


def test_an_answer_that_is_not_a_page_is_exit_3(
    index_server: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index_server.inject("/simple/*", Garbage(), times=None)
    code, _, err = run(
        capsys, "metadata", "six", "-i", index_server.simple_url, "--cache-dir", str(tmp_path)
    )
    assert code == 3 and "neither a PEP 691 JSON page nor a PEP 503 HTML page" in err


def test_hash_mismatch_is_exit_3(
    make_index: IndexFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.support.faults import WrongHash

    server = make_index(range_support=False)
    server.add(make_wheel("six", "1.0"))
    server.inject("/simple/six/", WrongHash(), times=None)
    code, _, err = run(
        capsys, "metadata", "six", "-i", server.simple_url, "--cache-dir", str(tmp_path)
    )
    assert code == 3
    assert "does not match" in err and "expected sha256:" in err


def test_invalid_requirement_argument_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "metadata", "six>>1", "-i", "http://127.0.0.1:9/simple/")
    assert code == 2 and "'six>>1' is not a valid requirement" in err


def test_debug_shows_the_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--debug", "inputs", str(tmp_path / "nope.in")])
    assert code == 2
    assert "Traceback" in capsys.readouterr().err


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lockctl", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and result.stdout.startswith("lockctl ")
