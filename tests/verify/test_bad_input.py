"""Bad input to ``lockctl verify`` is exit 2 with a clear message, before any engine is asked
and with nothing left behind (no build context folder in the temporary directory)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.verify.conftest import write_lock


@pytest.fixture(autouse=True)
def _no_engine_is_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine that cannot answer: bad input must be refused before it is asked (exit 2,
    not the 3 an unreachable engine would give)."""
    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:9")


def _verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    before = set(Path(tempfile.gettempdir()).glob("lockctl-verify-*"))
    capsys.readouterr()
    try:
        code = main(["verify", *argv])
    except SystemExit as exit:  # argparse's usage errors
        code = int(exit.code or 0)
    assert set(Path(tempfile.gettempdir()).glob("lockctl-verify-*")) == before
    return code, capsys.readouterr().err


@pytest.fixture
def lock(tmp_path: Path) -> Path:
    return write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))


def test_a_lock_that_is_not_a_requirements_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\nRUN pip install app\n")
    code, err = _verify(capsys, str(tmp_path / "Dockerfile"), "--base-image", "python:3.11-slim")
    assert code == 2
    assert "invalid requirement" in err and "Dockerfile:1:6" in err


def test_a_lock_without_pins(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.txt").write_text("# nothing\n")
    code, err = _verify(capsys, str(tmp_path / "empty.txt"), "--base-image", "python:3.11-slim")
    assert (code, "pins nothing: it is not a lock" in err) == (2, True)


def test_a_dockerfile_that_does_not_exist(
    tmp_path: Path, lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _verify(capsys, "--dockerfile", str(tmp_path / "Dockerfile.nope"), str(lock))
    assert code == 2
    assert f"error: Dockerfile not found: {tmp_path / 'Dockerfile.nope'}" in err


def test_a_build_arg_without_an_equals_sign(lock: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _verify(capsys, "--build-arg", "PIP_INDEX_URL", str(lock))
    assert code == 2
    assert "'PIP_INDEX_URL': write a build argument as NAME=VALUE" in err


def test_a_build_context_that_is_not_a_folder(
    tmp_path: Path, lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    code, err = _verify(
        capsys, "--dockerfile", str(tmp_path / "Dockerfile"), "--context", str(lock), str(lock)
    )
    assert code == 2
    assert f"the build context {lock} is not a folder" in err


def test_no_base_image_to_install_into(
    tmp_path: Path, lock: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no Dockerfile, no pyproject.toml
    code, err = _verify(capsys, str(lock))
    assert code == 2
    assert "no base image to install" in err and "--base-image" in err


def test_one_image_is_compared_with_one_lock(
    tmp_path: Path, lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.11-slim\n")
    code, err = _verify(capsys, "--dockerfile", str(tmp_path / "Dockerfile"), str(lock), str(lock))
    assert (code, "give one LOCK" in err) == (2, True)


def test_no_lock_and_no_clear_cache(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _verify(capsys)
    assert code == 2
    assert "no LOCK to verify" in err
