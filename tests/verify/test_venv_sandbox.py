"""``--sandbox venv``: the same report without an engine, from a throwaway virtual environment
of the running Python, on the loopback index (the probe runs for real here)."""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.faults import Hang
from tests.support.indexserver import IndexServer
from tests.verify.conftest import write_lock

pytestmark = pytest.mark.slow


def _leftover_venvs() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("lockctl-verify-*")}


def test_good_missing_and_unimportable_locks(
    tmp_path: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    good = write_lock(
        tmp_path / "good.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    missing = write_lock(tmp_path / "missing.txt", ("app==1.0", "-r requirements.in"))
    broken = write_lock(tmp_path / "broken.txt", ("broken==1.0", "-r requirements.in"))
    before = _leftover_venvs()
    capsys.readouterr()
    argv = ["verify", "--sandbox", "venv", "--jobs", "3", "--format", "json"]
    code = main([*argv, "-i", stack.simple_url, str(good), str(missing), str(broken)])
    reports = json.loads(capsys.readouterr().out)["locks"]
    locks = {Path(lock["lock"]).name: lock for lock in reports}
    assert code == 1
    assert list(locks) == ["good.txt", "missing.txt", "broken.txt"]  # the order given
    assert locks["good.txt"]["ok"] is True
    assert locks["good.txt"]["python"] == platform.python_version()
    assert locks["good.txt"]["installed"] == 2  # --without-pip: nothing but the lock
    assert [f["kind"] for f in locks["missing.txt"]["findings"]] == ["missing-dependency"]
    assert locks["missing.txt"]["findings"][0]["dependency"] == "helper"
    assert locks["broken.txt"]["findings"][0]["error"] == "RuntimeError: broken on import"
    assert _leftover_venvs() == before


def test_a_lock_for_another_python_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    code = main(["verify", "--sandbox", "venv", "--python-version", "3.9", str(lock)])
    assert code == 2
    assert "is for Python 3.9; --sandbox venv would use this one" in capsys.readouterr().err


def test_a_lock_that_does_not_install_reports_the_failing_step(
    tmp_path: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = write_lock(tmp_path / "requirements.txt", ("app==9.9", "-r requirements.in"))
    capsys.readouterr()
    code = main(["-q", "verify", "--sandbox", "venv", "-i", stack.simple_url, str(lock)])
    out = capsys.readouterr().out
    assert code == 1
    assert "the build failed at step 2/2" in out
    assert "No matching distribution found for app==9.9" in out


def test_sigterm_while_venvs_install_in_parallel_stops_pip_and_removes_them(
    tmp_path: Path, stack: IndexServer
) -> None:
    """The workers' pips are killed at once (SIGTERM reaches lockctl alone, not its children)
    and both throwaway environments are removed."""
    write_lock(tmp_path / "one.txt", ("helper==1.0", "-r requirements.in"))
    write_lock(tmp_path / "two.txt", ("helper==2.0", "-r requirements.in"))
    stack.inject("/files/helper-*", Hang(seconds=120), times=2)
    before = _leftover_venvs()
    argv = ["verify", "--sandbox", "venv", "--jobs", "2", "-i", stack.simple_url]
    run = subprocess.Popen(
        [sys.executable, "-m", "lockctl", *argv, "one.txt", "two.txt"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PIP_CONFIG_FILE": os.devnull},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 60
    while stack.count("/files/helper-*") < 2 and time.monotonic() < end:
        time.sleep(0.1)
    if stack.count("/files/helper-*") < 2:
        run.kill()
        pytest.fail("the two installs never waited for their wheels at the same time")
    started = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=30)
    assert run.returncode == 143, err
    assert time.monotonic() - started < 10
    assert _leftover_venvs() == before
