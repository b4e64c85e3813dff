"""Find central-directory entries by searching for their name: an optimisation.

The plain way to find a wheel's ``.dist-info/METADATA`` is to decode every entry of the zip's
central directory in order, as ``wheelzip._members`` does. numpy's wheels list over a thousand
files, and decoding every entry to find one cost more than fetching it. Instead,
``entries_named_with_suffix`` searches the directory bytes for the name: an entry's name
follows its fixed 46-byte header, so a name found in the bytes is checked against the header
that should precede it. Anything that does not check out (the suffix inside another field, a
header signature out of place) answers "unsure", and the caller reads every entry after all;
``tests/index/test_wheelzip.py`` covers those layouts. The gain shows in the range reads of
``benchmarks/metadata.py`` (metadata of 100 real releases) and the cold runs of
``benchmarks/compile.py``.
"""

from __future__ import annotations

__all__ = ["entries_named_with_suffix"]

_CENTRAL = b"PK\x01\x02"  # a central directory entry's signature (APPNOTE 4.3.12)
_HEADER_SIZE = 46  # its fixed part; the name follows it
_NAME_LENGTH = slice(28, 30)  # where in the fixed part the name's length is (little-endian)


def entries_named_with_suffix(directory: bytes, suffix: bytes) -> list[int] | None:
    """Where the entries whose name ends with ``suffix`` start; None if the search is unsure."""
    offsets: list[int] = []
    position = directory.find(suffix)
    while position >= 0:
        end = position + len(suffix)
        header = directory.rfind(_CENTRAL, 0, position)
        if header < 0 or header + _HEADER_SIZE > position:
            return None
        fixed = directory[header : header + _HEADER_SIZE]
        name_length = int.from_bytes(fixed[_NAME_LENGTH], "little")
        name = directory[header + _HEADER_SIZE : header + _HEADER_SIZE + name_length]
        if header + _HEADER_SIZE + name_length == end:
            offsets.append(header)
        elif name.find(suffix) < 0:
            return None  # the suffix is not inside this entry's name: something else holds it
        position = directory.find(suffix, end)
    return offsets
