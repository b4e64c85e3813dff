"""Lockfiles: the pip-tools ``.txt`` format (written byte for byte as pip-compile writes it,
and read back), PEP 751 ``pylock.toml`` export, and atomic writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockctl.atomic import write_atomically
from lockctl.lazy import lazy_attributes

from .comments import ParsedOverride, format_override, parse_override
from .digest import LockDigest, find_digest
from .options import UNSAFE_PACKAGES, AnnotationStyle, LockWriteOptions, UnsafeStyle
from .piptools import render_piptools
from .reader import (
    LockedFile,
    LockedOptions,
    LockedPin,
    LockedRoot,
    parse_lockfile,
    read_lockfile,
)

__all__ = [
    "UNSAFE_PACKAGES",
    "AnnotationStyle",
    "LockDigest",
    "LockWriteOptions",
    "LockedFile",
    "LockedOptions",
    "LockedPin",
    "LockedRoot",
    "ParsedOverride",
    "UnsafeStyle",
    "find_digest",
    "format_override",
    "parse_lockfile",
    "parse_override",
    "read_lockfile",
    "render_piptools",
    "render_pylock",
    "write_atomically",
]


if TYPE_CHECKING:
    from .pylock import render_pylock


# PEP 562: the pylock writer pulls in tomlkit, which a .txt compile never needs.
__getattr__ = lazy_attributes(__name__, {"render_pylock": "pylock"})
