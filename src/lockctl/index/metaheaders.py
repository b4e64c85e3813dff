"""Read the header fields of a core metadata file without the ``email`` package: an optimisation.

The plain way is ``packaging.metadata.parse_email``, which reads the file with the standard
library's ``email`` parser. That works, but importing the ``email`` package alone cost about
90 ms of a cold compile, before the first metadata could be read (README, "Performance"). So
``read_fields`` reads the few fields resolution needs the way ``parse_email`` reads them:
header lines up to the first blank or non-header line, folded lines kept with their line
break, a field that is not UTF-8 unreadable, a single-use field given twice unreadable.
``tests/index/test_coremeta.py`` holds it to ``parse_email`` on every METADATA file of the
test environment and on crafted odd files. The import it avoids shows in the cold runs of
``benchmarks/compile.py`` and ``benchmarks/metadata.py``.
"""

from __future__ import annotations

import re

__all__ = ["FIELD_TITLES", "WANTED_FIELDS", "read_fields"]

FIELD_TITLES = {  # lower-case name -> the name as the specification writes it
    "metadata-version": "Metadata-Version",
    "name": "Name",
    "version": "Version",
    "requires-dist": "Requires-Dist",
    "requires-python": "Requires-Python",
    "provides-extra": "Provides-Extra",
    "dynamic": "Dynamic",
}
WANTED_FIELDS = frozenset(FIELD_TITLES)

_SINGLE_USE = frozenset(["metadata-version", "name", "version", "requires-python"])
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")  # what the email package splits on, no more
_HEADER = re.compile(r"([\x21-\x39\x3b-\x7e]+):[ \t]*(.*)", re.DOTALL)


def read_fields(data: bytes) -> tuple[dict[str, list[str]], list[str]]:
    """The wanted fields (lower-case names) and the names of those that could not be read."""
    text = data.decode("utf-8", "surrogateescape")
    fields: dict[str, list[str]] = {}
    current: str | None = None
    parts = _LINE_BREAK.split(text)  # line, its line break, line, ...
    for index in range(0, len(parts), 2):
        line = parts[index]
        if line[:1] in (" ", "\t"):
            if current is not None:  # folded: kept with its line break, as email keeps it
                fields[current][-1] += parts[index - 1] + line
            continue
        header = _HEADER.match(line)
        if header is None:  # a blank line, or the first line that is no header: the body
            break
        current = header.group(1).lower()
        if current in WANTED_FIELDS:
            fields.setdefault(current, []).append(header.group(2))
        else:
            current = None
    unparsed = []
    for name, values in list(fields.items()):
        not_utf8 = any(_has_surrogates(value) for value in values)
        if not_utf8 or (name in _SINGLE_USE and len(values) > 1):
            unparsed.append(FIELD_TITLES[name])
            del fields[name]
    return fields, unparsed


def _has_surrogates(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
