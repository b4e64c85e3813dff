"""Run the read-only commands (inputs, metadata) and print what they found."""

from __future__ import annotations

import json
import sys
from typing import Any, TextIO

from packaging.requirements import InvalidRequirement, Requirement

from lockctl.cli.render import render_event
from lockctl.errors import UsageError
from lockctl.events import Event
from lockctl.ops.commands import InputsCommand, MetadataCommand
from lockctl.ops.lookup import LookupFailure, ReleaseFound, lookup_releases
from lockctl.ops.session import open_index
from lockctl.reqfile import SourceLine, parse_file
from lockctl.reqfile.project_input import is_project_file, read_project_file
from lockctl.target import TargetEnvironment

__all__ = ["run_inputs", "run_metadata"]


def _where(source: SourceLine | None) -> str:
    return "command line" if source is None else f"{source.path}:{source.line}"


def _include_flag(step: SourceLine) -> str:
    """``-c`` for a constraints include (``-c``, ``--constraint``), else ``-r``."""
    text = step.text.lstrip()
    return "-c" if text.startswith(("-c", "--constraint")) else "-r"


def run_inputs(command: InputsCommand, out: TextIO) -> int:
    for path in command.files:
        parsed = read_project_file(path) if is_project_file(path) else parse_file(path)
        for located in parsed.iter_requirements(constraints=command.constraints):
            entry = located.entry
            shown = str(entry.requirement) if entry.requirement else f"-e {entry.editable_target}"
            kind = " (constraint)" if located.constraint else ""
            chain = "".join(
                f"  <- {_include_flag(step)} {_where(step)}" for step in reversed(located.via)
            )
            out.write(f"{shown}{kind}  [{_where(entry.source)}]{chain}\n")
    return 0


def _requested(
    command: MetadataCommand,
) -> tuple[list[tuple[Requirement, SourceLine | None]], list[Any]]:
    requested: list[tuple[Requirement, SourceLine | None]] = []
    for text in command.requirements:
        try:
            requested.append((Requirement(text), None))
        except InvalidRequirement as exc:
            raise UsageError(
                f"{text!r} is not a valid requirement: {str(exc).splitlines()[0]}",
                hint="write it as in a requirements file, for example 'pandas==2.1.1'",
            ) from None
    files = [parse_file(path) for path in command.files]
    for parsed in files:
        for located in parsed.iter_requirements():
            if located.entry.requirement is not None:
                requested.append((located.entry.requirement, located.entry.source))
    return requested, files


def run_metadata(command: MetadataCommand, out: TextIO, *, quiet: bool, verbose: bool) -> int:
    requested, files = _requested(command)
    target = TargetEnvironment.create(python_version=command.python_version)

    def report(event: Event) -> None:
        if verbose or not quiet:
            print(render_event(event), file=sys.stderr)

    with open_index(command.index, files=files, reporter=report) as client:
        results = lookup_releases(requested, client, target=target)
    if command.as_json:
        json.dump([_as_dict(r) for r in results], out, indent=2)
        out.write("\n")
    else:
        for result in results:
            out.write(_as_text(result, extras=command.show_extras))
    return 1 if any(isinstance(r, LookupFailure) for r in results) else 0


def _as_text(result: ReleaseFound | LookupFailure, *, extras: bool) -> str:
    if isinstance(result, LookupFailure):
        return f"{result.requirement}: not available: {result.reason}\n"
    metadata = result.metadata
    lines = [f"{metadata.name} {metadata.version}  ({result.file.filename}, from {result.index})"]
    if metadata.requires_python is not None:
        lines.append(f"  requires-python: {metadata.requires_python}")
    for requirement in metadata.requires_dist:
        # A marker that names "extra" applies only when someone asks for that extra.
        if extras or requirement.marker is None or "extra" not in str(requirement.marker):
            lines.append(f"  requires: {requirement}")
    if metadata.provides_extra:
        hint = "" if extras else "  (--extras lists what they require)"
        lines.append(f"  extras: {', '.join(metadata.provides_extra)}{hint}")
    return "\n".join(lines) + "\n"


def _as_dict(result: ReleaseFound | LookupFailure) -> dict[str, Any]:
    if isinstance(result, LookupFailure):
        return {"requirement": str(result.requirement), "error": result.reason}
    return {
        "requirement": str(result.requirement),
        "file": result.file.filename,
        "index": result.index,
        **result.metadata.to_dict(),
    }
