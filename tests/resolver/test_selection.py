"""``matching_indexes``: the walk over a project's versions that selection and ordering share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from lockctl.resolver.selection import matching_indexes

_VERSIONS = [
    "0.9", "1.0.dev1", "1.0a1", "1.0", "1.0+local", "1.0.post1", "1.0.1", "1.1rc1", "1.1",
    "1!0.5", "2.0", "2.0+cpu", "2.0.0.post2", "2.1b2", "10.0",
]  # fmt: skip
_SPECIFIERS = [
    "", ">=1.0", ">1.0", "==1.0", "==1.0+local", "==1.*", "~=1.0", "<2.0", "<=2.0", "!=1.0",
    ">=1.0,<2.0,!=1.1", "==2.0", ">1.0.post1", "===1.0", ">=1!0", "==1!0.5", ">=1.1rc1",
]  # fmt: skip


@pytest.mark.parametrize("text", _SPECIFIERS)
def test_matching_indexes_stop_early_but_find_every_match(text: str) -> None:
    """The walk may stop at the specifier's floor, never before a match."""
    versions = sorted((Version(v) for v in _VERSIONS), reverse=True)
    specifier = SpecifierSet(text)
    every = [i for i, v in enumerate(versions) if specifier.contains(v, prereleases=True)]
    assert list(matching_indexes(versions, specifier)) == every


class _Watched(list[Version]):
    """Versions that record how far a walk went."""

    reached = 0

    def __iter__(self) -> Iterator[Version]:
        for index, version in enumerate(super().__iter__()):
            self.reached = index + 1
            yield version


def test_a_pin_on_a_long_history_looks_only_above_the_pin() -> None:
    versions = _Watched(Version(f"1.{minor}") for minor in range(2000, 0, -1))
    assert list(matching_indexes(versions, SpecifierSet("==1.1990"))) == [10]
    assert versions.reached == 12  # 1.2000 .. 1.1990, then 1.1989 ends the walk
