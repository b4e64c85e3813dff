"""--exclude-newer: a cool-down read from PEP 700 upload times, for drift and for compile."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from lockctl.errors import UsageError
from lockctl.ops.cooldown import format_instant, parse_cutoff, parse_instant
from tests.drift.conftest import TARGET
from tests.support.dists import make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def days_ago(days: int) -> str:
    """An upload time as the index writes it (PEP 700: ISO 8601, UTC, with a fraction)."""
    moment = datetime.now(timezone.utc) - timedelta(days=days)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def publish(index: IndexServer, version: str, days: int | None) -> None:
    upload = None if days is None else days_ago(days)
    index.add(make_wheel("lib", version), upload_time=upload)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def compile_then_publish(project: Path, index: IndexServer) -> None:
    """lib 1.0 (100 days old) is locked; then 1.1 (30 days old) and 1.2 (1 day old) appear."""
    publish(index, "1.0", 100)
    (project / "requirements.in").write_text(f"-i {index.simple_url}\nlib\n")
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 0
    publish(index, "1.1", 30)
    publish(index, "1.2", 1)


def drift_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--format", "json", *argv]) == 1
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def test_releases_younger_than_the_cool_down_are_ignored(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    compile_then_publish(project, index_server)
    week = (datetime.now(timezone.utc) - timedelta(days=7)).strftime("%Y-%m-%d")
    for cool_down in ("7d", "1w", "168h", week):
        report = drift_json(capsys, "--exclude-newer", cool_down)
        (lock,) = report["locks"]
        assert [(f["kind"], f["latest"]) for f in lock["findings"]] == [("outdated", "1.1")]
        assert lock["recompile"]["moves"] == [{"name": "lib", "from": "1.0", "to": "1.1"}]
        assert lock["exclude_newer_not_applied"] == []
        assert isinstance(report["exclude_newer"], str) and report["exclude_newer"].endswith("Z")
    (lock,) = drift_json(capsys)["locks"]
    assert [(f["kind"], f["latest"]) for f in lock["findings"]] == [("outdated", "1.2")]


def test_an_index_without_upload_times_says_the_filter_was_not_applied(
    project: Path, make_index: IndexFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    html_only = make_index(formats={"html"})  # PEP 503 pages carry no upload times
    compile_then_publish(project, html_only)
    report = drift_json(capsys, "--exclude-newer", "7d")
    (lock,) = report["locks"]
    assert [(f["kind"], f["latest"]) for f in lock["findings"]] == [("outdated", "1.2")]
    assert lock["exclude_newer_not_applied"] == ["lib"]
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--exclude-newer", "7d", "--format", "markdown"]) == 1
    out = capsys.readouterr().out
    assert "no upload times for `lib` in `requirements.txt`: not filtered" in out
    assert main(["drift", "requirements.txt", "--exclude-newer", "7d"]) == 1
    out = capsys.readouterr().out
    assert "  --exclude-newer not applied (the index gives no upload times): lib\n" in out


def test_compile_takes_the_same_cool_down(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    compile_then_publish(project, index_server)
    capsys.readouterr()
    argv = ["compile", "requirements.in", *TARGET, "--upgrade", "--dry-run", "-q"]
    assert main([*argv, "--exclude-newer", "7d"]) == 0
    assert "\nlib==1.1\n" in capsys.readouterr().out
    assert main(argv) == 0
    assert "\nlib==1.2\n" in capsys.readouterr().out


def test_a_release_with_no_file_old_enough_is_explained(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    publish(index_server, "1.2", 1)
    (project / "requirements.in").write_text(f"-i {index_server.simple_url}\nlib==1.2\n")
    assert main(["compile", "requirements.in", *TARGET, "--exclude-newer", "7d"]) == 1
    err = capsys.readouterr().err
    assert "lib 1.2: uploaded after " in err and "(--exclude-newer)" in err


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", NOW - timedelta(days=7)),
        ("12h", NOW - timedelta(hours=12)),
        ("1w2d", NOW - timedelta(days=9)),
        ("90m", NOW - timedelta(minutes=90)),
        ("30 s", NOW - timedelta(seconds=30)),
        ("2026-11-01", datetime(2026, 11, 1, tzinfo=timezone.utc)),
        ("2026-11-01T12:30:00Z", datetime(2026, 11, 1, 12, 30, tzinfo=timezone.utc)),
        ("2026-11-01T12:30:00.25+02:00", datetime(2026, 11, 1, 10, 30, 0, 250000, timezone.utc)),
    ],
)
def test_dates_timestamps_and_durations(text: str, expected: datetime) -> None:
    assert parse_cutoff(text, now=NOW) == expected


@pytest.mark.parametrize(
    "text", ["", "7", "d7", "7 parsecs", "yesterday", "2026-13-01", "2026-11-01T12:30:00", "-7d"]
)
def test_what_is_not_a_cut_off(text: str) -> None:
    with pytest.raises(UsageError, match="neither a duration, a date nor an RFC 3339"):
        parse_cutoff(text, now=NOW)


def test_upload_times_as_indexes_write_them() -> None:
    assert parse_instant("2023-05-22T15:12:44.175270Z") == datetime(
        2023, 5, 22, 15, 12, 44, 175270, timezone.utc
    )
    assert parse_instant("2023-05-22T15:12:44.1752701234Z", local_ok=True) is not None
    assert parse_instant("2023-05-22T15:12:44", local_ok=True) == datetime(
        2023, 5, 22, 15, 12, 44, tzinfo=timezone.utc
    )
    assert parse_instant("not a time", local_ok=True) is None
    assert format_instant(datetime(2026, 11, 1, 1, 2, 3, 4, timezone.utc)) == "2026-11-01T01:02:03Z"


def test_a_duration_that_does_not_parse_is_exit_2_before_the_index_is_asked(
    project: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    compile_then_publish(project, index_server)
    asked = index_server.count()
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--exclude-newer", "7 parsecs"]) == 2
    err = capsys.readouterr().err
    assert "error: --exclude-newer '7 parsecs' is neither a duration" in err
    assert "hint: for example --exclude-newer 7d" in err
    assert main(["compile", "requirements.in", *TARGET, "--exclude-newer", "soon"]) == 2
    assert index_server.count() == asked
