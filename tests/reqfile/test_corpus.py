"""Run every data case of cases/*.json through the real parser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lockctl.errors import InputError
from lockctl.reqfile import IncludeEntry, RequirementsFile

from .corpus import Case, describe_entry, describe_error, describe_located, load

CASES = list(load())
VALID = [case for case in CASES if not case.is_error]
PARAMS = [
    pytest.param(case, mode, id=f"{case.id}[{mode}]") for case in CASES for mode in case.modes
]

_FRAGMENT_KEYS = ("message", "hint")


def _pick(actual: dict[str, Any], expected: dict[str, Any]) -> dict[str, Any]:
    """The actual facts the expectation names; message and hint are matched as fragments."""
    picked: dict[str, Any] = {}
    for key, value in expected.items():
        got = actual.get(key, "<missing>")
        if key in _FRAGMENT_KEYS and isinstance(got, str) and value in got:
            got = value
        if key == "errors" and isinstance(got, list) and len(got) == len(value):
            got = [_pick(a, e) for a, e in zip(got, value, strict=True)]
        picked[key] = got
    return picked


def _compare(actual: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [_pick(a, e) for a, e in zip(actual, expected, strict=False)] == expected
    assert len(actual) == len(expected), actual


def test_corpus_is_big_enough() -> None:
    assert len(CASES) >= 45
    assert sum(case.is_error for case in CASES) >= 15


@pytest.mark.parametrize(("case", "mode"), PARAMS)
def test_case(case: Case, mode: str, tmp_path: Path) -> None:
    if case.is_error:
        with pytest.raises(InputError) as info:
            case.parse(tmp_path, mode)
        expected_error = case.expected("error", tmp_path)
        assert _pick(describe_error(info.value, tmp_path), expected_error) == expected_error
        return
    parsed = case.parse(tmp_path, mode)
    if "entries" in case.data:
        entries = [describe_entry(entry, tmp_path) for entry in parsed.entries]
        _compare(entries, case.expected("entries", tmp_path))
    if "requirements" in case.data:
        located = [
            describe_located(r, tmp_path) for r in parsed.iter_requirements(constraints=True)
        ]
        _compare(located, case.expected("requirements", tmp_path))
    if "plain_requirements" in case.data:
        located = [describe_located(r, tmp_path) for r in parsed.iter_requirements()]
        _compare(located, case.expected("plain_requirements", tmp_path))
    if "options" in case.data:
        options = [describe_located(o, tmp_path) for o in parsed.iter_options()]
        _compare(options, case.expected("options", tmp_path))


def _all_files(parsed: RequirementsFile) -> list[RequirementsFile]:
    files = [parsed]
    for entry in parsed.entries:
        if isinstance(entry, IncludeEntry):
            files.extend(_all_files(entry.file))
    return files


@pytest.mark.parametrize("case", [pytest.param(case, id=case.id) for case in VALID])
def test_round_trip(case: Case, tmp_path: Path) -> None:
    parsed = case.parse(tmp_path, case.modes[0])
    for parsed_file in _all_files(parsed):
        original = (tmp_path / parsed_file.path).read_bytes().decode("utf-8")
        assert parsed_file.text == original
        assert parsed_file.render() == original
