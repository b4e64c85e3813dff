"""Lockfiles: the pip-tools ``.txt`` format (written byte for byte as pip-compile writes it,
and read back), the ``# lockctl:`` digest line, PEP 751 ``pylock.toml`` export.

Names are imported on first use (PEP 562): ``lockctl check`` reads locks without loading the
writer (and the resolver models it renders), and a ``.txt`` compile never loads tomlkit for
the pylock writer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lockctl.lazy import lazy_attributes

if TYPE_CHECKING:
    from lockctl.atomic import write_atomically

    from .comments import ParsedOverride, format_override, parse_override
    from .digest import LockDigest, find_digest
    from .options import UNSAFE_PACKAGES, AnnotationStyle, LockWriteOptions, UnsafeStyle
    from .piptools import render_piptools
    from .pylock import render_pylock
    from .reader import (
        LockedDirectPin,
        LockedFile,
        LockedOptions,
        LockedPin,
        LockedRoot,
        parse_lockfile,
        read_lockfile,
    )

_LAZY = {
    "ParsedOverride": "comments",
    "format_override": "comments",
    "parse_override": "comments",
    "LockDigest": "digest",
    "find_digest": "digest",
    "UNSAFE_PACKAGES": "options",
    "AnnotationStyle": "options",
    "LockWriteOptions": "options",
    "UnsafeStyle": "options",
    "render_piptools": "piptools",
    "render_pylock": "pylock",
    "LockedDirectPin": "reader",
    "LockedFile": "reader",
    "LockedOptions": "reader",
    "LockedPin": "reader",
    "LockedRoot": "reader",
    "parse_lockfile": "reader",
    "read_lockfile": "reader",
}
_lazy = lazy_attributes(__name__, _LAZY)


def __getattr__(name: str) -> object:
    if name == "write_atomically":  # kept here for callers from before lockctl.atomic
        from lockctl.atomic import write_atomically

        return write_atomically
    return _lazy(name)


__all__ = [
    "UNSAFE_PACKAGES",
    "AnnotationStyle",
    "LockDigest",
    "LockWriteOptions",
    "LockedDirectPin",
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
