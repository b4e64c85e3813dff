"""A project no index has, through the real command line: close names within a bound, a
wrong index URL said as such, and a host name that does not resolve named in one sentence."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.faults import Drip
from tests.support.indexserver import IndexServer


@pytest.fixture
def work(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    index_server.add(make_wheel("app", "1.0"))
    index_server.add(make_wheel("requests", "1.0"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def compile_(capsys: pytest.CaptureFixture[str], requirements: str, *argv: str) -> tuple[int, str]:
    Path("requirements.in").write_text(requirements)
    code = main(
        [
            "compile",
            "requirements.in",
            "--python-version",
            "3.11",
            "--platform",
            "linux_x86_64",
            *argv,
        ]
    )
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def test_a_swapped_letter_is_suggested_without_the_list_of_every_project(
    work: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = compile_(capsys, f"-i {index_server.simple_url}\napp\nreqeusts\n")
    assert code == 2
    assert "error: reqeusts was not found on" in err and "hint: did you mean requests?" in err
    assert index_server.count("/simple/") == 0
    assert "list of projects" not in err
    assert not (work / "requirements.txt").exists()


def test_the_list_is_read_with_progress_once_then_from_the_cache(
    work: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    requirements = f"-i {index_server.simple_url}\napp\nrequesxs\n"  # a mistyped letter
    code, err = compile_(capsys, requirements)
    assert code == 2 and "hint: did you mean requests?" in err
    assert f"fetching the list of projects of {index_server.simple_url}" in err
    assert "read 2 project names" in err
    assert index_server.count("/simple/") == 1
    code, err = compile_(capsys, requirements)
    assert code == 2 and "hint: did you mean requests?" in err
    assert "list of projects" not in err  # the cached list: nothing to wait for
    assert index_server.count("/simple/") == 1
    code, err = compile_(capsys, requirements.replace("requesxs", "requesys"), "-q")
    assert code == 2 and "did you mean requests?" in err and "list of projects" not in err


def test_a_slow_list_is_given_up_on_within_the_runs_time_and_said(
    work: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    for number in range(40):
        index_server.add(make_wheel(f"filler-{number}", "1.0"))
    index_server.inject("/simple/", Drip(0.05), times=None)  # minutes for the whole list
    start = time.monotonic()
    code, err = compile_(capsys, f"-i {index_server.simple_url}\napp\nrequesxs\n", "--timeout", "3")
    took = time.monotonic() - start
    assert code == 2 and "error: requesxs was not found on" in err
    assert "no close names were suggested" in err and "did not arrive within" in err
    assert took < 3 + 7  # the run's time and a generous margin: never the list's minutes
    assert not list(work.rglob("names/*/*.json"))


def test_an_index_url_whose_root_is_404_is_said_to_look_wrong(
    work: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = f"{index_server.url}/wrong/"
    code, err = compile_(capsys, "app\nrequests\n", "-i", wrong)
    assert code == 2
    assert err.startswith(f"error: the index URL {wrong} looks wrong: it does not have ")
    assert "root answered HTTP 404" in err and "hint: check the URL's path" in err
    assert "was not found" not in err and "did you mean" not in err
    assert index_server.count("/wrong/", method="HEAD") == 1


def test_a_host_name_that_does_not_resolve_is_named_in_one_sentence(
    work: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # RFC 6761: a name under .invalid never resolves; a fresh one is not in any cache either.
    host = f"lockctl-{uuid.uuid4().hex[:12]}.invalid"
    code, err = compile_(capsys, "app\n", "-i", f"https://{host}/simple/")
    assert code == 3
    assert err.splitlines()[0] == f"error: the host name {host} could not be resolved"
    for chain in ("MaxRetryError", "NameResolutionError", "Errno", "attempts"):
        assert chain not in err


def test_quiet_hides_the_progress_of_the_list_not_the_suggestion(
    work: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("requirements.in").write_text(f"-i {index_server.simple_url}\napp\nrequesxs\n")
    code = main(["-q", "compile", "requirements.in", "--python-version", "3.11"])
    err = capsys.readouterr().err
    assert code == 2 and "hint: did you mean requests?" in err
    assert index_server.count("/simple/") == 1 and "list of projects" not in err


def test_a_proxy_that_does_not_answer_is_named_not_chained(
    work: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # the discard port: nobody there
    host = f"lockctl-{uuid.uuid4().hex[:12]}.invalid"  # the proxy would resolve it, not us
    code, err = compile_(capsys, "app\n", "-i", f"https://{host}/simple/")
    assert code == 3
    assert err.splitlines()[0] == (
        "error: gave up after 4 attempts: the proxy http://127.0.0.1:9 did not answer "
        "(connection refused)"
    )
    assert "MaxRetryError" not in err and "NewConnectionError" not in err
