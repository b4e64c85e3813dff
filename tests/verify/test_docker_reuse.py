"""Reuse between runs, in real containers: verifying a lock again after a one-pin change
downloads only the changed wheel (the loopback index's own log says what pip fetched), with
and without hashes; the one thing left on the engine is the documented, labelled volume
``lockctl-pip-cache``, also after a run killed mid-install; ``[tool.lockctl] base-image``
is the image the lock goes into.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from lockctl.verify.lockinstall import PIP_CACHE
from tests.support.faults import Hang
from tests.support.indexserver import IndexServer
from tests.verify.conftest import BASE_IMAGE, count, write_lock

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    capsys.readouterr()
    code = main(["verify", "--format", "json", *argv])
    return code, json.loads(capsys.readouterr().out)


def _wheels_fetched(index: IndexServer, since: int = 0) -> list[str]:
    return sorted(
        record.path.removeprefix("/files/")
        for record in index.requests[since:]
        if record.path.startswith("/files/") and record.method == "GET" and record.status == 200
    )


def _sha256(index: IndexServer, project: str, filename: str) -> str:
    """The hash the index publishes (PEP 691), as pip-compile --generate-hashes writes it."""
    request = urllib.request.Request(
        index.project_url(project), headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        page = json.load(response)
    (sha256,) = [f["hashes"]["sha256"] for f in page["files"] if f["filename"] == filename]
    return str(sha256)


@pytest.fixture
def project(tmp_path: Path, stack: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project whose pyproject names the base image (no --base-image, no Dockerfile)."""
    (tmp_path / "pyproject.toml").write_text(f'[tool.lockctl]\nbase-image = "{BASE_IMAGE}"\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.usefixtures("nothing_left", "docker_env", "volumes")
def test_a_second_verify_downloads_only_the_changed_pin(
    project: Path, stack: IndexServer, engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    lock = write_lock(
        project / "requirements.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    code, report = _verify(capsys, "-i", stack.simple_url, str(lock))
    assert code == 0, report
    assert report["locks"][0]["base_image"] == BASE_IMAGE  # from [tool.lockctl]
    assert _wheels_fetched(stack) == ["app-1.0-py3-none-any.whl", "helper-1.0-py3-none-any.whl"]

    mark = len(stack.requests)
    write_lock(lock, ("app==1.0", "-r requirements.in"), ("helper==2.0", "app"))
    code, report = _verify(capsys, "-i", stack.simple_url, str(lock))
    assert code == 0, report
    assert _wheels_fetched(stack, mark) == ["helper-2.0-py3-none-any.whl"]

    mark = len(stack.requests)  # hashes: pip checks the kept files, downloads none
    lock.write_text(
        "".join(
            f"{name}=={version} \\\n    --hash=sha256:{_sha256(stack, name, wheel)}\n"
            for name, version, wheel in (
                ("app", "1.0", "app-1.0-py3-none-any.whl"),
                ("helper", "2.0", "helper-2.0-py3-none-any.whl"),
            )
        )
    )
    code, report = _verify(capsys, "-i", stack.simple_url, str(lock))
    assert code == 0, report
    assert _wheels_fetched(stack, mark) == []

    volume = engine.volumes.get(PIP_CACHE.name)
    assert volume.attrs["Labels"] == dict(PIP_CACHE.labels)


@pytest.mark.usefixtures("nothing_left", "volumes")
def test_a_run_killed_mid_install_leaves_only_the_cache(
    project: Path, stack: IndexServer, engine: Any
) -> None:
    write_lock(project / "requirements.txt", ("helper==1.0", "-r requirements.in"))
    stack.inject("/files/helper-*", Hang(seconds=120))
    run = subprocess.Popen(
        [sys.executable, "-m", "lockctl", "verify", "-i", stack.simple_url, "requirements.txt"],
        cwd=project,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    end = time.monotonic() + 120
    while not stack.count("/files/helper-*") and time.monotonic() < end:
        time.sleep(0.2)  # pip, in the container, is waiting for the wheel now
    assert stack.count("/files/helper-*"), "pip never asked for the wheel"
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 143, err
    assert "Traceback" not in err


@pytest.mark.usefixtures("nothing_left")
def test_clear_cache_removes_the_volume_and_verifies_nothing_else(
    engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    engine.volumes.create(PIP_CACHE.name, labels=dict(PIP_CACHE.labels))
    assert main(["verify", "--clear-cache"]) == 0
    assert f"removed the wheel cache (volume {PIP_CACHE.name}) at " in capsys.readouterr().out
    assert PIP_CACHE.name not in {volume.name for volume in engine.volumes.list()}
    assert main(["verify", "--clear-cache", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["cache"]["removed"] is False and document["locks"] == []


@pytest.mark.usefixtures("nothing_left", "volumes")
def test_a_timeout_mid_install_is_exit_3_and_leaves_only_the_cache(
    project: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lock(project / "requirements.txt", ("helper==1.0", "-r requirements.in"))
    stack.inject("/files/helper-*", Hang(seconds=120))
    argv = ["-q", "verify", "--timeout", "8", "-i", stack.simple_url, "requirements.txt"]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert f"the install into {BASE_IMAGE} ran past the time allowed (8s)" in err


@pytest.fixture
def entrypoint_image(engine: Any, tmp_path: Path) -> Iterator[str]:
    """A base image whose ENTRYPOINT fails: a Dockerfile's RUN would not go through it."""
    before = count(engine)
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "Dockerfile").write_text(
        f'FROM {BASE_IMAGE}\nENTRYPOINT ["sh", "-c", "exit 7"]\nCMD ["python3"]\n'
    )
    image, _ = engine.images.build(
        path=str(tmp_path / "base"), tag="lockctl-test-entrypoint:1", rm=True, forcerm=True
    )
    yield "lockctl-test-entrypoint:1"
    engine.images.remove(image.id, force=True)
    assert count(engine) == before, "the test's own base image left something behind"


@pytest.mark.usefixtures("docker_env", "volumes")
def test_the_layer_keeps_the_base_images_entrypoint_and_command(
    entrypoint_image: str, stack: IndexServer, tmp_path: Path, engine: Any
) -> None:
    before = count(engine)
    lock = write_lock(tmp_path / "requirements.txt", ("helper==1.0", "-r requirements.in"))
    argv = ["verify", "--keep", "--base-image", entrypoint_image, "-i", stack.simple_url]
    assert main([*argv, str(lock)]) == 0
    (kept,) = [image for image in engine.images.list("lockctl-verify") if image.tags]
    try:
        config = kept.attrs["Config"]
        assert (config["Entrypoint"], config["Cmd"]) == (["sh", "-c", "exit 7"], ["python3"])
        assert kept.labels["lockctl.run"]
        base_layers = engine.images.get(entrypoint_image).attrs["RootFS"]["Layers"]
        assert kept.attrs["RootFS"]["Layers"][:-1] == base_layers  # the base, and one layer
    finally:
        engine.images.remove(kept.id, force=True)
    assert count(engine) == before


@pytest.mark.usefixtures("nothing_left", "docker_env", "volumes")
def test_a_url_pin_beside_index_pins_installs_through_the_wheelhouse(
    project: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = stack.file_url("helper-1.0-py3-none-any.whl")
    lock = project / "requirements.txt"
    lock.write_text(f"app==1.0\n    # via -r requirements.in\nhelper @ {url}\n    # via app\n")
    code, report = _verify(capsys, "-i", stack.simple_url, str(lock))
    assert code == 0, report
    assert report["locks"][0]["findings"] == []
