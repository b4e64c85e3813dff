"""Read requirements files and follow their ``-r``/``-c`` includes.

Every problem found is collected (a bad line does not hide the next one, a missing include
does not hide a bad line in its sibling); one problem is raised as itself, several as
``RequirementsFileErrors``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lockctl.errors import (
    IncludeError,
    RequirementsFileError,
    RequirementsFileErrors,
    SourceSpan,
)

from .entries import IncludeRequest, read_line
from .limits import MAX_FILE_SIZE, MAX_LINES
from .lines import line_count, logical_lines, physical_lines
from .model import Entry, IncludeEntry, RequirementsFile

__all__ = ["parse_file", "parse_text"]

Problem = RequirementsFileError | IncludeError
# What surrogateescape decodes an undecodable byte to.
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def parse_text(
    text: str, *, path: Path, environ: Mapping[str, str] | None = None
) -> RequirementsFile:
    """Parse ``text`` as the file ``path``; includes are read from disk next to ``path``."""
    too_large = _size_problem(text, path, span=None)
    if too_large is not None:
        raise too_large
    walker = _Walker(os.environ if environ is None else environ)
    parsed = walker.parse(text, path, stack=((_identity(path), path),))
    walker.raise_problems()
    return parsed


def parse_file(path: Path, *, environ: Mapping[str, str] | None = None) -> RequirementsFile:
    """Read and parse ``path``. A missing top-level file is an ``IncludeError`` without span."""
    walker = _Walker(os.environ if environ is None else environ)
    text = walker.read(path, span=None)
    if text is None:
        walker.raise_problems()
        raise AssertionError("read() records a problem whenever it returns None")
    parsed = walker.parse(text, path, stack=((_identity(path), path),))
    walker.raise_problems()
    return parsed


def _identity(path: Path) -> Path:
    """What makes two spellings of an include the same file, for cycle detection."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop on Python < 3.13
        return path.absolute()


@dataclass
class _Walker:
    environ: Mapping[str, str]
    problems: list[Problem] = field(default_factory=list)
    # A file included twice along different paths (a diamond) is parsed once; keyed on the
    # spelling too, so each IncludeEntry's file.path is the path its own line names.
    parsed: dict[tuple[Path, Path], RequirementsFile] = field(default_factory=dict)

    def raise_problems(self) -> None:
        if len(self.problems) == 1:
            raise self.problems[0]
        if self.problems:
            raise RequirementsFileErrors(tuple(self.problems))

    def parse(
        self, text: str, path: Path, *, stack: tuple[tuple[Path, Path], ...]
    ) -> RequirementsFile:
        entries: list[Entry] = []
        for line in logical_lines(text, path=path):
            try:
                result = read_line(line, environ=self.environ, base_dir=path.parent)
            except RequirementsFileError as exc:
                self.problems.append(exc)
                continue
            if not isinstance(result, IncludeRequest):
                entries.extend(result)
                continue
            included = self._include(result, stack)
            if included is not None:
                entries.append(
                    IncludeEntry(
                        source=line.source,
                        comment=line.comment,
                        kind=result.kind,
                        target=result.target,
                        path=result.path,
                        file=included,
                    )
                )
        return RequirementsFile(path=path, text=text, entries=tuple(entries))

    def _include(
        self, request: IncludeRequest, stack: tuple[tuple[Path, Path], ...]
    ) -> RequirementsFile | None:
        key = _identity(request.path)
        keys = [identity for identity, _ in stack]
        if key in keys:
            chain = (*(given for _, given in stack[keys.index(key) :]), request.path)
            self.problems.append(
                IncludeError(
                    "include cycle: " + " -> ".join(str(p) for p in chain),
                    path=request.path,
                    span=request.target_span,
                    chain=chain,
                )
            )
            return None
        cached = self.parsed.get((key, request.path))
        if cached is not None:
            return cached
        text = self.read(request.path, span=request.target_span)
        if text is None:
            return None
        parsed = self.parse(text, request.path, stack=(*stack, (key, request.path)))
        self.parsed[(key, request.path)] = parsed
        return parsed

    def read(self, path: Path, *, span: SourceSpan | None) -> str | None:
        """The file's text, or None after recording why it cannot be had."""
        try:
            with path.open("rb") as file:
                # One byte past the limit tells a file too large without reading all of it.
                data = file.read(MAX_FILE_SIZE + 1)
        except FileNotFoundError:
            self.problems.append(
                IncludeError(f"requirements file not found: {path}", path=path, span=span)
            )
            return None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.problems.append(
                IncludeError(
                    f"cannot read requirements file {path}: {reason}", path=path, span=span
                )
            )
            return None
        if len(data) > MAX_FILE_SIZE:
            self.problems.append(_too_large(path, span, f"{MAX_FILE_SIZE:,} bytes"))
            return None
        # surrogateescape keeps one character per undecodable byte, so the size is checked
        # before a bad byte is looked for, and its offset is that of pip's line splitting.
        text = data.decode("utf-8", "surrogateescape")
        problem = _size_problem(text, path, span=span) or _not_utf8(text, path)
        if problem is not None:
            self.problems.append(problem)
            return None
        return text


def _size_problem(text: str, path: Path, *, span: SourceSpan | None) -> IncludeError | None:
    """Why ``text`` is too large to parse (see ``limits``), before any line of it is read."""
    if len(text) > MAX_FILE_SIZE:
        return _too_large(path, span, f"{MAX_FILE_SIZE:,} characters")
    if line_count(text) > MAX_LINES:
        return _too_large(path, span, f"{MAX_LINES:,} lines")
    return None


def _too_large(path: Path, span: SourceSpan | None, limit: str) -> IncludeError:
    return IncludeError(
        f"requirements file too large: {path} is over {limit}", path=path, span=span
    )


def _not_utf8(text: str, path: Path) -> RequirementsFileError | None:
    """Strict UTF-8 (a BOM is kept, see ``lines``); an error points at the first bad byte.

    ``text`` is decoded with surrogateescape: strict UTF-8 never gives a lone surrogate, so
    one is a byte that did not decode. pip's ``auto_decode`` also honours UTF-16/32 BOMs,
    ``# -*- coding`` declarations and the locale's encoding; lockctl reads and writes UTF-8
    only, so a lockfile means the same thing on every machine.
    """
    bad = _ESCAPED_BYTE.search(text)
    if bad is None:
        return None
    offset = bad.start()
    line_number, column, line_text = 1, offset + 1, ""
    for line in physical_lines(text):
        line_number, line_text = line.number, line.content
        if offset < len(line.raw):
            column = offset - len(line.prefix) + 1
            break
        offset -= len(line.raw)
    shown = line_text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return RequirementsFileError(
        f"not valid UTF-8: byte 0x{ord(bad.group()) - 0xDC00:02x}",
        span=SourceSpan(path=path, line=line_number, column=column, text=shown),
        hint="save the file as UTF-8",
    )
