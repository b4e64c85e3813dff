"""Split an option string into words the way ``shlex.split`` does, keeping offsets.

pip hands the options part of a line to ``shlex.split`` (POSIX mode, no comments) and then
to optparse. ``shlex`` does not say where each word started, which an error caret needs, so
this is a small re-implementation of the same rules:

* blanks (space, tab, CR, LF) separate words; quotes join text into one word (``a"b c"``);
* inside ``'...'`` everything is literal;
* inside ``"..."`` a backslash escapes only ``"`` and another backslash;
* outside quotes a backslash makes the next character literal.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ShellSplitError", "ShellWord", "split_words"]

_BLANKS = " \t\r\n"


@dataclass(frozen=True, slots=True)
class ShellWord:
    """A word and the ``[start, end)`` offsets of its text in the split string."""

    value: str
    start: int
    end: int


class ShellSplitError(Exception):
    """An unterminated quote or a trailing backslash; ``offset`` is where it starts."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


def split_words(text: str) -> list[ShellWord]:
    words: list[ShellWord] = []
    index = 0
    while index < len(text):
        if text[index] in _BLANKS:
            index += 1
            continue
        start = index
        value, index = _read_word(text, index)
        words.append(ShellWord(value, start, index))
    return words


def _read_word(text: str, index: int) -> tuple[str, int]:
    chars: list[str] = []
    while index < len(text) and text[index] not in _BLANKS:
        char = text[index]
        if char == "'":
            end = text.find("'", index + 1)
            if end < 0:
                raise ShellSplitError("no closing quotation", index)
            chars.append(text[index + 1 : end])
            index = end + 1
        elif char == '"':
            index = _read_double_quoted(text, index, chars)
        elif char == "\\":
            if index + 1 >= len(text):
                raise ShellSplitError("no escaped character after backslash", index)
            chars.append(text[index + 1])
            index += 2
        else:
            chars.append(char)
            index += 1
    return "".join(chars), index


def _read_double_quoted(text: str, index: int, chars: list[str]) -> int:
    opening = index
    index += 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return index + 1
        if char == "\\" and index + 1 < len(text) and text[index + 1] in '"\\':
            chars.append(text[index + 1])
            index += 2
            continue
        chars.append(char)
        index += 1
    raise ShellSplitError("no closing quotation", opening)
