"""The target environment a compile is for: from the command line, else the project's file.

A light module (no resolver, no HTTP client), so that ``lockctl check`` can tell whether the
target a lock was compiled for is still the project's.
"""

from __future__ import annotations

from pathlib import Path

from lockctl.config import ProjectConfig
from lockctl.errors import UsageError
from lockctl.ops.commands import CompileCommand
from lockctl.target import TargetEnvironment

__all__ = ["command_target", "project_target"]


def command_target(command: CompileCommand) -> TargetEnvironment:
    if command.from_dockerfile is not None:
        if command.python_version:
            raise UsageError("give --from-dockerfile or --python-version, not both")
        return _dockerfile_target(command.from_dockerfile, command, command.platform)
    _refuse_dockerfile_options(command)
    return TargetEnvironment.create(
        python_version=command.python_version, platform=command.platform
    )


def project_target(config: ProjectConfig, command: CompileCommand) -> TargetEnvironment:
    if command.from_dockerfile is not None or command.python_version is not None:
        return command_target(command)
    platform = command.platform or config.platform
    if config.python_version is None and config.dockerfile is not None:
        return _dockerfile_target(config.dockerfile, command, platform)
    _refuse_dockerfile_options(command)
    return TargetEnvironment.create(python_version=config.python_version, platform=platform)


def _dockerfile_target(
    dockerfile: Path, command: CompileCommand, platform: str | None
) -> TargetEnvironment:
    """docker build's reading: --build-arg values, --target's stage, the lock's install line."""
    return TargetEnvironment.from_dockerfile(
        dockerfile,
        platform=platform,
        build_args=dict(command.build_args),
        stage=command.stage,
        lock_name=_lock_name(command),
    )


def _lock_name(command: CompileCommand) -> str | None:
    """The lock's file name, for finding the stage that installs it: -o, else pip-compile's
    IN.txt beside a single IN.in (ops.plan's rule); None: any requirements file will do."""
    if command.output_file is not None:
        return command.output_file.name
    if len(command.inputs) == 1 and command.inputs[0].suffix == ".in":
        return command.inputs[0].with_suffix(".txt").name
    return None


def _refuse_dockerfile_options(command: CompileCommand) -> None:
    """--build-arg and --target mean something only for a Dockerfile: never a silent no-op."""
    for option, given in (("--build-arg", bool(command.build_args)), ("--target", command.stage)):
        if given:
            raise UsageError(
                f"{option} applies to the Dockerfile the target is read from, and there is none",
                hint="add --from-dockerfile Dockerfile (or dockerfile in [tool.lockctl])",
            )
