"""The target environment a compile is for: from the command line, else the project's file.

A light module (no resolver, no HTTP client), so that ``lockctl check`` can tell whether the
target a lock was compiled for is still the project's.
"""

from __future__ import annotations

from lockctl.config import ProjectConfig
from lockctl.errors import UsageError
from lockctl.ops.commands import CompileCommand
from lockctl.target import TargetEnvironment

__all__ = ["command_target", "project_target"]


def command_target(command: CompileCommand) -> TargetEnvironment:
    if command.from_dockerfile is not None:
        if command.python_version:
            raise UsageError("give --from-dockerfile or --python-version, not both")
        return TargetEnvironment.from_dockerfile(command.from_dockerfile, platform=command.platform)
    return TargetEnvironment.create(
        python_version=command.python_version, platform=command.platform
    )


def project_target(config: ProjectConfig, command: CompileCommand) -> TargetEnvironment:
    if command.from_dockerfile is not None or command.python_version is not None:
        return command_target(command)
    platform = command.platform or config.platform
    if config.python_version is None and config.dockerfile is not None:
        return TargetEnvironment.from_dockerfile(config.dockerfile, platform=platform)
    return TargetEnvironment.create(python_version=config.python_version, platform=platform)
