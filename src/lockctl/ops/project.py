"""A project's locks, from ``[tool.lockctl]`` with the command line on top.

The command line wins over the file: a target given there replaces the file's, index options
stack on the file's (the file is a layer below), and ``--override`` adds to the file's
overrides. In the file, an explicit ``python-version`` wins over the Dockerfile's FROM line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from packaging.utils import NormalizedName

from lockctl.config import LockEntry, OverrideEntry, ProjectConfig
from lockctl.index import IndexOptions
from lockctl.ops.compile import CompileRequest
from lockctl.reqfile import SourceLine
from lockctl.resolver import Origin, Resolution, RootRequirement, TargetEnvironment

__all__ = ["CommandLine", "project_requests", "unused_overrides"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandLine:
    """What the command line said about the target; None: it said nothing."""

    python_version: str | None = None
    platform: str | None = None
    dockerfile: Path | None = None
    generate_hashes: bool = False


def project_target(config: ProjectConfig, cli: CommandLine) -> TargetEnvironment:
    if cli.dockerfile is not None:
        return TargetEnvironment.from_dockerfile(cli.dockerfile, platform=cli.platform)
    if cli.python_version is not None:
        return TargetEnvironment.create(python_version=cli.python_version, platform=cli.platform)
    platform = cli.platform or config.platform
    if config.python_version is None and config.dockerfile is not None:
        return TargetEnvironment.from_dockerfile(config.dockerfile, platform=platform)
    return TargetEnvironment.create(python_version=config.python_version, platform=platform)


def config_index_options(config: ProjectConfig) -> IndexOptions:
    return IndexOptions(
        index_url=config.index_url,
        extra_index_urls=config.extra_index_urls,
        # A relative find-links directory in pyproject.toml is relative to the project.
        find_links=tuple(
            link if "://" in link else str(config.root / link) for link in config.find_links
        ),
        no_index=config.no_index,
        trusted_hosts=config.trusted_hosts,
    )


def as_root(entry: OverrideEntry) -> RootRequirement:
    line = SourceLine(
        path=entry.file, line=entry.line, end_line=entry.line, text=str(entry.requirement)
    )
    return RootRequirement(
        requirement=entry.requirement,
        origin=Origin(line=line),
        kind="override",
        reason=entry.reason,
    )


def project_requests(
    config: ProjectConfig,
    base: CompileRequest,
    *,
    cli: CommandLine,
    only: Sequence[LockEntry] | None = None,
) -> list[CompileRequest]:
    """One request per lock (or per lock in ``only``), built on ``base`` (the CLI's choices).

    When only some locks are compiled, the others' outputs are their preferences, so a layer
    compiled alone keeps the versions its siblings chose where it can.
    """
    target = project_target(config, cli)
    write = replace(
        base.write,
        python_version=target.python_minor,
        generate_hashes=base.write.generate_hashes or bool(config.generate_hashes),
    )
    index = replace(base.index, config_options=config_index_options(config))
    chosen = config.locks if only is None else tuple(only)
    others = {lock.output for lock in config.locks}
    return [
        replace(
            base,
            inputs=(lock.input,),
            output=lock.output,
            target=target,
            index=index,
            write=write,
            extra_overrides=tuple(as_root(entry) for entry in config.overrides_for(lock)),
            other_locks=tuple(sorted(others - {lock.output})) if only is not None else (),
        )
        for lock in chosen
    ]


def unused_overrides(
    config: ProjectConfig, results: Sequence[tuple[LockEntry, Resolution]]
) -> list[OverrideEntry]:
    """Overrides naming a project that no compiled lock pins: worth a warning, not an error."""
    pinned: set[NormalizedName] = set()
    for _, resolution in results:
        pinned |= {pin.name for pin in resolution.pins}
    entries = [*config.overrides, *(e for lock, _ in results for e in lock.overrides)]
    return [entry for entry in entries if entry.name not in pinned]
