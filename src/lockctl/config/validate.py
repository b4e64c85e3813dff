"""Turn the ``[tool.lockctl]`` table into a ProjectConfig, collecting every problem on the way.

Each check records a ConfigProblem with the key's line and carries on, so one run of lockctl
shows everything that is wrong with the file. Discovering locks on disk is ``load``'s business.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from lockctl.config.document import SECTION, PyprojectFile, display_key
from lockctl.config.locate import KeyPath
from lockctl.config.model import LockEntry, OverrideEntry, ProjectConfig
from lockctl.errors import ConfigProblem, UsageError
from lockctl.target import PLATFORMS, TargetEnvironment

__all__ = [
    "GLOBAL_KEYS",
    "LOCK_KEYS",
    "OVERRIDE_KEYS",
    "default_output",
    "image_reference_problem",
    "project_path",
    "read_config",
]

GLOBAL_KEYS = (
    "python-version",
    "platform",
    "dockerfile",
    "base-image",
    "index-url",
    "extra-index-url",
    "find-links",
    "trusted-host",
    "no-index",
    "generate-hashes",
    "overrides",
    "lock",
)
LOCK_KEYS = ("input", "output", "overrides", "group")
OVERRIDE_KEYS = ("requirement", "reason")
# An image reference as the Docker engine parses one (distribution/reference's grammar):
# [host[:port]/]path[:tag][@digest], the path in lower case. A bad one would reach the
# engine as "invalid reference format" with no word of where it came from.
_IMAGE_REFERENCE = re.compile(
    r"(?:(?P<host>[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9-]+)*(?::\d+)?)/)?"
    r"(?P<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"(?::(?P<tag>\w[\w.-]{0,127}))?"
    r"(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?"
)


def default_output(input_path: Path) -> Path:
    """pip-compile's rule: ``requirements-x.in`` is locked into ``requirements-x.txt``."""
    return input_path.with_suffix(".txt")


def read_config(
    source: PyprojectFile, *, check_files: bool = True
) -> tuple[ProjectConfig, list[ConfigProblem]]:
    """The configuration and its problems, in file order. ``locks`` is empty and
    ``discovered`` True when the file lists no locks: the caller finds them on disk.
    ``check_files`` also reports lock inputs and a Dockerfile that do not exist."""
    reader = _Reader(source, check_files=check_files)
    config = reader.project()
    # sorted() is stable: problems on one line keep the order they were found in
    problems = sorted(reader.problems, key=lambda p: (p.line is None, p.line or 0))
    return config, problems


def image_reference_problem(text: str) -> str | None:
    """What is wrong with ``text`` as an image reference (None: nothing)."""
    if _IMAGE_REFERENCE.fullmatch(text) is not None:
        return None
    if text != text.strip() or any(c.isspace() for c in text):
        return f"{text!r} is not an image reference: it has white space"
    if "$" in text:
        return f"{text!r} is not an image reference: build arguments are not substituted here"
    if _IMAGE_REFERENCE.fullmatch(text.lower()) is not None:
        return f"{text!r} is not an image reference: the repository name must be lower case"
    return f'{text!r} is not an image reference such as "python:3.11-slim"'


def project_path(root: Path, text: str) -> Path:
    # Absolute without following symlinks: a lock written through a link stays that link.
    return Path(os.path.normpath(root / text))


