"""The drawing of the exception tree in ``lockctl.errors`` is the tree of the classes."""

from __future__ import annotations

import importlib
import re

import lockctl.errors
from lockctl.errors import LockctlError
from tests.test_structure import MODULES

_ROW = re.compile(r"^(?P<indent>[ │├└─]*?)(?P<name>[A-Z]\w+)\s")


def _drawn() -> dict[str, tuple[str | None, str]]:
    """Each drawn class: its drawn parent, and the module it is said to live in."""
    doc = lockctl.errors.__doc__ or ""
    drawing = doc.split("::", 1)[1]
    parents: dict[str, tuple[str | None, str]] = {}
    stack: list[tuple[int, str]] = []
    for line in (row.removeprefix("    ") for row in drawing.splitlines()):
        match = _ROW.match(line)
        if match is None:
            continue
        depth = len(match["indent"])
        while stack and stack[-1][0] >= depth:
            stack.pop()
        rest = line[match.end() :].strip()
        module = rest.split(":", 1)[0] if re.match(r"^[a-z]+\.[a-z_.]+:", rest) else "errors"
        parents[match["name"]] = (stack[-1][1] if stack else None, f"lockctl.{module}")
        stack.append((depth, match["name"]))
    return parents


def _every_error_class() -> set[type[LockctlError]]:
    for module in MODULES:
        importlib.import_module(module)
    found: set[type[LockctlError]] = set()
    todo: list[type[LockctlError]] = [LockctlError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_the_drawing_names_every_error_class_with_its_parent_and_module() -> None:
    drawn = _drawn()
    classes = {cls.__name__: cls for cls in _every_error_class()}
    assert set(drawn) == set(classes)
    for name, (parent, module) in drawn.items():
        cls = classes[name]
        assert cls.__module__ == module, name
        assert cls.exit_code in (1, 2, 3), name
        if parent is None:
            assert cls is LockctlError
        else:
            assert cls.__bases__ == (classes[parent],), name
