"""Physical lines to logical lines, the way pip's ``preprocess`` does it.

pip splits with ``str.splitlines()``, joins backslash continuations, strips comments, then
expands ``${VAR}``. We do the same steps but keep, for every character of the resulting
text, the physical line and column it came from, so an error can put a caret under the
exact character even after joining and expansion.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from lockctl.errors import SourceSpan

from .model import SourceLine

__all__ = [
    "LogicalLine",
    "MappedText",
    "PhysicalLine",
    "expand_env",
    "expanded_length",
    "line_count",
    "logical_lines",
    "physical_lines",
]

# pip's COMMENT_RE, ``(^|\s+)#.*$``: a '#' at the start of the line or after whitespace;
# "pkg.zip#frag" is not a comment. Searching pip's form reads a run of blanks again from
# each blank in it (quadratic on a long run with no '#' after it). Here the search jumps
# from '#' to '#' and looks one character back from each; the comment is the rest of the
# line (a logical line holds no line break).
_COMMENT_START = re.compile(r"#(?<!\S#)")
# A physical line that is a comment line, as pip's COMMENT_RE.match sees it; tried at the
# start only, so a run of blanks is read at most twice.
_COMMENT_LINE = re.compile(r"\s*#")
# pip's ENV_VAR_RE: only ${NAME} with POSIX-portable upper-case names (pip PR #3514), so a
# stray "$" or "${lower}" in a URL is left alone. Linear: the name after one "${" ends
# before the next "$", so no character is read from two starts.
_ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
_BOM = "\ufeff"
# What str.splitlines splits on ("\r\n" is one break).
_LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"


@dataclass(frozen=True, slots=True)
class PhysicalLine:
    """One line of the file: ``prefix`` is a byte-order mark on line 1, else empty."""

    number: int
    content: str
    terminator: str
    prefix: str = ""

    @property
    def raw(self) -> str:
        return self.prefix + self.content + self.terminator


class _Run(NamedTuple):
    """Characters from ``offset`` to the next run come from physical line ``line``: from
    ``column`` on (``step`` 1), or all from ``column`` (``step`` 0: a ``${VAR}`` value, placed
    at its ``$``).

    A tuple, not a dataclass: runs sort by offset, so ``bisect`` finds one by comparing
    tuples in C (``(offset,)`` sorts before every run at ``offset``).
    """

    offset: int
    line: int
    column: int
    step: int


@dataclass(frozen=True, slots=True)
class MappedText:
    """A string whose characters each know their (physical line, 0-based column).

    The places are kept as runs, one per physical line or expanded value: a place per
    character made a long line cost a hundred times its size in memory. ``end`` is where
    the end of the text is, so an error at the very end (packaging's "Expected URL after
    @") still has a place.
    """

    text: str
    runs: tuple[_Run, ...]
    end: tuple[int, int]

    def origin(self, index: int) -> tuple[int, int]:
        """The place of ``text[index]``; ``end`` from ``len(text)`` on."""
        if index >= len(self.text):
            return self.end
        run = self.runs[bisect_left(self.runs, (index + 1,)) - 1]
        return run.line, run.column + run.step * (index - run.offset)

    def expanded_until(self, index: int) -> int:
        """Past the expanded value ``text[index]`` is inside of; ``index`` when it is in none."""
        if index >= len(self.text):
            return index
        position = bisect_left(self.runs, (index + 1,))
        run = self.runs[position - 1]
        if run.step or index == run.offset:
            return index
        return self.runs[position].offset if position < len(self.runs) else len(self.text)

    def __getitem__(self, key: slice) -> MappedText:
        start, stop, _ = key.indices(len(self.text))
        if stop <= start:
            return MappedText("", (), self.origin(start))
        # Only the runs the slice covers are visited: slicing a line into pieces (expanding
        # a ${VAR} on each of its many continuation lines) stays linear.
        first = bisect_left(self.runs, (start + 1,)) - 1
        last = bisect_left(self.runs, (stop,))
        runs = tuple(
            _Run(
                max(run.offset - start, 0),
                run.line,
                run.column + run.step * max(start - run.offset, 0),
                run.step,
            )
            for run in self.runs[first:last]
        )
        return MappedText(self.text[start:stop], runs, self.origin(stop))

    def strip(self) -> MappedText:
        stripped = self.text.lstrip()
        start = len(self.text) - len(stripped)
        return self[start : start + len(stripped.rstrip())]


def _concat(pieces: list[MappedText]) -> MappedText:
    runs: list[_Run] = []
    length = 0
    for piece in pieces:
        runs.extend(_Run(r.offset + length, r.line, r.column, r.step) for r in piece.runs)
        length += len(piece.text)
    return MappedText("".join(p.text for p in pieces), tuple(runs), pieces[-1].end)


def _mapped(line: PhysicalLine, start: int, stop: int) -> MappedText:
    runs = (_Run(0, line.number, start, 1),) if stop > start else ()
    return MappedText(line.content[start:stop], runs, (line.number, stop))


@dataclass(frozen=True, slots=True)
class LogicalLine:
    """A line after continuation joining, split into its body and its comment."""

    source: SourceLine
    body: MappedText
    comment: str | None
    physical: tuple[PhysicalLine, ...]

    def span(self, text: MappedText, start: int = 0, end: int | None = None) -> SourceSpan:
        """A caret span for ``text[start:end]``, clipped to the physical line it starts on."""
        end = len(text.text) if end is None else end
        # An end inside an expanded ${VAR} value moves past it: the caret then covers the
        # whole reference as written.
        if start < end:
            end = text.expanded_until(end)
        line_no, column = text.origin(start)
        end_line, end_column = text.origin(max(end, start))
        physical = next(p for p in self.physical if p.number == line_no)
        if end_line == line_no:
            length = max(1, end_column - column)
        else:
            length = max(1, len(physical.content) - column)
        return SourceSpan(
            path=self.source.path,
            line=line_no,
            column=column + 1,
            text=physical.content,
            length=length,
        )


def physical_lines(text: str) -> list[PhysicalLine]:
    """Split as pip does (``str.splitlines``, so also on form feeds and U+2028)."""
    result: list[PhysicalLine] = []
    for number, chunk in enumerate(text.splitlines(keepends=True), start=1):
        content = chunk.splitlines()[0]
        prefix = ""
        if number == 1 and content.startswith(_BOM):
            # pip's auto_decode drops a UTF-8 BOM; we keep it for rendering only.
            prefix, content = _BOM, content[1:]
        result.append(PhysicalLine(number, content, chunk[len(prefix) + len(content) :], prefix))
    return result


def line_count(text: str) -> int:
    """``len(physical_lines(text))``, counted without building a line."""
    breaks = sum(text.count(char) for char in _LINE_BREAKS) - text.count("\r\n")
    return breaks + (1 if text and text[-1] not in _LINE_BREAKS else 0)


def _is_comment_line(content: str) -> bool:
    return _COMMENT_LINE.match(content) is not None


def logical_lines(text: str, *, path: Path) -> list[LogicalLine]:
    """Join continuations like pip's ``join_lines``.

    A line ending in a backslash joins the next one, unless it is itself a comment line; a
    comment line ends a continuation in progress (pip prepends a space so its '#' still
    reads as a comment). pip strips backslashes from both ends of a continued line
    (``line.strip("\\\\")``), and so do we.
    """
    result: list[LogicalLine] = []
    pending: list[PhysicalLine] = []
    pieces: list[MappedText] = []
    for line in physical_lines(text):
        content = line.content
        if content.endswith("\\") and not _is_comment_line(content):
            start = len(content) - len(content.lstrip("\\"))
            stop = len(content.rstrip("\\"))
            pieces.append(_mapped(line, start, max(start, stop)))
            pending.append(line)
            continue
        if pending and _is_comment_line(content):
            pieces.append(MappedText(" ", (_Run(0, line.number, 0, 0),), (line.number, 0)))
        pieces.append(_mapped(line, 0, len(content)))
        pending.append(line)
        result.append(_finish(tuple(pending), _concat(pieces), path))
        pending, pieces = [], []
    if pending:
        # The last line ended in a backslash: pip joins it with nothing.
        result.append(_finish(tuple(pending), _concat(pieces), path))
    return result


def _finish(physical: tuple[PhysicalLine, ...], joined: MappedText, path: Path) -> LogicalLine:
    source = SourceLine(
        path=path,
        line=physical[0].number,
        end_line=physical[-1].number,
        text="\n".join(p.content for p in physical),
        raw="".join(p.raw for p in physical),
    )
    match = _COMMENT_START.search(joined.text)
    if match is None:
        return LogicalLine(source, joined.strip(), None, physical)
    body = joined[: match.start()].strip()
    return LogicalLine(source, body, joined.text[match.start() :], physical)


def expanded_length(text: MappedText, environ: Mapping[str, str]) -> int:
    """How long ``expand_env`` would make ``text``, without making it."""
    length = len(text.text)
    for match in _ENV_VAR.finditer(text.text):
        value = environ.get(match["name"])
        if value:
            length += len(value) - (match.end() - match.start())
    return length


def expand_env(text: MappedText, environ: Mapping[str, str]) -> MappedText:
    """Expand ``${NAME}`` like pip's ``expand_env_variables``.

    An undefined or empty variable is left as written (pip skips falsy values). Expanded
    characters point back at the ``$`` of their reference, so errors inside a value still
    land on the right column.
    """
    pieces: list[MappedText] = []
    last = 0
    for match in _ENV_VAR.finditer(text.text):
        value = environ.get(match["name"])
        if not value:
            continue
        pieces.append(text[last : match.start()])
        line, column = origin = text.origin(match.start())
        pieces.append(MappedText(value, (_Run(0, line, column, 0),), origin))
        last = match.end()
    if not pieces:
        return text
    pieces.append(text[last:])
    return _concat(pieces)
