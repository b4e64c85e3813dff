"""The target environment from user text: versions, platforms and Dockerfiles."""

from __future__ import annotations

import platform as host_platform
import sys
from pathlib import Path

import pytest

from lockctl.errors import UsageError
from lockctl.target import TargetEnvironment
from tests.reqfile.deadline import deadline


def test_an_empty_python_version_is_refused_not_taken_for_this_machine() -> None:
    with pytest.raises(UsageError, match="the Python version is empty"):
        TargetEnvironment.create(python_version="")
    with pytest.raises(UsageError, match="empty"):
        TargetEnvironment.create(python_version="  ")


def test_a_dockerfile_that_is_not_utf8_is_bad_input(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_bytes(b"FROM python:3.11-slim\n# caf\xe9\n")
    with pytest.raises(UsageError) as caught:
        TargetEnvironment.from_dockerfile(dockerfile)
    assert caught.value.message == f"cannot read {dockerfile}: line 2 is not UTF-8 text"


def test_the_dockerfile_from_line_gives_python_and_architecture(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM --platform=linux/arm64 python:3.12-slim AS base\n")
    target = TargetEnvironment.from_dockerfile(dockerfile)
    assert (target.python_minor, target.platform) == ("3.12", "linux_aarch64")


def test_a_dockerfile_of_many_blank_lines_is_read_in_linear_time(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("\n" * 400_000 + "FROM python:3.12-slim\n")
    with deadline():  # quadratic reading would take minutes here
        target = TargetEnvironment.from_dockerfile(dockerfile)
    assert target.python_minor == "3.12"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM python:3.12-windowsservercore-ltsc2022\n", ("3.12", "windows_amd64")),
        ("FROM --platform=linux/amd64 python:3.11-alpine AS a\n", ("3.11", "linux_x86_64_musl")),
        ("FROM python:3.13.1-slim-bookworm\n", ("3.13", "linux_x86_64")),
        # each stage FROM the one before: the last one runs the first one's image
        ("FROM python:3.12 AS base\nFROM base AS app\nFROM app\n", ("3.12", "linux_x86_64")),
    ],
)
def test_the_target_of_a_dockerfile(tmp_path: Path, text: str, expected: tuple[str, str]) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(text)
    target = TargetEnvironment.from_dockerfile(dockerfile)
    assert (target.python_minor, target.platform) == expected


def test_an_arg_after_the_first_from_is_not_seen_by_from(tmp_path: Path) -> None:
    """docker build: only the ARGs declared before the first FROM can be used in FROM."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:3.12\nARG PY=3.11\nFROM python:${PY}-slim\n")
    with pytest.raises(UsageError, match="line 3: cannot tell the target Python"):
        TargetEnvironment.from_dockerfile(dockerfile)


def test_stage_names_that_name_each_other_end(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM b AS a\nFROM a AS b\n")
    with pytest.raises(UsageError, match="cannot tell the target Python from the image 'b'"):
        TargetEnvironment.from_dockerfile(dockerfile)


def test_this_machines_platform_knows_musl(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("the C library is read on Linux only")
    monkeypatch.setattr(sys.implementation, "_multiarch", "x86_64-linux-musl", raising=False)
    monkeypatch.setattr(host_platform, "machine", lambda: "x86_64")
    assert TargetEnvironment.create(python_version="3.12").platform == "linux_x86_64_musl"
    monkeypatch.setattr(sys.implementation, "_multiarch", "x86_64-linux-gnu", raising=False)
    assert TargetEnvironment.create(python_version="3.12").platform == "linux_x86_64"
