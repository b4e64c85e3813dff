"""A project's own files as compile inputs: PEP 621 ``pyproject.toml`` and ``setup.cfg``.

pip-compile accepts ``pyproject.toml``, ``setup.cfg`` and ``setup.py`` as inputs and locks the
project's dependencies (``--extra``/``--all-extras`` add optional ones). pip-tools 7 reads a
``pyproject.toml`` statically when its ``[project]`` table declares them
(``maybe_statically_parse_project_metadata``) and builds everything else. lockctl reads both
``pyproject.toml`` and ``setup.cfg`` statically, the way their own specs define them (PEP 621,
setuptools' declarative config), and says ``NeedsProjectBuild`` for what only a build can
answer (``setup.py``, ``dynamic = ["dependencies"]``): building runs the project's code.

A project reads into a ``ProjectInput``: its name as written (pip-tools' ``# via`` shows
``name (path)``), every dependency with the line it is on and the extra it belongs to, and
the extras it declares. Extras are compared normalised (PEP 685).
"""

from __future__ import annotations

import configparser
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IncludeError, RequirementsFileError, SourceSpan, UsageError

from .model import RequirementEntry, RequirementsFile, SourceLine

__all__ = [
    "PROJECT_FILES",
    "NeedsProjectBuild",
    "ProjectDependency",
    "ProjectInput",
    "is_project_file",
    "project_from_metadata",
    "read_project_dir",
    "read_project_file",
    "read_project_input",
]

PROJECT_FILES = frozenset({"pyproject.toml", "setup.cfg", "setup.py"})  # pip-tools' list
_HOW_TO = "declare them in [project] dependencies (PEP 621), or list them in a .in file"


def is_project_file(path: Path) -> bool:
    """Whether pip-compile would read ``path`` as a project rather than a requirements file."""
    return path.name in PROJECT_FILES


class NeedsProjectBuild(Exception):
    """The project's dependencies are known only to its build backend; ``reason`` says why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(reason)
        self.path = path
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectDependency:
    requirement: Requirement
    source: SourceLine
    extra: NormalizedName | None = None  # None: a dependency of the project itself
    # pip-tools reads a static pyproject.toml's optional dependency with the marker
    # ``extra == "name"`` in place of its own, which drop_extras then removes: the lock shows
    # no marker for it. lockctl still evaluates the requirement's own marker.
    marker_in_lock: bool = True

    def as_metadata(self) -> Requirement:
        """The requirement as a ``Requires-Dist`` line says it: the extra in its marker."""
        if self.extra is None:
            return self.requirement
        marker = self.requirement.marker
        clause = f'extra == "{self.extra}"'
        copy = Requirement(str(self.requirement))
        copy.marker = Marker(clause if marker is None else f"({marker}) and {clause}")
        return copy


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectInput:
    """A project's dependencies as its file declares them."""

    path: Path  # as named on the command line (pip-tools shows it so in ``# via``)
    name: str  # as written in the file (pip-tools' ``comes_from`` keeps it)
    dependencies: tuple[ProjectDependency, ...]
    extras: tuple[NormalizedName, ...]  # declared, in file order
    text: str = ""

    @property
    def label(self) -> str:
        """What a lock's ``# via`` says for these dependencies: pip-tools' ``name (path)``."""
        return f"{self.name} ({self.path.as_posix()})"

    def selected(
        self, extras: Iterable[str], *, all_extras: bool, option: str = "--extra"
    ) -> tuple[ProjectDependency, ...]:
        """The dependencies with these extras; an extra the project lacks is a usage error.

        pip-tools ignores an unknown extra silently; a lock that quietly misses a group of
        dependencies is worse than a refusal naming the extras that exist.
        """
        wanted = set(self.extras) if all_extras else set()
        for extra in extras:
            name = canonicalize_name(extra)
            if name not in self.extras:
                known = ", ".join(self.extras) or "none"
                raise UsageError(
                    f"{option} {extra}: {self.path} has no extra {extra!r}; "
                    f"its extras are: {known}",
                    hint="name one of its extras, or --all-extras",
                )
            wanted.add(name)
        return self._closed_over_self(wanted)

    def _closed_over_self(self, wanted: set[NormalizedName]) -> tuple[ProjectDependency, ...]:
        """A dependency on the project itself (``all = ["proj[test,docs]"]``) names extras.

        pip-tools would build the project to pin it by path; what the author means is the
        union of those extras, so they are added, and the self-reference dropped.
        """
        own = canonicalize_name(self.name)
        pending = list(wanted)
        while pending:
            extra = pending.pop()
            for dependency in self.dependencies:
                if (
                    dependency.extra != extra
                    or canonicalize_name(dependency.requirement.name) != own
                ):
                    continue
                for named in dependency.requirement.extras:
                    if canonicalize_name(named) not in wanted:
                        wanted.add(canonicalize_name(named))
                        pending.append(canonicalize_name(named))
        return tuple(
            dependency
            for dependency in self.dependencies
            if (dependency.extra is None or dependency.extra in wanted)
            and canonicalize_name(dependency.requirement.name) != own
        )

    def as_requirements_file(self) -> RequirementsFile:
        """Every dependency as a requirement line, so fingerprints, ``check`` and ``lockctl
        inputs`` see them; an optional one with its ``extra == "name"`` marker, as the built
        metadata would say it (moving a dependency to an extra changes the file)."""
        return RequirementsFile(
            path=self.path,
            text=self.text,
            entries=tuple(
                RequirementEntry(source=dependency.source, requirement=dependency.as_metadata())
                for dependency in self.dependencies
            ),
        )


