"""``setup.cfg`` as a compile input: setuptools' declarative ``install_requires`` and
``extras_require``, read as setuptools reads them (``setuptools.config.setupcfg``)."""

from __future__ import annotations

import configparser
import re
from collections.abc import Iterable
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import RequirementsFileError, SourceSpan, UsageError

from .model import SourceLine
from .project_model import (
    LineFinder,
    ProjectDependency,
    ProjectInput,
    line_of,
    parse_dependency,
    read_text,
    span_at,
)

__all__ = ["read_setup_cfg"]


def read_setup_cfg(path: Path, text: str) -> ProjectInput:
    parser = configparser.RawConfigParser()
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # setuptools keeps case
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise _bad_ini(path, text, exc) from None
    name = parser.get("metadata", "name", fallback="").strip()
    if not name:
        raise RequirementsFileError(
            f"{path} cannot be compiled: it has no name in its [metadata] section",
            span=span_at(path, text, line_of(text, "[metadata]")),
            hint="add name = your-project under [metadata]",
        )
    finder = LineFinder(text)
    dependencies: list[ProjectDependency] = []
    if parser.has_option("options", "install_requires"):
        value = parser.get("options", "install_requires")
        for requirement, source in _cfg_requirements(path, value, finder, "install_requires"):
            dependencies.append(ProjectDependency(requirement=requirement, source=source))
    extras: list[NormalizedName] = []
    if parser.has_section("options.extras_require"):
        for extra, value in parser.items("options.extras_require"):
            # setuptools' safe_extra, then PEP 685's comparison.
            extras.append(canonicalize_name(extra))
            key = f"extras_require {extra}"
            for requirement, source in _cfg_requirements(path, value, finder, key):
                dependencies.append(
                    ProjectDependency(
                        requirement=requirement, source=source, extra=canonicalize_name(extra)
                    )
                )
    # setuptools' safe_name: runs of other characters become "-" in the built Name.
    shown = re.sub(r"[^A-Za-z0-9.]+", "-", name)
    return ProjectInput(
        path=path,
        name=shown,
        dependencies=tuple(dependencies),
        extras=tuple(dict.fromkeys(extras)),
        text=text,
    )


def _bad_ini(path: Path, text: str, exc: configparser.Error) -> RequirementsFileError:
    line = getattr(exc, "lineno", None)
    errors = getattr(exc, "errors", None)
    if line is None and errors:
        line = errors[0][0]
    first = str(exc).splitlines()[0]
    return RequirementsFileError(
        f"{path} cannot be read as setuptools configuration: {first}",
        span=span_at(path, text, int(line or 1)),
        hint="setup.cfg is an INI file: [section] headers, then key = value lines",
    )


def _cfg_requirements(
    path: Path, value: str, finder: LineFinder, key: str
) -> Iterable[tuple[Requirement, SourceLine]]:
    """setuptools' ``_parse_requirements_list``: one requirement a line, or ``;``-separated.

    A value with a line break lists one requirement per line (a ``;`` starts its marker); a
    one-line value is split at ``;``, so ``a; python_version < "3.9"`` there is two items
    and setuptools refuses the second; lockctl refuses it with the way out. ``file:`` reads
    the listed files, as setuptools does.
    """
    stripped = value.strip()
    if stripped.startswith("file:"):
        items = _cfg_files(path, stripped.removeprefix("file:"), key).splitlines()
    elif "\n" in value:
        items = value.splitlines()
    else:
        items = value.split(";")
    for item in items:
        item = item.strip()
        if not item or item.startswith("#"):
            continue
        line = finder.find(item)
        source = SourceLine(path=path, line=line, end_line=line, text=finder.line(line))
        if "\n" not in value and ";" in value and not stripped.startswith("file:"):
            _check_semicolon_form(path, value, source, key)
        yield parse_dependency(item, source, where=key), source


def _check_semicolon_form(path: Path, value: str, source: SourceLine, key: str) -> None:
    try:
        for item in value.split(";"):
            if item.strip():
                Requirement(item.strip())
    except InvalidRequirement:
        raise RequirementsFileError(
            f"{path} {key}: on one line setuptools splits at ';', so {value.strip()!r} is "
            "not one requirement with a marker",
            span=SourceSpan(
                path=path, line=source.line, column=1, text=source.text, length=len(source.text)
            ),
            hint=f"put the requirement on its own line under `{key.split()[-1]} =`",
        ) from None


def _cfg_files(path: Path, names: str, key: str) -> str:
    root = path.parent.resolve()
    parts: list[str] = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            continue
        target = (root / name).resolve()
        if not target.is_relative_to(root):
            raise UsageError(
                f"{path} {key}: file: {name} is outside the project",
                hint="setuptools reads file: only inside the project's directory",
            )
        if target.is_file():  # setuptools skips a listed file that does not exist
            parts.append(read_text(target))
    return "\n".join(parts)
