"""A lossless parser for pip's requirements-file format, used for ``.in`` and ``.txt`` alike.

``parse_file``/``parse_text`` give a ``RequirementsFile`` whose entries keep every line as
written (``render()`` returns the original text) and whose ``-r``/``-c`` includes are parsed
too; ``iter_requirements`` and ``iter_options`` walk them, saying which include lines led to
each entry.
"""

from __future__ import annotations

from lockctl.errors import RequirementsFileErrors

from .model import (
    BlankEntry,
    CommentEntry,
    Entry,
    IncludeEntry,
    Located,
    OptionEntry,
    RequirementEntry,
    RequirementsFile,
    SourceLine,
    shown_path,
)
from .options import OPTIONS, OptionSpec
from .parser import parse_file, parse_text

__all__ = [
    "OPTIONS",
    "BlankEntry",
    "CommentEntry",
    "Entry",
    "IncludeEntry",
    "Located",
    "OptionEntry",
    "OptionSpec",
    "RequirementEntry",
    "RequirementsFile",
    "RequirementsFileErrors",
    "SourceLine",
    "parse_file",
    "parse_text",
    "shown_path",
]
