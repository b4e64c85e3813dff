"""Property-style checks over generated text (no hypothesis: a seeded generator).

Whatever the text, parsing either gives entries that cover every physical line once, in
order, and render back to the exact text, or raises a requirements-file error whose every
problem points into the text: the file, a line that exists, a column on that line, that
line as written, and a one-line message.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from lockctl.errors import (
    IncludeError,
    InputError,
    RequirementsFileError,
    RequirementsFileErrors,
    SourceSpan,
)
from lockctl.reqfile import parse_text

# Lines that parse on their own; the generator glues them with awkward separators.
_LINES = (
    "foo==1.0",
    "Bar_baz[x, y] >=2 ; python_version < '3.12'",
    'pkg @ https://files.example/x.whl ; os_name == "nt"',
    "  # a comment",
    "",
    "\t",
    "rich  # why",
    "foo==1 \\",
    "foo==1 \\\n    --hash=sha256:ab \\\r\n    --hash=sha512:cd",
    "--pre",
    "--index-url https://u:p@h/s  # idx",
    "-i ${INDEX}",
    "-e ./p",
    "-e git+https://h/r.git#egg=r",
    "--find-links ./wheels --trusted-host h",
    "cafe-pkg==1  # café ☕",
    "pkg @ https://h/${lower}/p.whl",
)
# Pieces that may break a line: each run of the parser must still end in a value or a
# requirements-file error, never another exception.
_JUNK = (
    "\\",
    "#",
    " #",
    "'",
    '"',
    "${X",
    "${INDEX}",
    "-r",
    " -r https://h/r.txt",
    " --no-index=1",
    " --hash=md5:00",
    " -e .",
    "[",
    "@",
    "--",
    "é",
)
_TERMINATORS = ("\n", "\n", "\n", "\r\n", "\r", "\x0c", "\u2028", "")


def _generate(rng: random.Random) -> str:
    # A UTF-8 byte-order mark may open a file (Windows editors write one).
    parts = ["\ufeff"] if rng.random() < 0.1 else []
    for _ in range(rng.randint(0, 12)):
        line = rng.choice(_LINES)
        if rng.random() < 0.15:
            line += rng.choice(_JUNK)
        parts.append(line + rng.choice(_TERMINATORS))
    return "".join(parts)


# Characters that mangle a generated file: quotes, escapes, line breaks pip splits on, a NUL.
_MANGLERS = "\\#'\" \t\n\r\x0c\u2028\x85${}[]@;=<>~!,.-:/é\ufeff\x00"


def _mangle(rng: random.Random, text: str) -> str:
    chars = list(text)
    for _ in range(rng.randint(1, 6)):
        position = rng.randint(0, len(chars))
        if rng.random() < 0.5 or not chars:
            chars.insert(position, rng.choice(_MANGLERS))
        else:
            del chars[min(position, len(chars) - 1)]
    return "".join(chars)


@pytest.mark.parametrize("seed", range(300))
def test_generated_text(seed: int, tmp_path: Path) -> None:
    _check_parse(_generate(random.Random(seed)), tmp_path / "r.in")


@pytest.mark.parametrize("seed", range(300))
def test_mangled_text(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    _check_parse(_mangle(rng, _generate(rng)), tmp_path / "r.in")


def test_a_nul_in_an_include_is_reported_where_it_is(tmp_path: Path) -> None:
    # Found by mangling generated text as test_mangled_text does (over more seeds): the NUL
    # reached realpath() and escaped as a ValueError.
    text = "rich\n -r http\x00s://h/r.txt\n"
    with pytest.raises(RequirementsFileError) as info:
        parse_text(text, path=tmp_path / "r.in", environ={})
    span = info.value.span
    assert (span.line, span.column, span.length) == (2, 5, 16)
    _assert_points_into(info.value, text, tmp_path / "r.in")


def _check_parse(text: str, path: Path) -> None:
    """Lossless entries over every line, or an error whose every problem is placed."""
    try:
        parsed = parse_text(text, path=path, environ={"INDEX": "https://i/s"})
    except InputError as error:
        _assert_points_into(error, text, path)
        return
    assert parsed.render() == text
    covered: list[int] = []
    for entry in parsed.entries:
        span = list(range(entry.source.line, entry.source.end_line + 1))
        if covered[-len(span) :] != span:
            covered.extend(span)
    assert covered == list(range(1, len(text.splitlines()) + 1))


def _problems(error: InputError) -> tuple[RequirementsFileError | IncludeError, ...]:
    if isinstance(error, RequirementsFileErrors):
        assert len(error.errors) >= 2  # a single problem is raised as itself
        return error.errors
    assert isinstance(error, RequirementsFileError | IncludeError), repr(error)
    return (error,)


def _assert_points_into(error: InputError, text: str, path: Path) -> None:
    # The parser splits as str.splitlines() does; a byte-order mark is not part of line 1.
    lines = text.removeprefix("\ufeff").splitlines()
    spans: list[SourceSpan] = []
    for problem in _problems(error):
        assert problem.message.strip() and len(problem.message.splitlines()) == 1
        span = problem.span
        assert span is not None  # only a file named on the command line has no span
        assert span.path == path
        assert 1 <= span.line <= len(lines)
        # The physical line the problem starts on, as written, even when it continues a
        # logical line (SourceLine.text holds the joined lines; a caret needs just one).
        line = lines[span.line - 1]
        assert span.text == line
        assert 1 <= span.column <= len(line) + 1
        # The caret stays on that line: at most one place past its end.
        assert span.length >= 1 and span.column + span.length - 1 <= len(line) + 1
        spans.append(span)
    # Every problem is reported, in file order.
    assert [span.line for span in spans] == sorted(span.line for span in spans)
