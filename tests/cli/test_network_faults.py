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
