"""Which locks a compile command writes, for which target, with which settings.

A plain compile names its inputs (and ``-o``). With no inputs, the project's locks are
compiled: those listed in ``[tool.lockctl]`` of the nearest ``pyproject.toml``, or every
``requirements*.in``. Inputs that are all inputs of configured locks compile just those
layers, with the project's settings; anything else is a plain compile.

The command line wins over the file: a target given there replaces the file's, index options
stack on the file's (the file is a layer below), and ``--override`` adds to the file's
overrides. In the file, an explicit ``python-version`` wins over the Dockerfile's FROM line.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.config import LockEntry, OverrideEntry, ProjectConfig, find_pyproject
from lockctl.errors import UsageError
from lockctl.index import IndexOptions
from lockctl.lockfiles import LockWriteOptions
from lockctl.lockfiles.options import UNSAFE_PACKAGES
from lockctl.ops.commands import CompileCommand
from lockctl.ops.compile import CompileRequest
from lockctl.ops.targets import command_target, project_target
from lockctl.reqfile import SourceLine
from lockctl.resolver import Origin, Resolution, RootRequirement, TargetEnvironment

__all__ = ["CompilePlan", "UnusedName", "plan_compile", "unused_names", "unused_overrides"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompilePlan:
    """The locks to compile, in the project's order, and what they were chosen from.

    ``config`` is None for a plain compile; ``whole_project`` says every lock of the project
    is compiled (so an override that no lock uses is worth a warning).
    """

    requests: tuple[CompileRequest, ...]
    target: TargetEnvironment
    config: ProjectConfig | None = None
    whole_project: bool = False


_PROJECT_INPUTS = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})


STDOUT = Path("-")  # --output-file -: the lock goes to standard output, nothing is written


def plan_compile(command: CompileCommand, cwd: Path) -> CompilePlan:
    _refuse_unsupported(command)
    if command.output_file == STDOUT and not command.dry_run:
        raise UsageError("--output-file - writes to standard output: it is a dry run")
    if not command.inputs and command.output_file is not None:
        command = replace(command, inputs=(_default_input(cwd),))
    project = _project(command, cwd)
    if project is None:
        target = command_target(command)
        output = _output(command)
        request = CompileRequest(
            command=command,
            inputs=command.inputs,
            output=output,
            target=target,
            index=command.index,
            write=_write_options(
                command, target, cwd, generate_hashes=command.generate_hashes, output=output
            ),
        )
        return CompilePlan(requests=(request,), target=target)
    config, only = project
    target = project_target(config, command)
    write = _write_options(
        command,
        target,
        cwd,
        generate_hashes=command.generate_hashes or bool(config.generate_hashes),
    )
    index = replace(command.index, config_options=config_index_options(config))
    # Every lock of the project is resolved, so that one layer compiled alone gets the same
    # versions as the whole project; only the chosen ones are written.
    chosen = {lock.output for lock in (config.locks if only is None else only)}
    requests = tuple(
        CompileRequest(
            command=command,
            inputs=(lock.input,),
            output=lock.output,
            target=target,
            index=index,
            write=write,
            extra_overrides=tuple(as_root(entry) for entry in config.overrides_for(lock)),
            project_root=config.root,
            chosen=lock.output in chosen,
            group=lock.group,
        )
        for lock in config.locks
    )
    return CompilePlan(requests=requests, target=target, config=config, whole_project=only is None)


def _refuse_unsupported(command: CompileCommand) -> None:
    """Options that are parsed but not (yet) honoured for these inputs say so, never no-op."""
    if (command.extras or command.all_extras) and not any(
        path.name in _PROJECT_INPUTS for path in command.inputs
    ):
        option = "--all-extras" if command.all_extras else f"--extra {command.extras[0]}"
        raise UsageError(
            f"{option} has effect only with a pyproject.toml, setup.cfg or setup.py input",
            hint="name the project file: lockctl compile pyproject.toml --extra dev",
        )


def _project(
    command: CompileCommand, cwd: Path
) -> tuple[ProjectConfig, tuple[LockEntry, ...] | None] | None:
    """The project config and the locks to compile (None: all), or None for a plain compile."""
    if command.output_file is not None and command.inputs:
        return None
    from lockctl.config.load import default_config, load_config  # tomlkit: only for projects

    found = find_pyproject(cwd)
    if not command.inputs:
        if command.output_file is not None or command.json_output is not None:
            raise UsageError(
                "--output-file and --json name one lock: give its input too",
                hint="for example: lockctl compile requirements-mlflow.in --json resolution.json",
            )
        config = load_config(found) if found is not None else default_config(cwd)
        if not config.locks:
            raise UsageError(
                "nothing to compile: no [[tool.lockctl.lock]] in pyproject.toml and no "
                "requirements*.in here",
                hint="name the input: lockctl compile requirements.in",
            )
        return config, None
    if found is None:
        return None
    config = load_config(found)
    wanted = {path.resolve() for path in command.inputs}
    chosen = tuple(lock for lock in config.locks if lock.input.resolve() in wanted)
    return (config, chosen) if len(chosen) == len(wanted) else None


# pip-compile's DEFAULT_REQUIREMENTS_FILES: its input when it is given none, the first found.
_DEFAULT_INPUTS = ("requirements.in", "setup.py", "pyproject.toml", "setup.cfg")


def _default_input(cwd: Path) -> Path:
    """``pip-compile -o OUT`` with no input compiles the first of its default files here."""
    for name in _DEFAULT_INPUTS:
        if (cwd / name).is_file():
            return Path(name)
    raise UsageError(
        "--output-file names one lock, and there is no input to compile into it: none of "
        + ", ".join(_DEFAULT_INPUTS)
        + " is here",
        hint="name the input: lockctl compile requirements.in -o requirements.txt",
    )


def _output(command: CompileCommand) -> Path:
    if command.output_file is not None:
        return command.output_file
    if command.format == "pylock":
        return command.inputs[0].parent / "pylock.toml"
    if command.inputs == (Path("-"),):
        raise UsageError(
            "--output-file is required when the input is read from stdin (-)",
            hint="for example: cat requirements.in | lockctl compile - -o requirements.txt",
        )
    if command.inputs and command.inputs[0].name in _PROJECT_INPUTS:
        # pip-compile writes requirements.txt beside a project file named first.
        return command.inputs[0].parent / "requirements.txt"
    if len(command.inputs) == 1 and command.inputs[0].suffix == ".in":
        return command.inputs[0].with_suffix(".txt")
    raise UsageError(
        "several inputs (or one that is not a .in file) need an explicit --output-file",
        hint="for example: lockctl compile a.in b.in -o requirements.txt",
    )


def _write_options(
    command: CompileCommand,
    target: TargetEnvironment,
    cwd: Path,
    *,
    generate_hashes: bool,
    output: Path | None = None,
) -> LockWriteOptions:
    unsafe = frozenset(canonicalize_name(name) for name in command.unsafe_packages)
    return LockWriteOptions(
        command=command.command_line,
        python_version=target.python_minor,
        generate_hashes=generate_hashes,
        strip_extras=command.strip_extras,
        emit_index_url=command.emit_index_url,
        emit_find_links=command.emit_find_links,
        emit_trusted_host=command.emit_trusted_host,
        emit_options=command.emit_options,
        emit_header=command.header,
        annotate=command.annotate,
        annotation_style=command.annotation_style,
        unsafe_style="section" if command.allow_unsafe else "omit",
        unsafe_packages=unsafe or UNSAFE_PACKAGES,
        paths_relative_to=cwd,  # pip-tools shows -r paths as named from its working directory
        newline=_newline(command, output),
    )


def _newline(command: CompileCommand, output: Path | None) -> Literal["\n", "\r\n"]:
    """pip-compile's ``--newline``: ``preserve`` takes the existing lock's line endings, else
    the first input's that has a line ending, else LF (``_determine_linesep``)."""
    if command.newline == "native":
        return "\r\n" if os.linesep == "\r\n" else "\n"
    if command.newline != "preserve":
        return "\r\n" if command.newline == "crlf" else "\n"
    candidates = [] if output is None or output == STDOUT else [output]
    for path in (*candidates, *command.inputs):
        try:
            with path.open("rb") as file:
                head = file.read(1 << 16)
        except OSError:
            continue
        if b"\r\n" in head:
            return "\r\n"
        if b"\n" in head:
            return "\n"
    return "\n"


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


