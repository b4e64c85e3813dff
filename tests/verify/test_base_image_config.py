"""``[tool.lockctl] base-image``: read by verify below ``--base-image`` and above the project
Dockerfile's ``FROM``; a bad value (or a bad ``--base-image``) is exit 2 naming the file, the
line and the text, before any engine is asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.config.validate import image_reference_problem
from lockctl.ops.commands import VerifyCommand
from lockctl.ops.verify_plan import plan_verification
from tests.verify.conftest import write_lock


@pytest.fixture(autouse=True)
def _no_engine_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")  # exit 3 if anything asked it


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    (tmp_path / "Dockerfile").write_text("FROM python:3.12-slim\nRUN pip install app\n")
    return tmp_path


def _pyproject(root: Path, value: str) -> None:
    (root / "pyproject.toml").write_text(f'[project]\nname = "x"\n\n[tool.lockctl]\n{value}\n')


def _base(root: Path, base_image: str | None = None) -> str | None:
    command = VerifyCommand(locks=(root / "requirements.txt",), base_image=base_image)
    return plan_verification(command, root / "requirements.txt", root, {}).base_image


def test_the_configured_base_image_wins_over_the_dockerfile(project: Path) -> None:
    assert _base(project) == "python:3.12-slim"  # the Dockerfile's FROM, without the key
    _pyproject(project, 'base-image = "lockctl-test-base:bookworm"')
    assert _base(project) == "lockctl-test-base:bookworm"


def test_the_command_line_wins_over_the_configured_base_image(project: Path) -> None:
    _pyproject(project, 'base-image = "lockctl-test-base:bookworm"')
    assert _base(project, "python:3.11-slim") == "python:3.11-slim"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"Python:3.11"', "'Python:3.11' is not an image reference: the repository name must be"),
        ('"python 3.11"', "'python 3.11' is not an image reference: it has white space"),
        ('"${BASE}"', "build arguments are not substituted here"),
        ('"python:"', "'python:' is not an image reference such as \"python:3.11-slim\""),
        ("3.11", "must be a string, not a float"),
        ('""', "must not be empty"),
    ],
)
def test_a_bad_configured_base_image_is_refused(
    project: Path,
    value: str,
    message: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _pyproject(project, f"base-image = {value}")
    monkeypatch.chdir(project)
    assert main(["verify", "requirements.txt"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml" in err and "5: tool.lockctl.base-image" in err, err
    assert message in err


def test_a_bad_base_image_option_is_refused(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project)
    assert main(["verify", "--base-image", "Python:3.11", "requirements.txt"]) == 2
    err = capsys.readouterr().err
    assert "--base-image: 'Python:3.11' is not an image reference" in err


@pytest.mark.parametrize(
    "reference",
    [
        "python:3.11-slim",
        "lockctl-test-base:bookworm",
        "registry.example.invalid:5000/team/python:3.11",
        "python@sha256:" + "0" * 64,
        "my_org/image__name:v1.2-rc.3",
    ],
)
def test_image_references_the_engine_accepts(reference: str) -> None:
    assert image_reference_problem(reference) is None
