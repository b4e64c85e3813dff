"""The comments under a pin: pip-tools' ``# via`` lines and lockctl's ``# override:`` lines.

Written by ``piptools`` and read back by ``reader``, so both directions live here.

``# via`` follows pip-tools: the sources are sorted as plain strings (so ``-c`` and ``-r``
entries come before project names), a root requirement shows as ``-r PATH`` and a constraint
as ``-c PATH`` with the path as pip printed the include chain, line numbers dropped.

An override is lockctl's own (pip-tools has none). Each ``OverrideNote`` is one comment line,
under the ``# via`` lines of the pin it changed::

    # override: `rich>=13.9.4` from overrides.txt replaces `rich<13.8` asked by fastmcp

and with two replaced requirements (still one line)::

    # override: `rich>=13.9.4` from the command line replaces `rich<13.8` asked by fastmcp, \
`rich==13.7.0` asked by -r requirements-core.in

- the override requirement, in backticks (a requirement never holds one), then ``from`` and
  the file it was written in, or ``from the command line``;
- ``replaces`` and each requirement it replaced, in backticks, with ``asked by`` and who
  asked (a project name, or the input file as ``-r PATH``/``-c PATH``), joined by ``, `` and
  sorted, so the line is stable from one compile to the next;
- ``replaces nothing`` when the override did not replace any requirement.

pip and pip-tools read it as a comment; ``lockctl check`` reads it back with
``parse_override``.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from lockctl.resolver.models import Origin, OverrideNote, ResolvedPin, RootRequirement

from .format import VIA, VIA_ITEM

__all__ = [
    "OVERRIDE_PREFIX",
    "ParsedOverride",
    "display_path",
    "format_override",
    "format_via",
    "override_source",
    "parse_override",
    "root_source",
    "via_sources",
]

OVERRIDE_PREFIX = "# override: "
COMMAND_LINE = "the command line"
# An override comment and each replaced requirement in it. A lock may come from anywhere, so
# both are linear on any text: _OVERRIDE is tried at the start only, and with DOTALL its last
# group, like _REPLACED's "who", always reaches the end (or the next ", `") once it starts,
# so a failure is never retried further on. parse_override refuses a line break first, as
# "." without DOTALL did.
_OVERRIDE = re.compile(
    r"# override: `(?P<override>[^`]+)` from (?P<source>.+?) replaces (?P<replaced>.+)\Z",
    re.DOTALL,
)
_REPLACED = re.compile(r"`(?P<requirement>[^`]+)` asked by (?P<who>.+?)(?=, `|\Z)", re.DOTALL)


def display_path(path: Path, relative_to: Path | None) -> str:
    """A path as pip-tools prints it in ``# via``: POSIX, normalised, relative when it can be.

    Current pip normalises the path of an include joined onto its parent's directory
    (``layers/../shared/x.in`` becomes ``shared/x.in``; pip 23 did not); pip-tools only turns
    absolute paths relative (to its working directory).
    """
    if path.is_absolute() and relative_to is not None:
        return Path(os.path.relpath(path, relative_to)).as_posix()
    return posixpath.normpath(path.as_posix())


def root_source(root: RootRequirement, relative_to: Path | None) -> str | None:
    if root.kind == "override" or root.origin.line is None:
        return None  # overrides get their own comment; a command-line root has no file
    if root.origin.parent is not None:
        return root.origin.parent  # an editable project's dependency: the project, as a parent
    if root.origin.project is not None:
        return root.origin.project  # a project input: pip-tools' ``name (path)``
    flag = "-c" if root.kind == "constraint" else "-r"
    return f"{flag} {display_path(root.origin.line.path, relative_to)}"


def via_sources(pin: ResolvedPin, relative_to: Path | None) -> set[str]:
    """What pip-tools' ``required_by`` holds for this pin: parents and input files."""
    sources: set[str] = set(pin.parents)
    for root in pin.roots:
        source = root_source(root, relative_to)
        if source is not None:
            sources.add(source)
    return sources


def format_via(sources: Iterable[str], *, style: str, strip_extras: bool) -> str:
    """The annotation, lines after the first indented as pip-tools indents them."""
    ordered = sorted(sources)
    if style == "line":
        text = f"{VIA} " + ", ".join(ordered)
    elif len(ordered) == 1:
        text = f"{VIA} {ordered[0]}"
    else:
        text = "\n".join([VIA, *(f"    {VIA_ITEM}{source}" for source in ordered)])
    return _strip_extras(text) if strip_extras else text


def _strip_extras(text: str) -> str:
    """pip-tools' ``strip_extras``, ``re.sub(r"\\[.+?\\]", "", text)``, applied to the
    annotation too, in one pass.

    The search pip-tools uses rescans the rest of the line from every '[' when no ']'
    follows (quadratic on "[[[["); a line here is scanned from its first '[' only, because
    when that one has no ']' after it, no later one has either.
    """
    return "\n".join(_strip_extras_line(line) for line in text.split("\n"))


def _strip_extras_line(line: str) -> str:
    kept: list[str] = []
    position = 0
    while (start := line.find("[", position)) >= 0:
        end = line.find("]", start + 2)  # ".+?": at least one character between
        if end < 0:
            break
        kept.append(line[position:start])
        position = end + 1
    kept.append(line[position:])
    return "".join(kept)


def override_source(origin: Origin, relative_to: Path | None) -> str:
    if origin.line is None:
        return COMMAND_LINE
    return display_path(origin.line.path, relative_to)


def format_override(note: OverrideNote, relative_to: Path | None) -> str:
    source = override_source(note.override.origin, relative_to)
    head = f"{OVERRIDE_PREFIX}`{note.override.requirement}` from {source}"
    replaced = sorted(
        {(str(requirement), _who(who, relative_to)) for who, requirement in note.replaced}
    )
    if not replaced:
        return f"{head} replaces nothing"
    return f"{head} replaces " + ", ".join(f"`{req}` asked by {who}" for req, who in replaced)


def _who(who: str, relative_to: Path | None) -> str:
    """``-r /abs/core.in`` shown like the ``# via`` lines show files; project names as they are."""
    flag, _, path = who.partition(" ")
    if flag in ("-r", "-c") and path:
        return f"{flag} {display_path(Path(path), relative_to)}"
    return who


@dataclass(frozen=True, slots=True, kw_only=True)
class ParsedOverride:
    """An ``# override:`` comment read back: who asked for what, and what it replaced."""

    requirement: Requirement
    source: str  # a path as written, or "the command line"
    replaced: tuple[tuple[str, Requirement], ...] = ()  # (who asked, what), as in OverrideNote

    @property
    def from_command_line(self) -> bool:
        return self.source == COMMAND_LINE


def parse_override(comment: str) -> ParsedOverride | None:
    """The override a comment describes; None when it is not a well-formed override comment."""
    text = comment.strip()
    if "\n" in text:
        return None  # an override comment is one line
    match = _OVERRIDE.match(text)
    if match is None:
        return None
    try:
        requirement = Requirement(match["override"])
        replaced: list[tuple[str, Requirement]] = []
        if match["replaced"] != "nothing":
            for item in _REPLACED.finditer(match["replaced"]):
                replaced.append((item["who"], Requirement(item["requirement"])))
            if not replaced:
                return None
    except InvalidRequirement:
        return None  # a hand-edited comment: it stays a comment
    return ParsedOverride(requirement=requirement, source=match["source"], replaced=tuple(replaced))
