"""The switches of the pip-tools ``.txt`` writer, and the index options it writes.

Each field names the ``pip-compile`` option it mirrors. Defaults are pip-tools 8's announced
defaults (``--strip-extras``, ``--allow-unsafe``) and its ``split`` annotation style.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.urls import SecretURL

from .digest import LockDigest

__all__ = [
    "UNSAFE_PACKAGES",
    "AnnotationStyle",
    "LockWriteOptions",
    "UnsafeStyle",
    "custom_compile_command",
]

# pip-tools' UNSAFE_PACKAGES: the projects it treats apart (--unsafe-package replaces the set).
UNSAFE_PACKAGES: frozenset[NormalizedName] = frozenset(
    canonicalize_name(name) for name in ("distribute", "pip", "setuptools")
)

AnnotationStyle = Literal["split", "line"]
# "section": pinned under pip-tools' "considered to be unsafe" heading at the end of the file,
#            which is what pip-compile --allow-unsafe writes (the default from pip-tools 8 on);
# "inline":  pinned among the other packages, with no heading;
# "omit":    pip-tools 7's default (--no-allow-unsafe): named in comments, not pinned.
UnsafeStyle = Literal["section", "inline", "omit"]


def custom_compile_command() -> str | None:
    """pip-tools' ``CUSTOM_COMPILE_COMMAND``: when set, the header shows it instead."""
    return os.environ.get("CUSTOM_COMPILE_COMMAND") or None


@dataclass(frozen=True, slots=True, kw_only=True)
class LockWriteOptions:
    """How to write a lock. ``python_version`` is the TARGET's ``X.Y``, not the host's.

    ``command`` is the lockctl command line for the header; ``custom_command`` wins over it
    when set, and by default is read from ``CUSTOM_COMPILE_COMMAND`` when the options are
    made (so rendering itself reads no environment). ``paths_relative_to`` is the directory
    ``-r``/``-c`` paths in ``# via`` lines are shown relative to when they are absolute:
    pip-tools shows them relative to its working directory, as the input file was named.
    """

    python_version: str
    command: str = "lockctl compile"
    custom_command: str | None = field(default_factory=custom_compile_command)
    emit_header: bool = True  # --no-header
    annotate: bool = True  # --no-annotate
    annotation_style: AnnotationStyle = "split"
    strip_extras: bool = True  # --strip-extras / --no-strip-extras
    generate_hashes: bool = False
    unsafe_style: UnsafeStyle = "section"
    unsafe_packages: frozenset[NormalizedName] = UNSAFE_PACKAGES
    paths_relative_to: Path | None = None
    # Index options: None stands for pip's default index, which pip-tools never writes.
    index_url: SecretURL | None = None
    extra_index_urls: tuple[SecretURL, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    emit_options: bool = True  # --no-emit-options
    emit_index_url: bool = True  # --no-emit-index-url
    emit_find_links: bool = True  # --no-emit-find-links
    emit_trusted_host: bool = True  # --no-emit-trusted-host
    digest: LockDigest | None = None  # lockctl's "# lockctl:" header line; None: none
    newline: Literal["\n", "\r\n"] = "\n"  # --newline, decided by the caller (pip-tools')

    @property
    def header_command(self) -> str:
        return self.custom_command or self.command
