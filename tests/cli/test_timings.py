"""compile -v's line of figures and --timings' Chrome trace, on a real loopback index."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    # app 3.0 and 2.0 need lib>=2, which the input caps: the resolver rejects two releases.
    index_server.add(make_wheel("app", "3.0", requires_dist=["lib>=2"]))
    index_server.add(make_wheel("app", "2.0", requires_dist=["lib>=2"]))
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib<2"]))
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("lib", "2.0"))
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\napp\nlib<2\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def compile_(*argv: str) -> int:
    return main(["compile", "requirements.in", "--python-version", "3.11", *argv])


def figures(text: str) -> dict[str, float]:
    line = next(line for line in text.splitlines() if line.startswith("figures: "))
    found = re.fullmatch(
        r"figures: (?P<seconds>[\d.]+) s; (?P<pages>\d+) pages \((?P<pages_cached>\d+) cached\); "
        r"(?P<metadata>\d+) metadata \((?P<metadata_cached>\d+) cached\); "
        r"(?P<requests>\d+) requests, (?P<mb>[\d.]+) MB; "
        r"waited (?P<waits>\d+) times, (?P<wait_s>[\d.]+) s, (?P<serial>\d+) serial; "
        r"(?P<rounds>\d+) resolver rounds, (?P<rejected>\d+) candidates rejected, "
        r"(?P<backtracks>\d+) backtracks",
        line,
    )
    assert found is not None, line
    return {name: float(value) for name, value in found.groupdict().items()}


def test_verbose_ends_with_the_figures_of_the_run(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert compile_("-v") == 0
    cold = figures(capsys.readouterr().err)
    assert cold["pages"] == 2 and cold["pages_cached"] == 0
    # app 3.0, 2.0 and 1.0 were read (two rejected for lib>=2), and lib 1.0.
    assert cold["metadata"] >= 4 and cold["metadata_cached"] == 0
    assert cold["rejected"] == 2
    assert cold["requests"] >= cold["pages"] + cold["metadata"]
    assert cold["rounds"] >= 2

    assert compile_("-v") == 0  # again: everything comes from the cache
    warm = figures(capsys.readouterr().err)
    assert warm["pages"] == warm["pages_cached"] == 2  # (pages and metadata: total, then cached)
    assert warm["metadata"] == warm["metadata_cached"] == 2  # the lock's pins come first
    assert warm["requests"] == 0 and warm["waits"] == 0 and warm["rejected"] == 0


def test_quiet_runs_print_no_figures(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert compile_() == 0
    assert "figures:" not in capsys.readouterr().err


def test_timings_writes_a_chrome_trace_of_requests_loads_and_the_resolve(project: Path) -> None:
    assert compile_("-q", "--timings", "trace.json") == 0
    trace = json.loads((project / "trace.json").read_text())
    events = trace["traceEvents"]
    spans = [event for event in events if event["ph"] == "X"]
    categories = {event["cat"] for event in spans}
    assert {"http", "index", "resolver"} <= categories
    names = {event["name"] for event in spans}
    assert "resolve" in names and "page app" in names
    assert any(name.startswith("metadata app-1.0-") for name in names)
    for event in spans:  # the Trace Event Format's complete events, in microseconds
        assert event["dur"] >= 0 and event["ts"] >= 0 and isinstance(event["tid"], int)
    http = [event for event in spans if event["cat"] == "http"]
    assert all(event["args"]["status"] in (200, 206) for event in http)
    threads = [event for event in events if event["name"] == "thread_name"]
    assert threads[0]["args"]["name"] == "main"
    assert trace["otherData"]["figures"]["rejected"] == 2


def test_timings_are_written_for_a_failed_compile_too(project: Path) -> None:
    (project / "requirements.in").write_text((project / "requirements.in").read_text() + "lib>=2\n")
    assert compile_("-q", "--timings", "trace.json") == 1
    trace = json.loads((project / "trace.json").read_text())
    assert any(event.get("name") == "resolve" for event in trace["traceEvents"])
