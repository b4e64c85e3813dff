"""Reading pyproject.toml once for both loading and editing: its text, tomlkit's document of
it, and the line of every key."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.exceptions import ParseError, TOMLKitError
from tomlkit.toml_document import TOMLDocument

from lockctl.config.locate import KeyPath, TomlLines, locate
from lockctl.errors import ConfigError, ConfigProblem

__all__ = ["SECTION", "PyprojectFile", "display_key", "read_pyproject"]

SECTION: KeyPath = ("tool", "lockctl")
BOM = "\ufeff"  # editors on Windows may start a UTF-8 file with it; TOML parsers refuse it


@dataclass(frozen=True, slots=True, kw_only=True)
class PyprojectFile:
    """The file as read: ``text`` without a leading byte-order mark, and whether it had one
    (an edit writes it back)."""

    path: Path
    text: str
    document: TOMLDocument
    lines: TomlLines
    bom: bool = False

    def problem(self, at: KeyPath, message: str) -> ConfigProblem:
        return ConfigProblem(
            file=self.path, line=self.lines.line_of(at), key=display_key(at), message=message
        )


def read_pyproject(path: Path) -> PyprojectFile:
    try:
        # newline="" keeps \r\n as written, so an edit gives back the same line ends
        with path.open(encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        problem = ConfigProblem(file=path, line=None, key="", message=f"cannot read: {reason}")
        raise ConfigError((problem,)) from None
    bom = text.startswith(BOM)
    text = text.removeprefix(BOM)
    try:
        document = tomlkit.parse(text)
    except ParseError as exc:
        # tomlkit's message ends with "at line L col C"; the line is carried separately
        message = str(exc).rsplit(" at line ", 1)[0]
        problem = ConfigProblem(file=path, line=exc.line, key="", message=f"not TOML: {message}")
        raise ConfigError((problem,)) from None
    except TOMLKitError as exc:  # a key given twice, and the like: no line from tomlkit
        message = str(exc).rstrip(".")
        problem = ConfigProblem(
            file=path, line=_line_of_error(text), key="", message=f"not TOML: {message}"
        )
        raise ConfigError((problem,)) from None
    return PyprojectFile(path=path, text=text, document=document, lines=locate(text), bom=bom)


def _line_of_error(text: str) -> int | None:
    """The line the standard library's TOML parser blames, where it has one (3.11+)."""
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            return getattr(exc, "lineno", None) or _line_in_message(str(exc))
    return None


def _line_in_message(message: str) -> int | None:
    # Before 3.14 the line is only in the message: "... (at line 3, column 1)".
    marker = "(at line "
    if marker not in message:
        return None
    digits = message.split(marker, 1)[1].split(",", 1)[0]
    return int(digits) if digits.isdigit() else None


def display_key(path: KeyPath) -> str:
    """``tool.lockctl.lock[1].output``: the dotted TOML key, with array indexes."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            name = part if part and all(c.isalnum() or c in "-_" for c in part) else f'"{part}"'
            text += f".{name}" if text else name
    return text
