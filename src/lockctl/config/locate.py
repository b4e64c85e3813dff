"""The line of every key, array element and table header of a TOML document.

tomlkit keeps a document's text but not where each item sits in it, and a configuration error
is only useful with a line number. So, once tomlkit has accepted the text (this scanner trusts
the syntax and only follows it), one pass over the text records a line for every path:
``("tool", "lockctl", "python-version")`` for a key, ``(..., "lock", 1)`` for the second
``[[tool.lockctl.lock]]`` table (or the second element of a ``lock = [...]`` array), and
``(..., "overrides", 0, "reason")`` for a key inside an inline table in an array.
"""

from __future__ import annotations

import bisect
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass

import tomlkit

__all__ = ["KeyPath", "TomlLines", "locate"]

KeyPath = tuple[str | int, ...]

_BARE_KEY = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_SCALAR_END = frozenset(",]}#\r\n")


@dataclass(frozen=True, slots=True, kw_only=True)
class TomlLines:
    keys: Mapping[KeyPath, int]  # 1-based line where the key, element or header starts
    headers: tuple[tuple[int, KeyPath], ...]  # every [table] and [[array]] header, in order

    def line_of(self, path: KeyPath) -> int | None:
        """The line of ``path``, else of its nearest ancestor that is written in the file."""
        for end in range(len(path), 0, -1):
            line = self.keys.get(path[:end])
            if line is not None:
                return line
        return None

    def header_line(self, path: KeyPath) -> int | None:
        """The line of the ``[path]`` header, None when the table has no header of its own."""
        return next((line for line, at in self.headers if at == path), None)

    def next_header_after(self, line: int) -> int | None:
        return next((at for at, _ in self.headers if at > line), None)


def locate(text: str) -> TomlLines:
    scanner = _Scanner(text)
    # tomlkit accepted the text; if this scanner cannot follow some of it, keep what it found
    with contextlib.suppress(_Unexpected):
        scanner.document()
    return TomlLines(keys=scanner.keys, headers=tuple(scanner.headers))


class _Unexpected(Exception):
    pass


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.newlines = [i for i, ch in enumerate(text) if ch == "\n"]
        self.keys: dict[KeyPath, int] = {}
        self.headers: list[tuple[int, KeyPath]] = []
        self.array_tables: dict[KeyPath, int] = {}  # [[path]] -> how many seen so far
        self.table: KeyPath = ()

    def line(self) -> int:
        return bisect.bisect_left(self.newlines, self.pos) + 1

    def peek(self, count: int = 1) -> str:
        return self.text[self.pos : self.pos + count]

    def document(self) -> None:
        while True:
            self.skip_blank()
            if self.pos >= len(self.text):
                return
            if self.peek(2) == "[[":
                self.header(array=True)
            elif self.peek() == "[":
                self.header(array=False)
            else:
                self.key_value(self.table)

    def header(self, *, array: bool) -> None:
        line = self.line()
        self.pos += 2 if array else 1
        names = self.key_names()
        self.skip_spaces()
        self.pos += 2 if array else 1
        path: KeyPath = ()
        for index, name in enumerate(names):
            path = (*path, name)
            last = index == len(names) - 1
            # [a.b] inside the newest [[a]] table means a[-1].b, so its path gets the index
            if path in self.array_tables and not (last and array):
                path = (*path, self.array_tables[path] - 1)
        if array:
            count = self.array_tables.get(path, 0)
            self.array_tables[path] = count + 1
            path = (*path, count)
        self.keys.setdefault(path, line)
        self.headers.append((line, path))
        self.table = path

    def key_value(self, table: KeyPath) -> None:
        line = self.line()
        names = self.key_names()
        for end in range(1, len(names) + 1):  # a.b.c = 1 also places a.b
            self.keys.setdefault((*table, *names[:end]), line)
        self.skip_spaces()
        if self.peek() != "=":
            raise _Unexpected
        self.pos += 1
        self.skip_spaces()
        self.value((*table, *names))

    def key_names(self) -> list[str]:
        names: list[str] = []
        while True:
            self.skip_spaces()
            start = self.pos
            if self.peek() in ('"', "'"):
                self.string()
                names.append(_decode_quoted_key(self.text[start : self.pos]))
            else:
                while self.pos < len(self.text) and self.text[self.pos] in _BARE_KEY:
                    self.pos += 1
                if self.pos == start:
                    raise _Unexpected
                names.append(self.text[start : self.pos])
            self.skip_spaces()
            if self.peek() != ".":
                return names
            self.pos += 1

    def value(self, path: KeyPath) -> None:
        first = self.peek()
        if first == "[":
            self.array(path)
        elif first == "{":
            self.inline_table(path)
        elif first in ('"', "'"):
            self.string()
        else:
            start = self.pos
            while self.pos < len(self.text) and self.text[self.pos] not in _SCALAR_END:
                self.pos += 1
            if self.pos == start:
                raise _Unexpected

    def array(self, path: KeyPath) -> None:
        self.pos += 1
        index = 0
        while True:
            self.skip_blank()
            if self.peek() == "]":
                self.pos += 1
                return
            element: KeyPath = (*path, index)
            self.keys[element] = self.line()
            self.value(element)
            index += 1
            self.skip_blank()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "]":
                raise _Unexpected

    def inline_table(self, path: KeyPath) -> None:
        self.pos += 1
        while True:
            self.skip_blank()  # TOML 1.0 keeps inline tables on one line; 1.1 does not
            if self.peek() == "}":
                self.pos += 1
                return
            self.key_value(path)
            self.skip_blank()
            if self.peek() == ",":
                self.pos += 1
            elif self.peek() != "}":
                raise _Unexpected

    def string(self) -> None:
        quote = self.peek()
        if self.peek(3) == quote * 3:
            self.pos += 3
            while self.pos < len(self.text):
                if quote == '"' and self.peek() == "\\":
                    self.pos += 2
                elif self.peek(3) == quote * 3:
                    # up to two quotes may stand just before the closing three
                    while self.peek() == quote:
                        self.pos += 1
                    return
                else:
                    self.pos += 1
            raise _Unexpected
        self.pos += 1
        while self.pos < len(self.text):
            char = self.peek()
            if char == "\\" and quote == '"':
                self.pos += 2
                continue
            self.pos += 1
            if char == quote:
                return
            if char == "\n":
                break
        raise _Unexpected

    def skip_spaces(self) -> None:
        while self.peek() in (" ", "\t"):
            self.pos += 1

    def skip_blank(self) -> None:
        """Spaces, line ends and comments."""
        while self.pos < len(self.text):
            char = self.peek()
            if char in " \t\r\n":
                self.pos += 1
            elif char == "#":
                end = self.text.find("\n", self.pos)
                self.pos = len(self.text) if end < 0 else end
            else:
                return


def _decode_quoted_key(raw: str) -> str:
    # Escapes in a quoted key mean what they mean in a string value; let tomlkit read them.
    return str(tomlkit.parse(f"key = {raw}")["key"])