def read_project_input(path: Path) -> ProjectInput:
    """The project ``path`` (a pyproject.toml, setup.cfg or setup.py) declares, read statically."""
    if path.name == "setup.py":
        raise NeedsProjectBuild(path, "setup.py declares its dependencies by running it")
    text = _read(path)
    if path.name == "setup.cfg":
        return _from_setup_cfg(path, text)
    return _from_pyproject(path, text)


def read_project_file(path: Path) -> RequirementsFile:
    """A project file's dependencies as requirement lines, for commands that never build."""
    try:
        return read_project_input(path).as_requirements_file()
    except NeedsProjectBuild as needed:
        raise UsageError(
            f"{path}: {needed.reason}; this command does not build projects",
            hint="lockctl compile --allow-build builds it to learn its dependencies",
        ) from None


def read_project_dir(directory: Path, *, shown: Path) -> ProjectInput:
    """The project in ``directory`` (an ``-e`` target): its pyproject.toml, else setup.cfg.

    ``shown`` is the directory as written, for messages.
    """
    pyproject = directory / "pyproject.toml"
    setup_cfg = directory / "setup.cfg"
    if pyproject.is_file():
        text = _read(pyproject)
        if "project" in _toml(pyproject, text):
            return _from_pyproject(pyproject, text)
    if setup_cfg.is_file():
        return _from_setup_cfg(setup_cfg, _read(setup_cfg))
    if (directory / "setup.py").is_file():
        raise NeedsProjectBuild(directory, "its setup.py declares its dependencies by running it")
    if pyproject.is_file():
        raise NeedsProjectBuild(directory, "its pyproject.toml has no [project] table")
    raise UsageError(
        f"{shown} is not a Python project: it has no pyproject.toml, setup.cfg or setup.py",
        hint="give -e the directory that holds the project's pyproject.toml",
    )


def project_from_metadata(
    path: Path, name: str, requires_dist: Sequence[Requirement], provides_extra: Sequence[str]
) -> ProjectInput:
    """A built project's core metadata as a ``ProjectInput`` (``Requires-Dist`` lines).

    As pip-tools does with a built project, each requirement keeps its marker minus the
    ``extra == ...`` clauses (``drop_extras``); the extra becomes the dependency's group.
    """
    extras = tuple(dict.fromkeys(canonicalize_name(extra) for extra in provides_extra))
    source = SourceLine(path=path, line=1, end_line=1, text=path.name)
    dependencies: list[ProjectDependency] = []
    for requirement in requires_dist:
        extra = _extra_of(requirement)
        dependencies.append(
            ProjectDependency(
                requirement=_without_extra_marker(requirement) if extra else requirement,
                source=source,
                extra=extra,
            )
        )
    return ProjectInput(path=path, name=name, dependencies=tuple(dependencies), extras=extras)


_EXTRA_CLAUSE = re.compile(r"""extra\s*==\s*["']([^"']+)["']""")


def _extra_of(requirement: Requirement) -> NormalizedName | None:
    if requirement.marker is None:
        return None
    match = _EXTRA_CLAUSE.search(str(requirement.marker))
    return None if match is None else canonicalize_name(match[1])


def _without_extra_marker(requirement: Requirement) -> Requirement:
    """The requirement with the ``and extra == "x"`` part of its marker removed.

    Build backends write ``dep; (marker) and extra == "x"`` (setuptools, hatchling,
    flit); other shapes keep no marker, which is what pip-tools' ``drop_extras`` keeps of
    ``extra == "x"`` alone.
    """
    assert requirement.marker is not None
    marker = str(requirement.marker)
    rest = _EXTRA_CLAUSE.sub("", marker).strip()
    rest = re.sub(r"^(and|or)\s+|\s+(and|or)$", "", rest).strip()
    if rest.startswith("(") and rest.endswith(")") and rest.count("(") == 1:
        rest = rest[1:-1].strip()
    copy = Requirement(str(requirement))
    copy.marker = None
    if not rest:
        return copy
    try:
        return Requirement(f"{copy}; {rest}")
    except InvalidRequirement:
        return copy


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise IncludeError(f"{path} does not exist", path=path) from None
    except IsADirectoryError:
        raise IncludeError(f"{path} is a directory", path=path) from None
    except UnicodeDecodeError:
        raise IncludeError(f"{path} is not UTF-8 text", path=path) from None
    except OSError as exc:
        raise IncludeError(f"{path} cannot be read: {exc.strerror}", path=path) from None


