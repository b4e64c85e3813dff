"""Interrupted runs: SIGINT, SIGTERM and SIGKILL leave the lock as it was, and the next run works.

Each run is the real command line in a child process against the loopback index; the index
holds the answer for one project back, so the signal arrives while the resolver waits.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.dists import make_wheel
from tests.support.faults import Hang
from tests.support.indexserver import IndexServer

OLD_LOCK = b"# an older lock\nlib==0.9\n"


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer) -> Path:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add(make_wheel("lib", "1.0"))
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\napp\n")
    (tmp_path / "requirements.txt").write_bytes(OLD_LOCK)
    return tmp_path


def _compile(project: Path, *extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "LOCKCTL_CACHE_DIR": str(project / "cache"), "PIP_CONFIG_FILE": os.devnull}
    argv = ["compile", "requirements.in", "--python-version", "3.11", "--platform", "linux_x86_64"]
    return subprocess.Popen(
        [sys.executable, "-m", "lockctl", *argv, *extra],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _wait_for_request(index_server: IndexServer, path: str, deadline: float = 20.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if any(record.path == path for record in index_server.requests):
            return
        time.sleep(0.02)
    raise AssertionError(f"the compile never asked for {path}")


def _litter(project: Path) -> list[str]:
    return sorted(p.name for p in project.iterdir() if p.name.endswith((".tmp", ".old")))


@pytest.mark.parametrize(
    ("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGKILL, -9)]
)
def test_a_signal_during_resolution_leaves_the_lock_and_the_next_run_works(
    project: Path, index_server: IndexServer, sig: signal.Signals, code: int
) -> None:
    index_server.inject("/simple/lib/", Hang(30))
    run = _compile(project)
    _wait_for_request(index_server, "/simple/lib/")
    run.send_signal(sig)
    _, err = run.communicate(timeout=20)
    assert run.returncode == code, err
    assert b"Traceback" not in err
    assert (project / "requirements.txt").read_bytes() == OLD_LOCK
    assert _litter(project) == []
    index_server.clear_faults()
    again = _compile(project)
    _, err = again.communicate(timeout=60)
    assert again.returncode == 0, err
    assert b"lib==1.0\n" in (project / "requirements.txt").read_bytes()


def test_a_kill_at_any_moment_leaves_a_whole_lock(project: Path) -> None:
    first = _compile(project)
    assert first.wait(timeout=60) == 0
    whole = {OLD_LOCK, (project / "requirements.txt").read_bytes()}
    second = _compile(project, "--no-header")  # a different text, so either one can be told
    assert second.wait(timeout=60) == 0
    whole.add((project / "requirements.txt").read_bytes())
    started = time.monotonic()
    timing = _compile(project)
    timing.wait(timeout=60)
    duration = time.monotonic() - started
    for step in range(12):  # kills spread over the whole run, writing included
        run = _compile(project, *(("--no-header",) if step % 2 else ()))
        time.sleep(duration * step / 11)
        run.kill()
        run.wait(timeout=20)
        assert (project / "requirements.txt").read_bytes() in whole, step
    final = _compile(project)
    assert final.wait(timeout=60) == 0
    assert (project / "requirements.txt").read_bytes() in whole
