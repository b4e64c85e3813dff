"""Throwaway means throwaway: SIGTERM, Ctrl-C and --timeout in the middle of a build leave no
container and no image behind; so does a base image that is not there (refused before any
build, exit 2)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.verify.conftest import BASE_IMAGE, write_lock

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def slow_project(tmp_path: Path) -> Path:
    write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN echo one > /one\nRUN echo waiting && sleep 120\n"
    )
    return tmp_path


def _start(project: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lockctl",
            "verify",
            "--dockerfile",
            "Dockerfile",
            "requirements.txt",
        ],
        cwd=project,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_step(run: subprocess.Popen[str], step: str) -> None:
    assert run.stderr is not None
    end = time.monotonic() + 120
    while time.monotonic() < end:
        line = run.stderr.readline()
        if step in line:
            time.sleep(1.0)  # the step's container is running now
            return
        if not line and run.poll() is not None:
            break
    run.kill()
    raise AssertionError(f"the build never reached {step!r}")


@pytest.mark.usefixtures("nothing_left")
@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_during_a_build_removes_everything(
    slow_project: Path, sig: signal.Signals, code: int
) -> None:
    run = _start(slow_project)
    _wait_for_step(run, "step 3/4")
    started = time.monotonic()
    run.send_signal(sig)
    _, err = run.communicate(timeout=60)
    assert run.returncode == code, err
    assert time.monotonic() - started < 30
    assert "Traceback" not in err


@pytest.mark.usefixtures("nothing_left")
def test_a_timeout_during_a_build_is_exit_3_and_removes_everything(
    slow_project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(slow_project)
    code = main(
        ["-q", "verify", "--dockerfile", "Dockerfile", "--timeout", "8", "requirements.txt"]
    )
    assert code == 3
    assert "the build ran past the time allowed (8s)" in capsys.readouterr().err


@pytest.mark.usefixtures("nothing_left")
def test_a_base_image_that_is_not_there_is_bad_input_and_no_registry_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    code = main(["verify", str(lock), "--base-image", "lockctl-no-such-image:1"])
    err = capsys.readouterr().err
    assert code == 2
    assert "the image lockctl-no-such-image:1 is not on the engine at" in err
    assert "lockctl asks no registry for it" in err and "scripts/docker-engine.sh" in err
