"""What a project file declares, and the text helpers its readers share.

A project reads into a ``ProjectInput``: its name as written (pip-tools' ``# via`` shows
``name (path)``), every dependency with the line it is on and the extra it belongs to, and
the extras it declares. Extras are compared normalised (PEP 685). ``pyproject_input`` and
``setupcfg_input`` read the two static layouts; ``project_input`` chooses between them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import IncludeError, RequirementsFileError, SourceSpan, UsageError

from .model import RequirementEntry, RequirementsFile, SourceLine

__all__ = [
    "LineFinder",
    "NeedsProjectBuild",
    "ProjectDependency",
    "ProjectInput",
    "line_of",
    "parse_dependency",
    "read_text",
    "span_at",
]


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


def read_text(path: Path) -> str:
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


def span_at(path: Path, text: str, line: int, *, column: int = 1) -> SourceSpan:
    lines = text.splitlines() or [""]
    shown = lines[min(max(line, 1), len(lines)) - 1]
    return SourceSpan(
        path=path, line=line, column=column, text=shown, length=max(len(shown) - column + 1, 1)
    )


class LineFinder:
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


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return 1


def parse_dependency(value: str, source: SourceLine, *, where: str) -> Requirement:
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
