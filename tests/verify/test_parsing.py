"""The texts verify reads: the builder's stream, pip check's lines, the project's Dockerfile;
and the Dockerfile it writes for a lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockctl.errors import UsageError
from lockctl.verify.buildstream import BuildLog
from lockctl.verify.dockerfile import lock_only_dockerfile, read_dockerfile
from lockctl.verify.pipcheck import parse_pip_check
from lockctl.verify.runtime import BuildOutput, BuildStep

_STREAM: list[dict[str, Any]] = [
    {"stream": "Step 1/3 : FROM python:3.11-slim\n"},
    {"stream": " ---> ff117964efa5\n"},
    {"stream": "Step 2/3 : COPY requirements.txt /app/\n"},
    {"stream": " ---> Using cache\n ---> 1111aaaa2222\n"},
    {"stream": "Step 3/3 : RUN pip install   -r /app/requirements.txt\n"},
    {"stream": " ---> Running in 0c1b2e3d4f5a\n"},
    {"stream": "Collecting app\nERROR: No matching distribution"},
    {"stream": " found for app\n"},
    {"error": "The command '/bin/sh -c pip install' returned a non-zero code: 1"},
]


def test_the_build_stream_gives_steps_logs_and_the_ids_to_remove() -> None:
    log = BuildLog()
    events = [event for message in _STREAM for event in log.feed(message)]
    events += list(log.finish())
    steps = [e for e in events if isinstance(e, BuildStep)]
    assert [(s.number, s.total) for s in steps] == [(1, 3), (2, 3), (3, 3)]
    assert steps[2].instruction == "RUN pip install -r /app/requirements.txt"
    assert BuildOutput(line="ERROR: No matching distribution found for app") in events
    assert log.containers == ["0c1b2e3d4f5a"]
    assert log.images == []  # the base image's id and a cache hit are not this build's
    failure = log.failure()
    assert failure.step == steps[2]
    assert failure.log == ("Collecting app", "ERROR: No matching distribution found for app")
    assert failure.message.endswith("returned a non-zero code: 1")
    # the failed step's container keeps the whole log, which the stream may cut short
    assert log.step_container == "0c1b2e3d4f5a"
    whole = log.failure(container_log="Collecting app\n\x1b[31mERROR: no app\x1b[0m\n")
    assert whole.log == ("Collecting app", "ERROR: no app")


def test_a_committed_step_and_the_final_image_are_recorded() -> None:
    log = BuildLog()
    for message in (
        {"stream": "Step 1/2 : FROM base\n ---> aaaaaaaaaaaa\n"},
        {"stream": "Step 2/2 : RUN true\n ---> Running in bbbbbbbbbbbb\n"},
        {"stream": "Removing intermediate container bbbbbbbbbbbb\n ---> cccccccccccc\n"},
        {"aux": {"ID": "sha256:" + "c" * 64}},
    ):
        list(log.feed(message))
    assert log.images == ["cccccccccccc"]
    assert log.image_id == "sha256:" + "c" * 64
    assert log.error is None
    assert list(log.step_lines) == []  # the builder's own notes are not the step's log


def test_pip_check_lines_are_read_into_problems() -> None:
    problems = parse_pip_check(
        [
            "mlflow 3.4.0 requires fastmcp, which is not installed.",
            "fastmcp 2.12.4 has requirement rich>=13.9.4, but you have rich 13.7.0.",
            "Weird_Pkg 1.0 is not supported on this platform",
            "something pip says one day",
            "No broken requirements found.",
        ]
    )
    assert [p.kind for p in problems] == ["missing", "conflict", "unsupported", "other"]
    assert (problems[0].name, problems[0].dependency) == ("mlflow", "fastmcp")
    conflict = problems[1]
    assert (conflict.dependency, conflict.requirement, conflict.installed) == (
        "rich",
        "rich>=13.9.4",
        "13.7.0",
    )
    assert problems[2].name == "weird-pkg"
    assert problems[3].line == "something pip says one day"
    assert parse_pip_check(["No broken requirements found."]) == ()


_DOCKERFILE = """\
# syntax=docker/dockerfile:1
ARG BASE_IMAGE=python:3.11-slim
ARG TAG
FROM ${BASE_IMAGE} AS builder
RUN pip install --no-cache-dir \\
    # the pinned stack
    -r requirements.txt
FROM builder AS app
RUN apt-get update && \\
    apt-get install -y curl
RUN uv pip install --system httpx
FROM app
RUN python -m pip install mlflow==3.4.0 httpx boto3
"""


def test_a_dockerfile_is_read_with_its_stages_args_and_install_lines(tmp_path: Path) -> None:
    path = tmp_path / "Dockerfile"
    path.write_text(_DOCKERFILE)
    dockerfile = read_dockerfile(path)
    assert [i.keyword for i in dockerfile.instructions][:4] == ["ARG", "ARG", "FROM", "RUN"]
    first_run = dockerfile.instructions[3]
    assert (first_run.line, first_run.arguments) == (
        5,
        "pip install --no-cache-dir -r requirements.txt",
    )
    assert dockerfile.base_image({}, None) == "python:3.11-slim"  # app -> builder -> the ARG
    assert dockerfile.base_image({"BASE_IMAGE": "lockctl-test-base:bookworm"}, "app") == (
        "lockctl-test-base:bookworm"
    )
    assert dockerfile.external_images({}, None) == ("python:3.11-slim",)
    assert [i.line for i in dockerfile.install_lines()] == [5, 11, 13]
    found = dockerfile.find("RUN apt-get update &&     apt-get install -y curl")
    assert found is not None and found.line == 9
    with pytest.raises(UsageError, match="no stage named 'tests'"):
        dockerfile.base_image({}, "tests")


def test_a_missing_or_undecodable_dockerfile_is_bad_input(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="Dockerfile not found"):
        read_dockerfile(tmp_path / "Dockerfile")
    with pytest.raises(UsageError, match="is a directory"):
        read_dockerfile(tmp_path)
    (tmp_path / "Dockerfile").write_bytes(b"FROM x\nRUN echo caf\xe9\n")
    with pytest.raises(UsageError, match="line 2 is not UTF-8"):
        read_dockerfile(tmp_path / "Dockerfile")


def test_the_lock_only_dockerfile_installs_the_lock_alone() -> None:
    text = lock_only_dockerfile(
        "python:3.11-slim",
        run_id="abc123",
        require_hashes=True,
        pip_environment=(("PIP_INDEX_URL", "http://127.0.0.1:8080/simple/"),),
    )
    lines = text.splitlines()
    assert "FROM python:3.11-slim" in lines
    assert "LABEL lockctl.run=abc123" in lines
    (run,) = [line for line in lines if line.startswith("RUN ")]
    assert "PIP_CONFIG_FILE=/dev/null" in run
    assert "PIP_INDEX_URL=http://127.0.0.1:8080/simple/" in run
    assert run.endswith(
        "python -m pip install --no-deps --require-hashes -r /lockctl/requirements.txt"
    )
