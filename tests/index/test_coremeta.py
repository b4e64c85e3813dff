"""Core metadata read as ``packaging.metadata.parse_email`` reads it, without the email package."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
from packaging.metadata import parse_email

from lockctl.index.coremeta import parse_core_metadata
from lockctl.index.metaheaders import FIELD_TITLES, WANTED_FIELDS, read_fields


def _installed_metadata() -> list[Path]:
    """Every METADATA of this environment: a corpus written by many build backends."""
    found = []
    for dist in importlib.metadata.distributions():
        path = getattr(dist, "_path", None)
        if isinstance(path, Path) and (path / "METADATA").is_file():
            found.append(path / "METADATA")
    return sorted(found)


_CRAFTED = {
    "crlf-and-folded": (
        b"Metadata-Version: 2.1\r\nName: demo\r\nVersion: 1.0\r\n"
        b"Requires-Dist: six\r\nRequires-Dist: attrs;\r\n  python_version < '3'\r\n"
        b"Provides-Extra: Fast_Path\r\n\r\nRequires-Dist: not-a-header\r\n"
    ),
    "utf8-and-body": (
        "Metadata-Version: 2.4\nName: d\u00e9mo\nVersion: 1.0\nSummary: caf\u00e9\n"
        "Requires-Python: >=3.9\nDynamic: Requires-Dist\n\nDescription with Name: other\n"
    ).encode(),
    "latin1-field-is-unreadable": (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: caf\xe9\n"
        b"Requires-Dist: six\n"
    ),
    "duplicate-single-use-field": b"Name: demo\nVersion: 1.0\nVersion: 2.0\n",
    "no-header-line-ends-headers": (
        b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nnot a header\nRequires-Dist: six\n"
    ),
    "odd-spacing": b"Name:demo\nVersion:   1.0  \nRequires-Dist:\tsix >= 1\nrequires-dist: Attrs\n",
    "bad-requirement": b"Name: demo\nVersion: 1.0\nRequires-Dist: six >=\nRequires-Python: >>3\n",
}


def _packaging_fields(data: bytes) -> tuple[dict[str, list[str]], list[str]]:
    """The same fields as packaging's own reader gives them, and those it could not read."""
    raw, unparsed = parse_email(data)
    fields: dict[str, list[str]] = {}
    for key, value in raw.items():
        name = key.replace("_", "-")
        if name in WANTED_FIELDS:
            fields[name] = list(value) if isinstance(value, list) else [str(value)]
    wanted_unparsed = sorted(
        FIELD_TITLES[n.lower()] for n in unparsed if n.lower() in WANTED_FIELDS
    )
    return fields, wanted_unparsed


def _ours(data: bytes) -> tuple[dict[str, list[str]], list[str]]:
    fields, unparsed = read_fields(data)
    return fields, sorted(unparsed)


@pytest.mark.parametrize("path", _installed_metadata(), ids=lambda p: p.parent.name)
def test_installed_metadata_reads_as_packaging_reads_it(path: Path) -> None:
    data = path.read_bytes()
    assert _ours(data) == _packaging_fields(data)


@pytest.mark.parametrize("data", list(_CRAFTED.values()), ids=list(_CRAFTED))
def test_odd_files_read_as_packaging_reads_them(data: bytes) -> None:
    assert _ours(data) == _packaging_fields(data)


def test_the_corpus_is_not_empty() -> None:
    assert len(_installed_metadata()) > 20


def test_unparsable_entries_are_problems_not_failures() -> None:
    metadata = parse_core_metadata(_CRAFTED["bad-requirement"])
    assert metadata.requires_dist == () and metadata.requires_python is None
    assert metadata.problems == (
        "Requires-Dist: 'six >=' is not a valid requirement",
        "Requires-Python: '>>3' is not valid",
    )
