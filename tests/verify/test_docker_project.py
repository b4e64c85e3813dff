"""``lockctl verify --dockerfile``: the project's own image beside its lock, in real builds.

Dockerfile.test (the repository's) installs the lock, as an application's Dockerfile should;
a Dockerfile that installs other versions by name is the classic failure the command exists
for; a failing RUN step is reported with the step and its log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from tests.support.indexserver import IndexServer
from tests.verify.conftest import BASE_IMAGE, DOCKERFILE_TEST, write_lock

pytestmark = [pytest.mark.docker, pytest.mark.slow]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_lock(
        tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    return tmp_path


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["-q", "verify", *argv])
    return code, capsys.readouterr().out


@pytest.mark.usefixtures("nothing_left")
def test_the_repository_dockerfile_test_installs_the_lock(
    project: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _verify(
        capsys,
        "--format",
        "json",
        "--dockerfile",
        str(DOCKERFILE_TEST),
        "--context",
        str(project),
        "--build-arg",
        f"BASE_IMAGE={BASE_IMAGE}",
        "-i",
        stack.simple_url,
        str(project / "requirements.txt"),
    )
    (lock,) = json.loads(out)["locks"]
    assert code == 0, lock
    assert lock["mode"] == "project"
    assert lock["base_image"] == BASE_IMAGE  # the ARG in FROM, as the build argument set it
    assert lock["findings"] == []  # pip, setuptools and wheel of the base image are not drift
    assert lock["pins"] == 2


@pytest.mark.usefixtures("nothing_left")
def test_a_dockerfile_that_installs_other_versions_is_drift_with_its_install_lines(
    project: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = project / "Dockerfile.mlflow"
    dockerfile.write_text(
        f"FROM {BASE_IMAGE}\n"
        "ARG PIP_INDEX_URL\n"
        "# the lock is never read:\n"
        "RUN python -m pip install --no-cache-dir \\\n"
        "    app==1.0 helper==2.0 needy==1.0\n"
    )
    code, out = _verify(
        capsys,
        "--dockerfile",
        str(dockerfile),
        "-i",
        stack.simple_url,
        str(project / "requirements.txt"),
    )
    assert code == 1
    assert "the image does not install the lock:" in out
    table = [
        line.split() for line in out.splitlines() if line.startswith("    ") and "|" not in line
    ]
    assert ["helper", "1.0", "2.0", "different"] in table
    assert ["needy", "-", "1.0", "extra"] in table
    assert f"{dockerfile}:4: RUN python -m pip install --no-cache-dir \\" in out
    assert f"{dockerfile}:5: app==1.0 helper==2.0 needy==1.0" in out
    assert "setuptools" not in out and "wheel" not in out


@pytest.mark.usefixtures("nothing_left")
def test_a_failing_run_step_reports_the_step_and_its_log(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dockerfile = project / "Dockerfile"
    dockerfile.write_text(
        f"FROM {BASE_IMAGE}\n"
        "RUN echo first step\n"
        "RUN for i in $(seq 1 40); do echo line $i; done && \\\n"
        "    python -c \"raise SystemExit('the install went wrong')\"\n"
    )
    code, out = _verify(capsys, "--dockerfile", str(dockerfile), str(project / "requirements.txt"))
    assert code == 1
    assert f"the build failed at step 3/4 ({dockerfile} line 3): RUN for i in" in out
    assert "returned a non-zero code: 1" in out
    log = [line.removeprefix("    | ") for line in out.splitlines() if line.startswith("    | ")]
    assert len(log) == 30  # the last 30 lines of the failing step
    # read from the step's container, kept for it: the stream may miss the last line of a
    # container that exits at once (its stderr, here)
    assert log[-1] == "the install went wrong"
    assert log[0] == "line 12"


@pytest.mark.usefixtures("nothing_left")
def test_keep_keeps_the_image_and_prints_its_tag(
    project: Path, stack: IndexServer, capsys: pytest.CaptureFixture[str], engine: Any
) -> None:
    before = {image.id for image in engine.images.list(all=True)}
    code, out = _verify(
        capsys,
        "--keep",
        "--no-import-check",
        "--base-image",
        BASE_IMAGE,
        "-i",
        stack.simple_url,
        str(project / "requirements.txt"),
    )
    assert code == 0, out
    (tag,) = [line.split("kept: ")[1] for line in out.splitlines() if "kept: " in line]
    assert tag.startswith("lockctl-verify:")
    image = engine.images.get(tag)
    assert image.labels["lockctl.run"] == tag.split(":")[1]
    engine.images.remove(image.id)  # and with it its layers: the count is back where it was
    assert {i.id for i in engine.images.list(all=True)} == before
