"""``pyproject.toml`` as a compile input: its PEP 621 ``[project]`` dependencies, read statically.

pip-tools 7 reads them the same way (``maybe_statically_parse_project_metadata``) when the
table declares them; ``dynamic`` ones are known only to a build (``NeedsProjectBuild``). A
file lockctl cannot read (not TOML, no ``[project]`` table, poetry's ``[tool.poetry]``) is one
error that says so, with the way out.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lockctl.errors import RequirementsFileError

from .model import SourceLine
from .project_model import (
    LineFinder,
    NeedsProjectBuild,
    ProjectDependency,
    ProjectInput,
    line_of,
    parse_dependency,
    span_at,
)

__all__ = ["read_pyproject", "toml_document"]

_HOW_TO = "declare them in [project] dependencies (PEP 621), or list them in a .in file"


def toml_document(path: Path, text: str) -> dict[str, Any]:
    """The document as plain values. tomlkit, a dependency already, reads it on Python 3.10
    too (tomllib is 3.11+) and says where a syntax error is."""
    import tomlkit  # only when a project file is an input
    from tomlkit.exceptions import ParseError, TOMLKitError

    try:
        document: dict[str, Any] = tomlkit.parse(text).unwrap()
    except ParseError as exc:
        message, line, column = _stdlib_toml_error(text) or (
            str(exc).split(" at line ", 1)[0],
            exc.line,
            max(exc.col, 1),
        )
        raise RequirementsFileError(
            f"{path} is not valid TOML: {message}",
            span=span_at(path, text, line, column=column),
            hint="fix the TOML syntax; pip and every build tool read this file the same way",
        ) from None
    except TOMLKitError as exc:  # a key given twice, and the like
        raise RequirementsFileError(
            f"{path} is not valid TOML: {str(exc).rstrip('.')}",
            span=span_at(path, text, 1),
            hint="fix the TOML syntax; pip and every build tool read this file the same way",
        ) from None
    return document


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)")


def _stdlib_toml_error(text: str) -> tuple[str, int, int] | None:
    """The standard library's words for a syntax error (3.11+): tomlkit says "Unexpected
    character: '\\x00'" for a file that ends inside an array."""
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return _stdlib_words(str(exc), text)
    return None


def _stdlib_words(message: str, text: str) -> tuple[str, int, int] | None:
    found = _TOML_POSITION.search(message)
    if found is not None:
        return _TOML_POSITION.sub("", message), int(found[1]), int(found[2])
    end = " (at end of document)"
    if message.endswith(end):
        return f"{message.removesuffix(end)} at the end of the file", text.count("\n") + 1, 1
    return None


def read_pyproject(path: Path, text: str) -> ProjectInput:
    document = toml_document(path, text)
    project = document.get("project")
    if not isinstance(project, dict):
        raise _no_project_table(path, text, document)
    name = project.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RequirementsFileError(
            f"{path}: [project] has no name",
            span=span_at(path, text, line_of(text, "[project]")),
            hint='PEP 621 requires one: name = "your-project"',
        )
    dynamic = project.get("dynamic", [])
    computed = [f for f in ("dependencies", "optional-dependencies") if f in dynamic]
    if computed:
        raise NeedsProjectBuild(
            path, f"its [project] marks {' and '.join(computed)} as dynamic (PEP 621)"
        )
    finder = LineFinder(text)
    dependencies = [
        ProjectDependency(requirement=requirement, source=source)
        for requirement, source in _requirements(
            path, text, finder, project.get("dependencies", []), "dependencies"
        )
    ]
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise _bad_value(path, text, "optional-dependencies", "a table of extra = [strings]")
    for extra, values in optional.items():
        key = f"optional-dependencies.{extra}"
        for requirement, source in _requirements(path, text, finder, values, key):
            dependencies.append(
                ProjectDependency(
                    requirement=requirement,
                    source=source,
                    extra=canonicalize_name(extra),
                    marker_in_lock=False,
                )
            )
    extras = tuple(dict.fromkeys(canonicalize_name(extra) for extra in optional))
    return ProjectInput(
        path=path, name=name, dependencies=tuple(dependencies), extras=extras, text=text
    )


def _no_project_table(path: Path, text: str, document: Mapping[str, Any]) -> RequirementsFileError:
    tool = document.get("tool", {})
    tools = tool if isinstance(tool, dict) else {}
    if "poetry" in tools:
        found = "its dependencies are in [tool.poetry], which lockctl does not read"
    elif "pdm" in tools or "flit" in tools:
        found = "it has no [project] table (PEP 621), the one lockctl reads"
    else:
        found = "it has no [project] table (PEP 621) that declares the project's dependencies"
    return RequirementsFileError(
        f"{path} cannot be compiled: {found}",
        span=span_at(path, text, 1),
        hint=_HOW_TO,
    )


def _bad_value(path: Path, text: str, key: str, expected: str) -> RequirementsFileError:
    last = key.rsplit(".", 1)[-1]
    return RequirementsFileError(
        f"{path}: [project] {key} must be {expected}",
        span=span_at(path, text, line_of(text, last)),
        hint='see PEP 621: dependencies = ["rich>=13"]',
    )


def _requirements(
    path: Path, text: str, finder: LineFinder, values: object, key: str
) -> Iterable[tuple[Requirement, SourceLine]]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _bad_value(path, text, key, "a list of requirement strings")
    for value in values:
        line = finder.find(value)
        source = SourceLine(path=path, line=line, end_line=line, text=finder.line(line))
        yield parse_dependency(value, source, where=f"[project] {key}"), source
