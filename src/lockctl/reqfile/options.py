"""The options a requirements file may hold, and an optparse-compatible reader for them.

The table is pip's ``SUPPORTED_OPTIONS`` and ``SUPPORTED_OPTIONS_REQ`` (pip/_internal/req/
req_file.py). Spellings follow optparse, which pip uses: ``-rfile``, ``-r file``,
``--requirement=file``, ``--requirement file``, and unambiguous prefixes of long options
(``--extra-index`` for ``--extra-index-url``).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

from .shellwords import ShellWord

__all__ = ["OPTIONS", "OptionError", "OptionSpec", "ParsedOption", "parse_options"]

Scope = Literal["include", "editable", "global", "requirement"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OptionSpec:
    """``name`` is the canonical long name without dashes; ``scope`` says where it may go:
    an include line, an ``-e`` line, a line of its own (global), or after a requirement."""

    name: str
    scope: Scope
    takes_value: bool = True
    short: str | None = None
    aliases: tuple[str, ...] = ()


OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec(name="requirement", scope="include", short="r"),
    OptionSpec(name="constraint", scope="include", short="c"),
    OptionSpec(name="editable", scope="editable", short="e"),
    OptionSpec(name="index-url", scope="global", short="i", aliases=("pypi-url",)),
    OptionSpec(name="extra-index-url", scope="global"),
    OptionSpec(name="no-index", scope="global", takes_value=False),
    OptionSpec(name="find-links", scope="global", short="f"),
    OptionSpec(name="pre", scope="global", takes_value=False),
    OptionSpec(name="only-binary", scope="global"),
    OptionSpec(name="no-binary", scope="global"),
    OptionSpec(name="prefer-binary", scope="global", takes_value=False),
    OptionSpec(name="trusted-host", scope="global"),
    OptionSpec(name="require-hashes", scope="global", takes_value=False),
    OptionSpec(name="use-feature", scope="global"),
    OptionSpec(name="hash", scope="requirement"),
    OptionSpec(name="config-settings", scope="requirement", short="C"),
    OptionSpec(name="global-option", scope="requirement"),
)

_LONG: dict[str, OptionSpec] = {
    f"--{name}": spec for spec in OPTIONS for name in (spec.name, *spec.aliases)
}
_SHORT: dict[str, OptionSpec] = {f"-{spec.short}": spec for spec in OPTIONS if spec.short}


@dataclass(frozen=True, slots=True)
class ParsedOption:
    """One option as read: ``flag`` is the word that named it, ``value`` the word (or the
    attached part of a word) holding its argument, with offsets into the option string."""

    spec: OptionSpec
    flag: ShellWord
    value: ShellWord | None


class OptionError(Exception):
    """A problem at ``[start, end)`` of the option string."""

    def __init__(self, message: str, *, start: int, end: int, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.start = start
        self.end = end
        self.hint = hint


def parse_options(words: list[ShellWord]) -> list[ParsedOption]:
    """Read option words; a stray argument is an error (pip's optparse silently drops it)."""
    parsed: list[ParsedOption] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word.value.startswith("--"):
            option, index = _read_long(words, index)
        elif word.value.startswith("-") and word.value != "-":
            option, index = _read_short(words, index)
        else:
            raise OptionError(
                f"unexpected argument {word.value!r}",
                start=word.start,
                end=word.end,
                hint="a requirement must come before any option on its line",
            )
        parsed.append(option)
    return parsed


def _lookup_long(word: ShellWord, name: str) -> OptionSpec:
    if name in _LONG:
        return _LONG[name]
    # optparse accepts any unambiguous prefix of a long option.
    candidates = sorted({key for key in _LONG if key.startswith(name)})
    specs = {_LONG[key].name for key in candidates}
    if len(specs) == 1:
        return _LONG[candidates[0]]
    end = word.start + len(name)
    if specs:
        raise OptionError(
            f"ambiguous option {name} (could be {', '.join(candidates)})",
            start=word.start,
            end=end,
        )
    close = difflib.get_close_matches(name, list(_LONG), n=1)
    hint = f"did you mean {close[0]}?" if close else "not an option pip accepts in a file"
    raise OptionError(f"unknown option {name}", start=word.start, end=end, hint=hint)


def _read_long(words: list[ShellWord], index: int) -> tuple[ParsedOption, int]:
    word = words[index]
    name, equals, attached = word.value.partition("=")
    spec = _lookup_long(word, name)
    if not spec.takes_value:
        if equals:
            raise OptionError(
                f"--{spec.name} does not take a value", start=word.start, end=word.end
            )
        return ParsedOption(spec, word, None), index + 1
    if equals:
        # The value's offsets cover the text after '=' (exact unless quoting moved it).
        value_start = min(word.start + len(name) + 1, word.end)
        return ParsedOption(spec, word, ShellWord(attached, value_start, word.end)), index + 1
    return _take_next(words, index, spec, display=name)


def _read_short(words: list[ShellWord], index: int) -> tuple[ParsedOption, int]:
    word = words[index]
    flag = word.value[:2]
    spec = _SHORT.get(flag)
    if spec is None:
        raise OptionError(
            f"unknown option {flag}",
            start=word.start,
            end=word.start + 2,
            hint="not an option pip accepts in a file",
        )
    attached = word.value[2:]
    if attached:
        # optparse reads "-rfile" as "-r file".
        return ParsedOption(spec, word, ShellWord(attached, word.start + 2, word.end)), index + 1
    return _take_next(words, index, spec, display=flag)


def _take_next(
    words: list[ShellWord], index: int, spec: OptionSpec, *, display: str
) -> tuple[ParsedOption, int]:
    word = words[index]
    if index + 1 >= len(words):
        raise OptionError(
            f"option {display} requires a value",
            start=word.start,
            end=word.end,
            hint=f"write {display} VALUE on one line",
        )
    return ParsedOption(spec, word, words[index + 1]), index + 2
