"""Hostile input: what is too large to be a requirements file is refused, and says where.

Each case runs under ``deadline``, as in ``test_linear``: the inputs are megabytes long, and
a refusal takes milliseconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.errors import IncludeError, RequirementsFileError
from lockctl.reqfile import (
    IncludeEntry,
    RequirementEntry,
    RequirementsFileErrors,
    parse_file,
    parse_text,
)
from lockctl.reqfile.limits import (
    MAX_FILE_SIZE,
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_NAME_CHARS,
    SHOWN_CHARS,
)
from lockctl.reqfile.lines import line_count

from .deadline import deadline

PATH = Path("r.in")
_MB = 5_000_000


def _parse(text: str, environ: dict[str, str] | None = None) -> list[object]:
    with deadline():
        return list(parse_text(text, path=PATH, environ=environ or {}).entries)


def _line_error(text: str, environ: dict[str, str] | None = None) -> RequirementsFileError:
    with deadline(), pytest.raises(RequirementsFileError) as info:
        parse_text(text, path=PATH, environ=environ or {})
    return info.value


# -- the line limit --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("a" * _MB, id="letters"),
        pytest.param("a:" * (_MB // 2), id="a-colon"),
        pytest.param("a://" * (_MB // 4), id="a-scheme"),
        pytest.param("x" + " " * _MB + "y", id="blanks"),
        pytest.param("x[" + "y," * (_MB // 2), id="extras"),
        pytest.param("--pre " * (_MB // 6), id="options"),
    ],
)
def test_a_line_over_the_limit_is_refused_at_its_start(line: str) -> None:
    error = _line_error("rich==13.7.0\n" + line + "\n")
    assert error.message.startswith(f"line too long: {len(line.strip()):,} characters")
    span = error.span
    assert (span.path, span.line, span.column) == (PATH, 2, 1)
    assert span.text == line[:SHOWN_CHARS] and span.length == SHOWN_CHARS


def test_the_limit_is_on_the_logical_line() -> None:
    text = "ok==1\n# c\nfoo==1 \\\n" + "  --hash=sha256:" + "a" * MAX_LINE_CHARS + "\n"
    error = _line_error(text)
    assert (error.span.line, error.span.column, error.span.length) == (3, 1, 8)
    assert error.span.text == "foo==1 \\"


def test_a_line_at_the_limit_is_parsed() -> None:
    head = "foo==1 --hash=sha256:"
    digest = "a" * (MAX_LINE_CHARS - len(head))
    [entry] = _parse(head + digest + "\n")
    assert isinstance(entry, RequirementEntry) and entry.hashes == ("sha256:" + digest,)
    error = _line_error(head + digest + "a\n")
    assert f"{MAX_LINE_CHARS + 1:,} characters" in error.message


def test_expansion_past_the_limit_is_refused_before_it_is_made() -> None:
    line = "foo==${V}" * 1000
    error = _line_error(line + "\n", environ={"V": "1" * 10_000})
    assert "after ${VAR} expansion" in error.message
    assert (error.span.line, error.span.column, error.span.text) == (1, 1, line[:SHOWN_CHARS])


def test_an_over_long_line_is_shown_redacted() -> None:
    secret = "s" * 200
    text = f"--index-url https://user:{secret}@pkgs.example/simple/{'x' * MAX_LINE_CHARS}\n"
    error = _line_error(text)
    assert secret[:10] not in error.span.text
    assert error.span.text.startswith("--index-url https://user:****@pkgs.example/")


# -- the name limit --------------------------------------------------------------------------


def test_a_name_at_the_limit_is_parsed() -> None:
    [entry] = _parse("n" * MAX_NAME_CHARS + "==1\n")
    assert isinstance(entry, RequirementEntry) and entry.name == "n" * MAX_NAME_CHARS


@pytest.mark.parametrize("length", [MAX_NAME_CHARS + 1, MAX_LINE_CHARS - 10])
def test_a_name_over_the_limit_is_refused(length: int) -> None:
    error = _line_error("rich\n  " + "n" * length + "[x]==1\n")
    assert error.message == (
        f"project name too long: {length:,} characters; the limit is {MAX_NAME_CHARS}"
    )
    span = error.span
    assert (span.line, span.column, span.length) == (2, 3, min(length, SHOWN_CHARS))
    assert span.text == "  " + "n" * min(length, SHOWN_CHARS)


def test_an_egg_name_over_the_limit_is_refused() -> None:
    line = "-e git+https://h/r.git#egg=" + "e" * (MAX_NAME_CHARS + 1)
    error = _line_error(line + "\n")
    assert error.message.startswith("project name too long")
    assert (error.span.column, error.span.length) == (4, SHOWN_CHARS)


# -- the file limits -------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as file:
        file.truncate(MAX_FILE_SIZE + 1)  # sparse: nothing is written
    (tmp_path / "top.in").write_text("rich\n-r big.txt\n", encoding="utf-8")
    with deadline(), pytest.raises(IncludeError) as info:
        parse_file(tmp_path / "top.in", environ={})
    error = info.value
    assert error.message == (f"requirements file too large: {big} is over {MAX_FILE_SIZE:,} bytes")
    assert error.path == big
    assert error.span is not None and (error.span.line, error.span.column) == (2, 4)
    with pytest.raises(IncludeError) as top:
        parse_file(big, environ={})
    assert top.value.path == big and top.value.span is None


def test_text_over_the_size_limit_is_refused() -> None:
    with deadline(), pytest.raises(IncludeError) as info:
        parse_text("#" * (MAX_FILE_SIZE + 1), path=PATH, environ={})
    assert info.value.message.endswith(f"over {MAX_FILE_SIZE:,} characters")
    assert info.value.path == PATH and info.value.span is None


@pytest.mark.parametrize("line", ["\n", "a\n", "#\r\n", "\x0c"])
def test_a_file_with_too_many_lines_is_refused_before_any_is_read(line: str) -> None:
    with deadline(), pytest.raises(IncludeError) as info:
        parse_text(line * (MAX_LINES + 1), path=PATH, environ={})
    assert info.value.message == f"requirements file too large: {PATH} is over {MAX_LINES:,} lines"


def test_too_many_lines_is_found_before_a_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "r.in"
    path.write_bytes(b"\n" * (MAX_LINES + 1) + b"\xff\n")
    with deadline(), pytest.raises(IncludeError) as info:
        parse_file(path, environ={})
    assert info.value.message.endswith(f"over {MAX_LINES:,} lines")


def test_problems_past_the_limits_are_collected_with_the_others() -> None:
    text = "foo==\n" + "a" * (MAX_LINE_CHARS + 1) + "\n" + "n" * (MAX_NAME_CHARS + 1) + "\n"
    with deadline(), pytest.raises(RequirementsFileErrors) as info:
        parse_text(text, path=PATH, environ={})
    assert [(e.span.line if e.span else 0) for e in info.value.errors] == [1, 2, 3]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "a",
        "a\n",
        "a\r\nb",
        "a\r\rb\n",
        "\n\n",
        "\r",
        "a\x1cb\x1dc\x1ed\x85e\u2028f\u2029",
        "\x0b\x0c",
    ],
)
def test_line_count_is_what_splitlines_gives(text: str) -> None:
    assert line_count(text) == len(text.splitlines())


def test_an_include_of_a_normal_file_still_works(tmp_path: Path) -> None:
    (tmp_path / "top.in").write_text("-r leaf.in\n", encoding="utf-8")
    (tmp_path / "leaf.in").write_text("rich\n", encoding="utf-8")
    [entry] = parse_file(tmp_path / "top.in", environ={}).entries
    assert isinstance(entry, IncludeEntry) and entry.file.entries[0].source.text == "rich"