def _span(path: Path, text: str, line: int, *, column: int = 1) -> SourceSpan:
    lines = text.splitlines() or [""]
    shown = lines[min(max(line, 1), len(lines)) - 1]
    return SourceSpan(
        path=path, line=line, column=column, text=shown, length=max(len(shown) - column + 1, 1)
    )


# -- pyproject.toml (PEP 621) ---------------------------------------------------------------


def _toml(path: Path, text: str) -> dict[str, Any]:
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
            span=_span(path, text, line, column=column),
            hint="fix the TOML syntax; pip and every build tool read this file the same way",
        ) from None
    except TOMLKitError as exc:  # a key given twice, and the like
        raise RequirementsFileError(
            f"{path} is not valid TOML: {str(exc).rstrip('.')}",
            span=_span(path, text, 1),
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


def _from_pyproject(path: Path, text: str) -> ProjectInput:
    document = _toml(path, text)
    project = document.get("project")
    if not isinstance(project, dict):
        raise _no_project_table(path, text, document)
    name = project.get("name")
    if not isinstance(name, str) or not name.strip():
        raise RequirementsFileError(
            f"{path}: [project] has no name",
            span=_span(path, text, _line_of(text, "[project]")),
            hint='PEP 621 requires one: name = "your-project"',
        )
    dynamic = project.get("dynamic", [])
    computed = [f for f in ("dependencies", "optional-dependencies") if f in dynamic]
    if computed:
        raise NeedsProjectBuild(
            path, f"its [project] marks {' and '.join(computed)} as dynamic (PEP 621)"
        )
    finder = _LineFinder(text)
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
        span=_span(path, text, 1),
        hint=_HOW_TO,
    )


def _bad_value(path: Path, text: str, key: str, expected: str) -> RequirementsFileError:
    last = key.rsplit(".", 1)[-1]
    return RequirementsFileError(
        f"{path}: [project] {key} must be {expected}",
        span=_span(path, text, _line_of(text, last)),
        hint='see PEP 621: dependencies = ["rich>=13"]',
    )


def _requirements(
    path: Path, text: str, finder: _LineFinder, values: object, key: str
) -> Iterable[tuple[Requirement, SourceLine]]:
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _bad_value(path, text, key, "a list of requirement strings")
    for value in values:
        line = finder.find(value)
        source = SourceLine(path=path, line=line, end_line=line, text=finder.line(line))
        yield _requirement(value, source, where=f"[project] {key}"), source


class _LineFinder:
    """The line each dependency string is on: searched forward, as the table lists them."""

    def __init__(self, text: str) -> None:
        self._lines = text.splitlines() or [""]
        self._next = 0

    def find(self, value: str) -> int:
        for quoted in (f'"{value}"', f"'{value}'", value):
            for index in range(self._next, len(self._lines)):
                if quoted in self._lines[index]:
                    self._next = index
                    return index + 1
        return 1

    def line(self, number: int) -> str:
        return self._lines[number - 1]


def _line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def _requirement(value: str, source: SourceLine, *, where: str) -> Requirement:
    try:
        return Requirement(value)
    except InvalidRequirement as exc:
        text = source.text
        column = text.find(value) + 1 if value and value in text else 1
        raise RequirementsFileError(
            f"invalid requirement in {where}: {value!r}: {str(exc).splitlines()[0]}",
            span=SourceSpan(
                path=source.path,
                line=source.line,
                column=column,
                text=text,
                length=max(len(value), 1),
            ),
            hint='a requirement follows PEP 508, e.g. name[extra]>=1.0; python_version >= "3.10"',
        ) from None


# -- setup.cfg (setuptools' declarative configuration) -----------------------------------------


def _from_setup_cfg(path: Path, text: str) -> ProjectInput:
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
            span=_span(path, text, _line_of(text, "[metadata]")),
            hint="add name = your-project under [metadata]",
        )
    finder = _LineFinder(text)
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
        span=_span(path, text, int(line or 1)),
        hint="setup.cfg is an INI file: [section] headers, then key = value lines",
    )


def _cfg_requirements(
    path: Path, value: str, finder: _LineFinder, key: str
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
        yield _requirement(item, source, where=key), source


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
            parts.append(_read(target))
    return "\n".join(parts)