def _kind(value: object) -> str:
    """A TOML value's type, as a person would name it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (datetime, date, time)):
        return "a date or time"
    return type(value).__name__


class _Reader:
    def __init__(self, source: PyprojectFile, *, check_files: bool) -> None:
        self.source = source
        self.check_files = check_files
        self.root = source.path.resolve().parent
        self.problems: list[ConfigProblem] = []

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.root)) if path.is_relative_to(self.root) else str(path)

    def fail(self, at: KeyPath, message: str) -> None:
        self.problems.append(self.source.problem(at, message))

    def project(self) -> ProjectConfig:
        section = self.section()
        empty = ProjectConfig(path=self.source.path, root=self.root, discovered=True)
        if section is None:
            return empty
        self.unknown_keys(section, SECTION, GLOBAL_KEYS)
        python_version = self.python_version(section)
        platform = self.platform(section)
        dockerfile = self.text(section, SECTION, "dockerfile")
        if dockerfile and self.check_files and not project_path(self.root, dockerfile).is_file():
            self.fail((*SECTION, "dockerfile"), f"{dockerfile} does not exist")
        base_image = self.base_image(section)
        locks = self.locks(section)
        return ProjectConfig(
            path=self.source.path,
            root=self.root,
            python_version=python_version,
            platform=platform,
            dockerfile=project_path(self.root, dockerfile) if dockerfile else None,
            base_image=base_image,
            index_url=self.text(section, SECTION, "index-url"),
            extra_index_urls=self.texts(section, SECTION, "extra-index-url"),
            find_links=self.texts(section, SECTION, "find-links"),
            trusted_hosts=self.texts(section, SECTION, "trusted-host"),
            no_index=self.flag(section, SECTION, "no-index"),
            generate_hashes=self.flag(section, SECTION, "generate-hashes"),
            overrides=self.overrides(section, SECTION),
            locks=locks or (),
            discovered=locks is None,
        )

    def section(self) -> Mapping[str, Any] | None:
        data: Mapping[str, Any] = self.source.document.unwrap()
        tool = data.get("tool")
        if not isinstance(tool, Mapping):
            return None  # `tool` is other tools' business; without a table there is no section
        section = tool.get("lockctl")
        if section is None:
            return None
        if not isinstance(section, Mapping):
            self.fail(SECTION, f"must be a table, not {_kind(section)}")
            return None
        return section

    def unknown_keys(self, table: Mapping[str, Any], at: KeyPath, known: tuple[str, ...]) -> None:
        for key in table:
            if key in known:
                continue
            close = difflib.get_close_matches(key, known, n=1)
            hint = (
                f"did you mean {close[0]!r}?" if close else f"expected one of: {', '.join(known)}"
            )
            self.fail((*at, key), f"unknown key ({hint})")

    def text(self, table: Mapping[str, Any], at: KeyPath, key: str) -> str | None:
        value = table.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            self.fail((*at, key), f"must be a string, not {_kind(value)}")
            return None
        if not value.strip():
            self.fail((*at, key), "must not be empty")
            return None
        return value

    def flag(self, table: Mapping[str, Any], at: KeyPath, key: str) -> bool | None:
        value = table.get(key)
        if value is None or isinstance(value, bool):
            return value
        self.fail((*at, key), f"must be true or false, not {_kind(value)}")
        return None

    def texts(self, table: Mapping[str, Any], at: KeyPath, key: str) -> tuple[str, ...]:
        value = table.get(key)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail((*at, key), f"must be an array of strings, not {_kind(value)}")
            return ()
        found: list[str] = []
        for index, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                found.append(item)
            else:
                what = "an empty string" if isinstance(item, str) else _kind(item)
                self.fail((*at, key, index), f"must be a string, not {what}")
        return tuple(found)

    def python_version(self, section: Mapping[str, Any]) -> str | None:
        at = (*SECTION, "python-version")
        value = section.get("python-version")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            # 3.10 read as a float is 3.1: only a string says what was meant
            self.fail(at, f'must be a string such as "3.11", not {_kind(value)}')
            return None
        text = self.text(section, SECTION, "python-version")
        if text is not None:
            try:
                TargetEnvironment.create(python_version=text)
            except UsageError as exc:
                self.fail(at, f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
                return None
        return text

    def platform(self, section: Mapping[str, Any]) -> str | None:
        text = self.text(section, SECTION, "platform")
        if text is None:
            return None
        if text not in PLATFORMS:
            known = ", ".join(sorted(PLATFORMS))
            self.fail((*SECTION, "platform"), f"unknown platform {text!r} (one of: {known})")
            return None
        return text

    def base_image(self, section: Mapping[str, Any]) -> str | None:
        text = self.text(section, SECTION, "base-image")
        problem = image_reference_problem(text) if text is not None else None
        if problem is not None:
            self.fail((*SECTION, "base-image"), problem)
            return None
        return text

    def overrides(self, table: Mapping[str, Any], at: KeyPath) -> tuple[OverrideEntry, ...]:
        value = table.get("overrides")
        if value is None:
            return ()
        at = (*at, "overrides")
        if not isinstance(value, list):
            self.fail(at, f"must be an array of requirements, not {_kind(value)}")
            return ()
        entries: list[OverrideEntry] = []
        first_line: dict[str, int] = {}
        for index, item in enumerate(value):
            entry = self.override(item, (*at, index))
            if entry is None:
                continue
            if entry.name in first_line:
                self.fail(
                    (*at, index),
                    f"{entry.name} is overridden twice (first on line {first_line[entry.name]})",
                )
                continue
            first_line[entry.name] = entry.line
            entries.append(entry)
        return tuple(entries)

    def override(self, item: object, at: KeyPath) -> OverrideEntry | None:
        line = self.source.lines.line_of(at) or 0
        reason: str | None = None
        if isinstance(item, Mapping):
            self.unknown_keys(item, at, OVERRIDE_KEYS)
            reason = self.text(item, at, "reason")
            text = self.text(item, at, "requirement")
            if text is None:
                if "requirement" not in item:
                    self.fail(at, "needs a 'requirement' key")
                return None
            at = (*at, "requirement")
        elif isinstance(item, str):
            text = item
        else:
            self.fail(at, f"must be a requirement string or an inline table, not {_kind(item)}")
            return None
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            detail = str(exc).splitlines()[0]
            self.fail(at, f"invalid requirement {text!r}: {detail}")
            return None
        return OverrideEntry(
            requirement=requirement, reason=reason, line=line, file=self.source.path
        )

    def locks(self, section: Mapping[str, Any]) -> tuple[LockEntry, ...] | None:
        value = section.get("lock")
        at = (*SECTION, "lock")
        if value is None:
            return None
        if not isinstance(value, list):
            self.fail(at, f"must be an array of tables ([[tool.lockctl.lock]]), not {_kind(value)}")
            return ()
        locks: list[LockEntry] = []
        placed: list[tuple[int, LockEntry]] = []  # with its index in the TOML array
        writers: dict[Path, KeyPath] = {}
        for index, item in enumerate(value):
            lock = self.lock(item, (*at, index))
            if lock is None:
                continue
            earlier = writers.setdefault(lock.output, (*at, index))
            if earlier != (*at, index):
                first = self.source.lines.line_of((*earlier, "output"))
                shown = self.shown(lock.output)
                self.fail(
                    (*at, index, "output"),
                    f"{shown} is also the output of {display_key(earlier)} (line {first})",
                )
                continue
            locks.append(lock)
            placed.append((index, lock))
        self.outputs_are_not_inputs(placed, at)
        return tuple(locks)

    def outputs_are_not_inputs(self, placed: list[tuple[int, LockEntry]], at: KeyPath) -> None:
        """A lock that wrote over another lock's input would destroy the user's .in file."""
        inputs = {lock.input: index for index, lock in placed}
        for index, lock in placed:
            other = inputs.get(lock.output)
            if other is not None and other != index:
                self.fail(
                    (*at, index, "output"),
                    f"{self.shown(lock.output)} is the input of {display_key((*at, other))}: "
                    "writing the lock would destroy it",
                )

    def lock(self, item: object, at: KeyPath) -> LockEntry | None:
        if not isinstance(item, Mapping):
            self.fail(at, f"must be a table with input and output, not {_kind(item)}")
            return None
        self.unknown_keys(item, at, LOCK_KEYS)
        overrides = self.overrides(item, at)
        input_text = self.text(item, at, "input")
        output_text = self.text(item, at, "output")
        if input_text is None:
            if "input" not in item:
                self.fail(at, "needs an 'input' key (the .in file to lock)")
            return None
        input_path = project_path(self.root, input_text)
        if self.check_files and not input_path.is_file():
            self.fail((*at, "input"), f"{input_text} does not exist")
        output = project_path(self.root, output_text) if output_text else default_output(input_path)
        if output == input_path:
            self.fail((*at, "output"), "is the input file itself")
            return None
        return LockEntry(
            input=input_path,
            output=output,
            overrides=overrides,
            group=self.text(item, at, "group"),
            line=self.source.lines.line_of(at),
        )
