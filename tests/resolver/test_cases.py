"""Every case of cases/*.json: exact pins, or the exact conflict, or the unknown project."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from lockctl.cli.conflicts import render_fix
from lockctl.resolver import (
    Resolution,
    ResolutionConflict,
    RootRequirement,
    UnknownProject,
    suggest_fixes,
)
from tests.resolver.cases import Case, load_cases, render_cause, render_chain

CASES = load_cases()


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 35


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_case(case: Case) -> None:
    expected = case.expected
    if "pins" in expected:
        _check_resolution(case.run(), expected)
    elif "conflict" in expected:
        roots = case.roots
        with pytest.raises(ResolutionConflict) as caught:
            case.run(roots)
        _check_conflict(case, roots, caught.value, expected["conflict"])
    else:
        with pytest.raises(UnknownProject) as unknown:
            case.run()
        assert unknown.value.name == expected["unknown"]
        assert unknown.value.required_by == expected["required_by"]
        assert unknown.value.searched == ("http://127.0.0.1/simple/",)


def _check_resolution(resolution: Resolution, expected: Mapping[str, Any]) -> None:
    assert {pin.name: str(pin.version) for pin in resolution.pins} == expected["pins"]
    assert [pin.name for pin in resolution.pins] == sorted(expected["pins"])
    for name, extras in expected.get("extras", {}).items():
        pin = resolution.get(name)
        assert pin is not None
        assert sorted(pin.extras) == extras
    for name, parents in expected.get("parents", {}).items():
        pin = resolution.get(name)
        assert pin is not None
        assert list(pin.parents) == parents
    for name, roots in expected.get("roots", {}).items():
        pin = resolution.get(name)
        assert pin is not None
        assert [f"{r.kind} {r.requirement}" for r in pin.roots] == roots
    for name, notes in expected.get("overrides", {}).items():
        pin = resolution.get(name)
        assert pin is not None
        assert [
            {
                "override": str(n.override.requirement),
                "replaced": [[w, str(r)] for w, r in n.replaced],
            }
            for n in pin.overrides
        ] == notes
    for pin in resolution.pins:
        if pin.name not in expected.get("overrides", {}):
            assert pin.overrides == ()


def _check_conflict(
    case: Case,
    roots: list[RootRequirement],
    conflict: ResolutionConflict,
    expected: Mapping[str, Any],
) -> None:
    causes = [render_cause(cause) for cause in conflict.causes]
    assert sorted(causes) == sorted(expected["causes"])
    chains = [render_chain(chain) for chain in conflict.chains]
    assert len(chains) == len(causes)
    for chain in expected.get("chain_contains", ()):
        assert chain in chains
    assert list(conflict.unavailable) == expected.get("unavailable", [])
    if "fixes" in expected:
        fixes = suggest_fixes(conflict, roots, case.run)
        assert [render_fix(fix) for fix in fixes] == expected["fixes"]
