"""The values a requirements file parses into.

A parsed file keeps every logical line as an entry, with the exact text it came from, so that
``RequirementsFile.render()`` gives back the original text exactly, and callers can point
at any line ("rich==13.7.0 comes from requirements-core.in line 5").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, Literal, TypeVar

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import SourceSpan
from lockctl.urls import SecretURL, redact_text

__all__ = [
    "BlankEntry",
    "CommentEntry",
    "Entry",
    "IncludeEntry",
    "Located",
    "OptionEntry",
    "RequirementEntry",
    "RequirementsFile",
    "SourceLine",
    "shown_path",
]


def shown_path(path: Path) -> str:
    """A path as a person typed it: relative to the working directory when it is inside it."""
    if path.is_absolute():
        try:
            return str(path.relative_to(Path.cwd()))
        except ValueError:
            return str(path)
    return str(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceLine:
    """Where a logical line came from.

    ``text`` is the physical lines joined with ``"\\n"`` (what a message should quote);
    ``raw`` is the exact slice of the file, line terminators and byte-order mark included
    (what rendering writes back). A hand-built line may leave ``raw`` empty: rendering then
    writes ``text`` and a ``"\\n"``.
    """

    path: Path
    line: int
    end_line: int
    text: str
    raw: str = ""

    def describe(self) -> str:
        """Where the line is, as every message says it: ``requirements-core.in line 5``."""
        return f"{shown_path(self.path)} line {self.line}"

    def span(self) -> SourceSpan:
        """The whole line as the place of an error: from its first character to its last."""
        first = self.text.splitlines()[0] if self.text else ""
        indent = len(first) - len(first.lstrip())
        return SourceSpan(
            path=self.path,
            line=self.line,
            column=indent + 1,
            text=first,
            length=max(len(first.strip()), 1),
        )

    def __repr__(self) -> str:
        # The text may hold an index URL with a password: show it redacted, as SecretURL does.
        return (
            f"SourceLine(path={self.path!r}, line={self.line}, end_line={self.end_line}, "
            f"text={redact_text(self.text)!r})"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementEntry:
    """A requirement line, or an ``-e`` line.

    ``requirement`` is None only for an editable whose project name cannot be known without
    building it (``-e ./local/path`` with no ``#egg=`` fragment); ``editable_target`` then
    still holds the path or URL as written (after ``${VAR}`` expansion, extras included).
    """

    source: SourceLine
    comment: str | None = None
    requirement: Requirement | None
    hashes: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()
    editable: bool = False
    editable_target: str | None = None

    @property
    def name(self) -> NormalizedName | None:
        return None if self.requirement is None else canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionEntry:
    """A global option line such as ``--index-url``; one entry per option on the line.

    For a URL value (index-url, extra-index-url, find-links) ``url`` holds it and ``value`` is
    its redacted form, so printing an entry never shows a password. A local find-links
    directory is resolved against the including file's directory and kept in ``value``.
    """

    source: SourceLine
    comment: str | None = None
    name: str
    value: str | None = None
    url: SecretURL | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CommentEntry:
    source: SourceLine
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BlankEntry:
    source: SourceLine
    comment: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class IncludeEntry:
    """An ``-r`` or ``-c`` line and the file it brings in."""

    source: SourceLine
    comment: str | None = None
    kind: Literal["requirement", "constraint"]
    target: str
    path: Path
    file: RequirementsFile


Entry = RequirementEntry | IncludeEntry | OptionEntry | CommentEntry | BlankEntry

E = TypeVar("E", RequirementEntry, OptionEntry)


@dataclass(frozen=True, slots=True, kw_only=True)
class Located(Generic[E]):
    """An entry and the chain of include lines that led to it (empty for the top file).

    ``constraint`` is True when the chain passes through a ``-c`` include.
    """

    entry: E
    via: tuple[SourceLine, ...] = ()
    constraint: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class RequirementsFile:
    path: Path
    text: str = field(repr=False)  # long, and may hold credentials
    entries: tuple[Entry, ...]

    def render(self) -> str:
        """The file's text, rebuilt from its entries' source lines."""
        return render_entries(self.entries)

    def iter_requirements(
        self, *, constraints: bool = False
    ) -> Iterator[Located[RequirementEntry]]:
        """Requirements in file order, following ``-r`` includes depth-first.

        With ``constraints=True``, ``-c`` includes are followed too and everything below one
        is marked ``constraint``. pip treats an ``-r`` nested inside a constraints file as
        requirements; lockctl keeps it a constraint, which is what such a line means.
        """
        for located in self._walk((), constraint=False, follow_constraints=constraints):
            if isinstance(located.entry, RequirementEntry):
                yield Located(entry=located.entry, via=located.via, constraint=located.constraint)

    def iter_options(self) -> Iterator[Located[OptionEntry]]:
        """Global options across ``-r`` and ``-c`` includes: pip applies both files' options."""
        for located in self._walk((), constraint=False, follow_constraints=True):
            if isinstance(located.entry, OptionEntry):
                yield Located(entry=located.entry, via=located.via, constraint=located.constraint)

    def _walk(
        self, via: tuple[SourceLine, ...], *, constraint: bool, follow_constraints: bool
    ) -> Iterator[_Visit]:
        for entry in self.entries:
            if isinstance(entry, IncludeEntry):
                is_constraint = entry.kind == "constraint"
                if is_constraint and not follow_constraints:
                    continue
                yield from entry.file._walk(
                    (*via, entry.source),
                    constraint=constraint or is_constraint,
                    follow_constraints=follow_constraints,
                )
            else:
                yield _Visit(entry=entry, via=via, constraint=constraint)


@dataclass(frozen=True, slots=True)
class _Visit:
    entry: Entry
    via: tuple[SourceLine, ...]
    constraint: bool


def render_entries(entries: tuple[Entry, ...]) -> str:
    """Join the raw text of each logical line once.

    A line holding several options (``--index-url X --trusted-host Y``, which pip accepts)
    becomes several consecutive entries sharing one ``SourceLine``: it is written once.
    """
    parts: list[str] = []
    previous: SourceLine | None = None
    for entry in entries:
        if entry.source is previous or entry.source == previous:
            continue
        previous = entry.source
        parts.append(entry.source.raw or entry.source.text + "\n")
    return "".join(parts)