@dataclass(frozen=True, slots=True, kw_only=True)
class UnusedName:
    """An override or ``-P`` naming a project that no compiled lock pins.

    Worth a warning, not an error (a typo, or a dependency that went away). ``where`` is the
    file and line of an override written in a file; None for one given on the command line.
    """

    option: Literal["override", "upgrade-package"]
    requirement: str
    where: str | None = None


def unused_names(plan: CompilePlan, resolutions: Sequence[Resolution]) -> list[UnusedName]:
    """The project's overrides (when every lock was compiled), then the command line's
    ``--override``/``--override-file`` and ``-P``, that name a project no lock pins."""
    pinned: set[NormalizedName] = set()
    for resolution in resolutions:
        pinned |= {pin.name for pin in resolution.pins}
    unused: list[UnusedName] = []
    config = plan.config
    if config is not None and plan.whole_project:
        pairs = zip(config.locks, resolutions, strict=True)
        unused += [
            UnusedName(
                option="override",
                requirement=str(entry.requirement),
                where=f"{entry.file}:{entry.line}",
            )
            for entry in unused_overrides(config, list(pairs))
        ]
    if not plan.requests:
        return unused
    command = plan.requests[0].command
    from lockctl.ops.inputs import parse_overrides

    for root in parse_overrides(command.overrides, command.override_files):
        if root.name not in pinned:
            line = root.origin.line
            where = None if line is None else f"{line.path}:{line.line}"
            unused.append(
                UnusedName(option="override", requirement=str(root.requirement), where=where)
            )
    for spec in command.upgrade_packages:  # checked by compile: NAME or NAME==VERSION
        name = re.split(r"[\s=<>!~;\[]", spec, maxsplit=1)[0]
        if canonicalize_name(name) not in pinned:
            unused.append(UnusedName(option="upgrade-package", requirement=spec))
    return unused


def unused_overrides(
    config: ProjectConfig, results: Sequence[tuple[LockEntry, Resolution]]
) -> list[OverrideEntry]:
    """Overrides naming a project that no compiled lock pins: worth a warning, not an error."""
    pinned: set[NormalizedName] = set()
    for _, resolution in results:
        pinned |= {pin.name for pin in resolution.pins}
    entries = [*config.overrides, *(e for lock, _ in results for e in lock.overrides)]
    return [entry for entry in entries if entry.name not in pinned]
