"""``verify --jobs 2`` in real containers: two locks at once, each in its own containers, both
reported in the order given, the exit code the worse of the two, the wheel both wrote back
into the shared wheelhouse whole; SIGTERM while both install
stops both, and nothing but the cache volume is left (containers and images counted before
and after). ``test_jobs`` proves against fakes that the locks really overlap.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from lockctl.verify.lockinstall import PIP_CACHE, index_key
from tests.support.faults import Hang
from tests.support.indexserver import IndexServer
from tests.verify.conftest import BASE_IMAGE, write_lock
from tests.verify.test_docker_reuse import _sha256

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.mark.usefixtures("nothing_left", "docker_env", "volumes")
def test_two_good_locks_are_verified_at_once_and_reported_in_order(
    tmp_path: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    second = write_lock(tmp_path / "b.txt", ("helper==2.0", "-r requirements.in"))
    first = write_lock(
        tmp_path / "z.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    capsys.readouterr()
    argv = ["verify", "--jobs", "2", "--base-image", BASE_IMAGE, "-i", stack.simple_url]
    code = main([*argv, str(first), str(second)])
    captured = capsys.readouterr()
    assert code == 0, captured
    headlines = [line for line in captured.out.splitlines() if not line.startswith(" ")]
    assert [Path(line.split(":")[0]).name for line in headlines] == ["z.txt", "b.txt"]
    assert all(": verified (lock alone" in line for line in headlines)
    progress = [line for line in captured.err.splitlines() if ": step 1/1: " in line]
    assert {Path(line.split(":")[0]).name for line in progress} == {"z.txt", "b.txt"}


@pytest.mark.usefixtures("nothing_left", "volumes")
def test_a_good_and_a_bad_lock_at_once_exit_1_and_both_are_reported(
    tmp_path: Path, stack: IndexServer, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_lock(tmp_path / "bad.txt", ("app==1.0", "-r requirements.in"))
    good = write_lock(
        tmp_path / "good.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    capsys.readouterr()
    argv = ["verify", "-j", "2", "--format", "json", "--base-image", BASE_IMAGE]
    code = main([*argv, "-i", stack.simple_url, str(bad), str(good)])
    document = json.loads(capsys.readouterr().out)
    assert code == 1
    assert document["ok"] is False
    assert [(Path(lock["lock"]).name, lock["ok"]) for lock in document["locks"]] == [
        ("bad.txt", False),
        ("good.txt", True),
    ]
    (finding,) = document["locks"][0]["findings"]
    assert (finding["kind"], finding["dependency"]) == ("missing-dependency", "helper")
    assert all(lock["leftovers"] == [] for lock in document["locks"])
    # Both installs downloaded app 1.0 and wrote it back at once: the wheelhouse has it whole.
    wheelhouse = f"/cache/wheels/{index_key(b'', (('PIP_INDEX_URL', stack.simple_url),))}"
    sums = engine.containers.run(
        BASE_IMAGE,
        ["sh", "-c", f"cd {wheelhouse} && sha256sum *.whl && ls -a"],
        volumes={PIP_CACHE.name: {"bind": "/cache", "mode": "rw"}},
        remove=True,
    ).decode()
    wheels = {"app-1.0-py3-none-any.whl", "helper-1.0-py3-none-any.whl"}
    for wheel in wheels:
        assert f"{_sha256(stack, wheel.split('-')[0], wheel)}  {wheel}" in sums
    listed = set(sums.split()) - {".", ".."}
    assert not [name for name in listed if name.startswith(".")], sums  # no run folder, no copy


@pytest.mark.usefixtures("nothing_left", "volumes")
def test_sigterm_while_two_locks_install_stops_both_and_leaves_only_the_cache(
    tmp_path: Path, stack: IndexServer
) -> None:
    write_lock(tmp_path / "one.txt", ("helper==1.0", "-r requirements.in"))
    write_lock(tmp_path / "two.txt", ("helper==2.0", "-r requirements.in"))
    stack.inject("/files/helper-*", Hang(seconds=120), times=2)
    argv = ["verify", "--jobs", "2", "--base-image", BASE_IMAGE, "-i", stack.simple_url]
    run = subprocess.Popen(
        [sys.executable, "-m", "lockctl", *argv, "one.txt", "two.txt"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 120
    while stack.count("/files/helper-*") < 2 and time.monotonic() < end:
        time.sleep(0.2)  # both pips, in their containers, are waiting for their wheels now
    if stack.count("/files/helper-*") < 2:
        run.kill()
        pytest.fail("the two installs never waited for their wheels at the same time")
    started = time.monotonic()
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=90)
    assert run.returncode == 143, err
    assert time.monotonic() - started < 60
    assert "Traceback" not in err
