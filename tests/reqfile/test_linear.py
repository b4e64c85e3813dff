"""Hostile input: every pass the parser makes over a line is linear.

Each case runs under ``deadline``: the inputs are large enough that a quadratic pass would
run for hours, while the parser takes a fraction of a second.
"""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from lockctl.errors import RequirementsFileError
from lockctl.reqfile import CommentEntry, OptionEntry, RequirementEntry, parse_text

from .deadline import deadline

PATH = Path("r.in")
_MB = 5_000_000
_LONG_BODY = 900_000  # what the parser reads of a line that is not a comment


def _parse(text: str, environ: dict[str, str] | None = None) -> list[object]:
    with deadline():
        return list(parse_text(text, path=PATH, environ=environ or {}).entries)


def _line_error(text: str, environ: dict[str, str] | None = None) -> RequirementsFileError:
    with deadline(), pytest.raises(RequirementsFileError) as info:
        parse_text(text, path=PATH, environ=environ or {})
    return info.value


# -- comments and continuations --------------------------------------------------------------------


def test_blanks_before_a_comment() -> None:
    [entry] = _parse("rich" + " \t" * (_LONG_BODY // 2) + "# why\n")
    assert isinstance(entry, RequirementEntry) and entry.name == "rich"
    assert entry.comment == "# why"


def test_blanks_with_no_comment_after_them() -> None:
    # Searched with pip's COMMENT_RE, each blank reads the rest of the run: hours here.
    [entry] = _parse("--pre" + " " * _LONG_BODY + "\n")
    assert isinstance(entry, OptionEntry) and entry.name == "pre" and entry.comment is None


def test_a_line_of_blanks_and_hashes_is_a_comment_line() -> None:
    text = " " * _MB + "#" + " #" * _MB + "\n"
    [entry] = _parse(text)
    assert isinstance(entry, CommentEntry) and entry.comment == text.strip()


def test_hashes_that_do_not_start_a_comment() -> None:
    # "x#x#x#...": no '#' follows a blank, so none starts a comment.
    line = "pkg @ https://h/p.zip" + "#x" * (_LONG_BODY // 2)
    [entry] = _parse(line + "\n")
    assert isinstance(entry, RequirementEntry) and entry.comment is None
    assert entry.requirement is not None and entry.requirement.url == line[6:]


def test_a_long_comment_line_is_kept_cheaply() -> None:
    comment = "# " + "x" * 8_000_000
    tracemalloc.start()
    try:
        [entry] = _parse(comment + "\n")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert isinstance(entry, CommentEntry) and entry.comment == comment
    # A place per character took over a hundred times the line's size; a few copies remain.
    assert peak < 8 * len(comment)


def test_a_long_comment_after_a_requirement_is_not_limited() -> None:
    [entry] = _parse("rich==13.7.0  # " + "x" * _MB + "\n")
    assert isinstance(entry, RequirementEntry) and entry.name == "rich"
    assert entry.comment is not None and len(entry.comment) == _MB + 2


def test_many_continuation_lines_end_in_a_comment_line() -> None:
    text = "foo==1 \\\n" + "  --hash=sha256:ab \\\n" * 25_000 + "# end\n"
    [entry] = _parse(text)
    assert isinstance(entry, RequirementEntry) and entry.hashes == ("sha256:ab",) * 25_000
    assert entry.comment == "# end" and entry.source.end_line == 25_002


def test_a_variable_on_each_of_many_continuation_lines() -> None:
    # Each expansion slices the joined line: a slice must visit only the lines it covers.
    text = "foo==1 \\\n" + "  --hash=sha256:${V} \\\n" * 25_000 + "\n"
    [entry] = _parse(text, environ={"V": "ab"})
    assert isinstance(entry, RequirementEntry) and entry.hashes == ("sha256:ab",) * 25_000


def test_an_error_after_many_expansions_points_at_its_line() -> None:
    text = "foo==1 \\\n" + "  --hash=sha256:${V} \\\n" * 25_000 + "  --hash=md5:${V}\n"
    error = _line_error(text, environ={"V": "ab"})
    assert "'md5:ab'" in error.message
    assert (error.span.line, error.span.column, error.span.length) == (25_002, 10, 8)
