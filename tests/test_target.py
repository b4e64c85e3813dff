"""The target environment from user text: versions, platforms and Dockerfiles."""

from __future__ import annotations

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
