"""One frozen dataclass per command: the parsed command line, and nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lockctl.cli.compile_cmd import CompileCommand
from lockctl.cli.override_cmd import OverrideCommand
from lockctl.ops.session import IndexRequest

__all__ = ["Command", "CompileCommand", "InputsCommand", "MetadataCommand", "OverrideCommand"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InputsCommand:
    """``lockctl inputs FILE...``: every requirement of the files, with where it came from."""

    files: tuple[Path, ...]
    constraints: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataCommand:
    """``lockctl metadata [REQ...] [-r FILE]``: newest matching release and its dependencies."""

    requirements: tuple[str, ...]
    files: tuple[Path, ...]
    index: IndexRequest
    python_version: str | None
    as_json: bool
    show_extras: bool


Command = InputsCommand | MetadataCommand | CompileCommand | OverrideCommand
