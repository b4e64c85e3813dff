"""``lockctl compile``: its options, its command dataclass, and how its results are printed."""

from __future__ import annotations

import argparse
import os
import re
import shlex
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TextIO

from lockctl.cli.progress import Progress
from lockctl.cli.render import render_event
from lockctl.config import LockEntry, ProjectConfig, find_pyproject
from lockctl.errors import UsageError
from lockctl.events import Event, PreviousLockIgnored, Reporter
from lockctl.lockfiles import LockWriteOptions
from lockctl.ops.compile import CompileRequest, CompileResult, compile_lock
from lockctl.ops.layers import compile_layers
from lockctl.ops.project import CommandLine, project_requests, project_target, unused_overrides
from lockctl.ops.session import IndexRequest
from lockctl.resolver import PLATFORMS, ResolutionConflict, TargetEnvironment
from lockctl.resolver.models import shown_path
from lockctl.urls import redact_text

__all__ = ["CompileCommand", "add_compile_parser", "compile_command", "run_compile"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileCommand:
    inputs: tuple[Path, ...]
    output: Path | None
    python_version: str | None
    platform: str | None
    dockerfile: Path | None
    overrides: tuple[str, ...]
    override_files: tuple[Path, ...]
    upgrade: bool
    upgrade_packages: tuple[str, ...]
    pre: bool
    generate_hashes: bool
    strip_extras: bool
    emit_index_url: bool
    header: bool
    annotate: bool
    dry_run: bool
    json_output: Path | None
    format: Literal["txt", "pylock"]
    jobs: int
    index: IndexRequest
    command_line: str  # for the lock header, credentials redacted


def add_compile_parser(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "compile", help="resolve .in files into a pinned lockfile in the pip-tools format"
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        type=Path,
        metavar="IN",
        help="input files (default: every lock of the project's [tool.lockctl])",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=os.cpu_count() or 2,
        metavar="N",
        help="locks compiled at once (default: the number of CPUs)",
    )
    parser.add_argument(
        "-o",
        "--output-file",
        type=Path,
        metavar="OUT",
        help="the lock to write (default: IN with .txt, for one input)",
    )
    target = parser.add_argument_group("target environment (default: this machine's)")
    target.add_argument("--python-version", metavar="X.Y", help="the Python the lock is for")
    target.add_argument(
        "--platform", choices=sorted(PLATFORMS), help="the platform the lock is for"
    )
    target.add_argument(
        "--from-dockerfile",
        type=Path,
        metavar="DOCKERFILE",
        help="take the Python from the Dockerfile's 'FROM python:X.Y' line",
    )
    change = parser.add_argument_group("what to resolve")
    change.add_argument(
        "--override",
        action="append",
        default=[],
        metavar="REQ",
        help="replace every requirement on REQ's project (repeatable)",
    )
    change.add_argument(
        "--override-file",
        action="append",
        default=[],
        type=Path,
        metavar="FILE",
        help="overrides, one requirement per line",
    )
    change.add_argument(
        "-U", "--upgrade", action="store_true", help="ignore the pins of the existing lock"
    )
    change.add_argument(
        "-P",
        "--upgrade-package",
        action="append",
        default=[],
        metavar="NAME[==VER]",
        help="free one project from the existing lock (optionally to VER)",
    )
    change.add_argument("--pre", action="store_true", help="allow pre-releases")
    output = parser.add_argument_group("output")
    output.add_argument(
        "--generate-hashes",
        action="store_true",
        help="write --hash lines for every file of each pinned release",
    )
    output.add_argument(
        "--strip-extras",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="leave extras out of the pins (default, as pip-tools 8)",
    )
    output.add_argument(
        "--no-emit-index-url",
        dest="emit_index_url",
        action="store_false",
        help="do not write index options into the lock",
    )
    output.add_argument(
        "--no-header", dest="header", action="store_false", help="leave out the header"
    )
    output.add_argument(
        "--no-annotate", dest="annotate", action="store_false", help="leave out the '# via' lines"
    )
    output.add_argument(
        "--format",
        choices=("txt", "pylock"),
        default="txt",
        help="pip-tools .txt (default) or a PEP 751 pylock.toml",
    )
    output.add_argument("--dry-run", action="store_true", help="print the lock, write nothing")
    output.add_argument(
        "--json",
        dest="json_output",
        type=Path,
        metavar="FILE",
        help="also write the resolution as JSON to FILE",
    )
    return parser


def compile_command(
    ns: argparse.Namespace, argv: Sequence[str], index: IndexRequest
) -> CompileCommand:
    after = list(argv[list(argv).index("compile") + 1 :]) if "compile" in argv else list(argv)
    return CompileCommand(
        inputs=tuple(ns.inputs),
        output=ns.output_file,
        python_version=ns.python_version,
        platform=ns.platform,
        dockerfile=ns.from_dockerfile,
        overrides=tuple(ns.override),
        override_files=tuple(ns.override_file),
        upgrade=ns.upgrade,
        upgrade_packages=tuple(ns.upgrade_package),
        pre=ns.pre,
        generate_hashes=ns.generate_hashes,
        strip_extras=ns.strip_extras,
        emit_index_url=ns.emit_index_url,
        header=ns.header,
        annotate=ns.annotate,
        dry_run=ns.dry_run,
        json_output=ns.json_output,
        format=ns.format,
        jobs=max(1, ns.jobs),
        index=index,
        command_line=redact_text(shlex.join(["lockctl", "compile", *after])),
    )


def _target(command: CompileCommand) -> TargetEnvironment:
    if command.dockerfile is not None:
        if command.python_version:
            raise UsageError("give --from-dockerfile or --python-version, not both")
        return TargetEnvironment.from_dockerfile(command.dockerfile, platform=command.platform)
    return TargetEnvironment.create(
        python_version=command.python_version, platform=command.platform
    )


def _output(command: CompileCommand) -> Path:
    if command.output is not None:
        return command.output
    if command.format == "pylock":
        return command.inputs[0].parent / "pylock.toml"
    if len(command.inputs) == 1 and command.inputs[0].suffix == ".in":
        return command.inputs[0].with_suffix(".txt")
    raise UsageError(
        "several inputs (or one that is not a .in file) need an explicit --output-file",
        hint="for example: lockctl compile a.in b.in -o requirements.txt",
    )


def _request(command: CompileCommand, target: TargetEnvironment, output: Path) -> CompileRequest:
    return CompileRequest(
        inputs=command.inputs,
        output=output,
        target=target,
        index=command.index,
        overrides=command.overrides,
        override_files=command.override_files,
        upgrade=command.upgrade,
        upgrade_packages=command.upgrade_packages,
        pre=command.pre,
        format=command.format,
        write=LockWriteOptions(
            command=command.command_line,
            python_version=target.python_minor,
            generate_hashes=command.generate_hashes,
            strip_extras=command.strip_extras,
            emit_index_url=command.emit_index_url,
            emit_header=command.header,
            annotate=command.annotate,
            paths_relative_to=Path.cwd(),  # pip-tools shows -r paths as named from here
        ),
        dry_run=command.dry_run,
        json_output=command.json_output,
    )


def _project(command: CompileCommand) -> tuple[ProjectConfig, tuple[LockEntry, ...] | None] | None:
    """The project config and the locks to compile (None: all), or None for a plain compile.

    With no inputs, the project's locks are compiled: those listed in ``[tool.lockctl]``, or
    every ``requirements*.in``. Inputs that are all inputs of configured locks compile just
    those layers, with the project's settings; anything else is a plain compile.
    """
    if command.output is not None and command.inputs:
        return None
    from lockctl.config.load import default_config, load_config  # tomlkit: only for projects

    found = find_pyproject(Path.cwd())
    if not command.inputs:
        if command.output is not None or command.json_output is not None:
            raise UsageError(
                "--output-file and --json name one lock: give its input too",
                hint="for example: lockctl compile requirements-mlflow.in --json resolution.json",
            )
        config = load_config(found) if found is not None else default_config(Path.cwd())
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


def run_compile(command: CompileCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    progress = Progress(enabled=not quiet and sys.stderr.isatty())

    def report(event: Event) -> None:
        if verbose or isinstance(event, PreviousLockIgnored):
            progress.print(render_event(event))

    project = _project(command)
    if project is not None:
        return _run_project(
            command, *project, out=out, quiet=quiet, progress=progress, report=report
        )
    target = _target(command)
    output = _output(command)
    with progress:
        result = compile_lock(
            _request(command, target, output), reporter=report, on_progress=progress.update
        )
    _show(command, [(output, result)], target, out=out, quiet=quiet)
    return 0


def _run_project(
    command: CompileCommand,
    config: ProjectConfig,
    only: tuple[LockEntry, ...] | None,
    *,
    out: TextIO,
    quiet: bool,
    progress: Progress,
    report: Reporter,
) -> int:
    cli = CommandLine(
        python_version=command.python_version,
        platform=command.platform,
        dockerfile=command.dockerfile,
    )
    target = project_target(config, cli)
    base = _request(command, target, config.root / "requirements.txt")
    requests = project_requests(config, base, cli=cli, only=only)
    try:
        with progress:
            if len(requests) == 1:
                results = [compile_lock(requests[0], reporter=report, on_progress=progress.update)]
            else:
                results = compile_layers(requests, jobs=command.jobs, reporter=report)
    except ResolutionConflict as conflict:
        lock = conflict.lock or (requests[0].output if len(requests) == 1 else None)
        conflict.fixes = tuple(_as_project_fix(fix, lock, config.root) for fix in conflict.fixes)
        raise
    done = [(request.output, result) for request, result in zip(requests, results, strict=True)]
    _show(command, done, target, out=out, quiet=quiet)
    if only is None:
        pairs = [
            (lock, result.resolution) for lock, result in zip(config.locks, results, strict=True)
        ]
        for entry in unused_overrides(config, pairs):
            progress.print(
                f"warning: the override {entry.requirement} ({entry.file}:{entry.line}) names a "
                "project that no lock uses"
            )
    return 0


def _show(
    command: CompileCommand,
    done: list[tuple[Path, CompileResult]],
    target: TargetEnvironment,
    *,
    out: TextIO,
    quiet: bool,
) -> None:
    for output, result in done:
        if command.dry_run:
            if len(done) > 1:
                out.write(f"# ==> {output} <==\n")
            out.write(result.text)
        elif not quiet:
            print(
                f"wrote {shown_path(output)} ({len(result.resolution.pins)} pins, "
                f"{target.describe()})",
                file=sys.stderr,
            )


_OVERRIDE_FIX = re.compile(r"^add --override '(?P<requirement>[^']+)'(?P<rest>.*)$")


def _as_project_fix(fix: str, lock: Path | None, root: Path) -> str:
    """In a project, an override belongs in pyproject.toml: say the command that puts it there."""
    match = _OVERRIDE_FIX.match(fix)
    if match is None:
        return fix
    scope = ""
    if lock is not None:
        shown = lock.relative_to(root) if lock.is_relative_to(root) else lock
        scope = f" --lock {shlex.quote(str(shown))}"
    command = f"lockctl override add {shlex.quote(match['requirement'])}{scope}"
    return f"run: {command}{match['rest']}"
