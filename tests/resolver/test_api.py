"""Unit tests around the cases: suggest_fixes, errors, the selection rules, prefetching."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.cli.conflicts import render_fix
from lockctl.errors import InputError
from lockctl.resolver import (
    ConflictCause,
    Release,
    Resolution,
    ResolutionConflict,
    ResolutionTooDeep,
    RootRequirement,
    TargetEnvironment,
    UnknownProject,
    UnsupportedRequirement,
    resolve,
    suggest_fixes,
)
from lockctl.resolver.explain import MAX_ATTEMPTS
from lockctl.resolver.selection import admissible, is_pinned
from tests.resolver.cases import load_cases, make_root
from tests.resolver.fakesource import FakeSource

LINUX = TargetEnvironment.create(python_version="3.11", platform="linux_x86_64")
STORY = next(case for case in load_cases() if case.id == "story_rich_fastmcp_mlflow")


def _conflict(roots: Sequence[RootRequirement]) -> ResolutionConflict:
    with pytest.raises(ResolutionConflict) as caught:
        STORY.run(roots)
    return caught.value


# -- suggest_fixes ----------------------------------------------------------------------------


def test_story_fixes_are_verified_with_the_changed_roots() -> None:
    roots = STORY.roots
    conflict = _conflict(roots)
    tried: list[list[str]] = []

    def resolve_again(changed: Sequence[RootRequirement]) -> Resolution:
        tried.append([f"{r.kind} {r.requirement}" for r in changed])
        return STORY.run(changed)

    fixes = [render_fix(fix) for fix in suggest_fixes(conflict, roots, resolve_again)]

    assert fixes == [
        "relax rich==13.7.0 in requirements-core.in line 5 (rich would resolve to 14.1.0)",
        "add --override 'rich>=13.9.4', as fastmcp asks (rich would resolve to 14.1.0)",
    ]
    assert tried == [
        ["requirement mlflow==3.4.0", "requirement rich", "requirement click>=8"],
        [
            "requirement mlflow==3.4.0",
            "requirement rich==13.7.0",
            "requirement click>=8",
            "override rich>=13.9.4",
        ],
    ]


def test_the_relaxed_root_keeps_its_origin_extras_and_marker() -> None:
    root = make_root({"requirement": 'rich[jupyter]==13.7.0; python_version >= "3.8"'})
    cause = ConflictCause(requirement=root.requirement, root=root)
    seen: list[RootRequirement] = []

    def resolve_again(changed: Sequence[RootRequirement]) -> Resolution:
        seen.extend(changed)
        return Resolution(pins=())

    fixes = suggest_fixes(ResolutionConflict([cause]), [root], resolve_again)
    assert [render_fix(fix) for fix in fixes] == [
        'relax rich[jupyter]==13.7.0; python_version >= "3.8" in requirements.in line 1'
    ]
    assert [str(r.requirement) for r in seen] == ['rich[jupyter]; python_version >= "3.8"']
    assert seen[0].origin == root.origin


def test_changes_that_do_not_resolve_are_not_suggested() -> None:
    roots = STORY.roots
    conflict = _conflict(roots)

    def still_conflicting(changed: Sequence[RootRequirement]) -> Resolution:
        if any(r.kind == "override" for r in changed):
            raise conflict
        return STORY.run(changed)

    fixes = suggest_fixes(conflict, roots, still_conflicting)
    assert [render_fix(fix) for fix in fixes] == [
        "relax rich==13.7.0 in requirements-core.in line 5 (rich would resolve to 14.1.0)"
    ]


def test_the_number_of_re_resolutions_is_capped() -> None:
    causes = [
        ConflictCause(
            requirement=Requirement(f"lib>={n}"), parent=(canonicalize_name(f"p{n}"), Version("1"))
        )
        for n in range(1, 12)
    ]
    calls: list[int] = []

    def resolve_again(changed: Sequence[RootRequirement]) -> Resolution:
        calls.append(len(changed))
        raise ResolutionConflict(causes)

    assert suggest_fixes(ResolutionConflict(causes), [], resolve_again) == []
    assert len(calls) == MAX_ATTEMPTS


def test_no_fixes_are_tried_when_resolution_gave_up() -> None:
    def never(changed: Sequence[RootRequirement]) -> Resolution:
        raise AssertionError("suggest_fixes must not re-resolve after ResolutionTooDeep")

    assert suggest_fixes(ResolutionTooDeep(10, []), STORY.roots, never) == []


# -- errors -----------------------------------------------------------------------------------


def test_unknown_project_carries_its_data() -> None:
    root = make_root({"requirement": "ghost>=1", "file": None})
    with pytest.raises(UnknownProject) as caught:
        resolve([root], source=FakeSource({}, LINUX), target=LINUX)
    error = caught.value
    assert isinstance(error, InputError)
    assert error.exit_code == 2
    assert (error.name, str(error.requirement), error.required_by, error.searched) == (
        "ghost",
        "ghost>=1",
        "the command line",
        ("http://127.0.0.1/simple/",),
    )
    assert str(error) == (
        "ghost was not found on http://127.0.0.1/simple/ (required by the command line)"
    )


def test_a_url_requirement_pins_the_release_it_names() -> None:
    url = "http://127.0.0.1/files/lib-1.0-py3-none-any.whl"
    root = make_root({"requirement": f"lib @ {url}"})
    source = FakeSource({"lib": {"2.0": {}, "1.0": {"url": url}}}, LINUX)
    pin = resolve([root], source=source, target=LINUX).get("lib")
    assert pin is not None
    assert (pin.version, pin.release.direct_reference) == (Version("1.0"), f"lib @ {url}")
    assert source.release_calls == []  # the index is never asked for a direct reference


def test_a_url_constraint_is_refused() -> None:
    url = "http://127.0.0.1/files/lib-1.0-py3-none-any.whl"
    root = make_root({"requirement": f"lib @ {url}", "kind": "constraint"})
    with pytest.raises(UnsupportedRequirement) as caught:
        resolve([root], source=FakeSource({"lib": {"1.0": {}}}, LINUX), target=LINUX)
    assert caught.value.required_by == "requirements.in line 1"
    assert caught.value.exit_code == 2


def test_resolution_too_deep_is_a_conflict_with_the_last_causes() -> None:
    with pytest.raises(ResolutionTooDeep) as caught:
        resolve(STORY.roots, source=STORY.source(), target=STORY.target, max_rounds=4)
    error = caught.value
    assert isinstance(error, ResolutionConflict)
    assert error.exit_code == 1
    assert error.rounds == 4
    assert str(error) == "gave up after 4 rounds of backtracking without a resolution"
    assert {str(cause.requirement) for cause in error.causes} == {"rich==13.7.0", "rich>=13.9.4"}
    assert len(error.chains) == len(error.causes)


# -- selection rules --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specifier", "pinned"),
    [("==1.0", True), ("===1.0", True), ("==1.*", False), (">=1,==1.2", True), (">=1", False)],
)
def test_is_pinned_matches_pip(specifier: str, pinned: bool) -> None:
    assert is_pinned(SpecifierSet(specifier)) is pinned


def _release(version: str) -> Release:
    return Release(name=canonicalize_name("lib"), version=Version(version), files=(), all_files=())


@pytest.mark.parametrize(
    ("specifier", "pre", "expected"),
    [
        ("", False, ["1.0"]),
        ("", True, ["2.0b1", "1.0"]),
        (">1.0", False, ["2.0b1"]),
        (">=2.0a1", False, ["2.0b1"]),
        ("<1", False, []),
    ],
)
def test_pre_release_rule(specifier: str, pre: bool, expected: list[str]) -> None:
    source = FakeSource({"lib": {"1.0": {}, "2.0b1": {}}}, LINUX)
    releases = source.releases(canonicalize_name("lib"))
    assert isinstance(releases, list)
    chosen = admissible(releases, SpecifierSet(specifier), python=Version("3.11.0"), pre=pre)
    assert [str(release.version) for release in chosen] == expected


def test_a_release_without_files_is_never_admissible() -> None:
    release = _release("1.0")
    assert admissible([release], SpecifierSet(), python=Version("3.11.0"), pre=False) == []


# -- the provider's use of the source ---------------------------------------------------------


def test_pinned_roots_are_resolved_first_and_best_candidates_are_prefetched() -> None:
    source = FakeSource(
        {"a": {"1.0": {}, "2.0": {}, "3.0": {}}, "b": {"1.0": {}, "2.0": {}}}, LINUX
    )
    roots = [make_root({"requirement": "a"}), make_root({"requirement": "b==1.0", "line": 2})]
    resolution = resolve(roots, source=source, target=LINUX)
    assert [(pin.name, str(pin.version)) for pin in resolution.pins] == [("a", "3.0"), ("b", "1.0")]
    assert source.metadata_calls == [("b", Version("1.0")), ("a", Version("3.0"))]
    # Only the best candidate of each: a second one is fetched only when a backtrack needs it.
    assert source.prefetched == [("a", Version("3.0")), ("b", Version("1.0"))]


def test_a_walk_down_a_project_fetches_the_next_releases_before_they_are_tried() -> None:
    # app 40..1: every app above 5 needs lib>=2, and the root caps lib<2, so the resolver
    # rejects 35 releases of app one after another (the stack the lookahead guesses wrong).
    apps = {f"{n}.0": {"requires_dist": ["lib>=2" if n > 5 else "lib<2"]} for n in range(40, 0, -1)}
    source = FakeSource({"app": apps, "lib": {"1.0": {}, "2.0": {}}}, LINUX)
    roots = [make_root({"requirement": "app"}), make_root({"requirement": "lib<2", "line": 2})]
    resolution = resolve(roots, source=source, target=LINUX)
    assert [(pin.name, str(pin.version)) for pin in resolution.pins] == [
        ("app", "5.0"),
        ("lib", "1.0"),
    ]
    tried = [version for name, version in source.metadata_calls if name == "app"]
    assert tried == [Version(f"{n}.0") for n in range(40, 4, -1)]
    # Every release of app tried after the first two was asked for ahead of the resolver,
    # and in the order it tried them; the queue ahead stays bounded.
    prefetched = [version for name, version in source.prefetched if name == "app"]
    asked = {version: position for position, version in enumerate(prefetched)}
    assert all(version in asked for version in tried)
    assert [asked[version] for version in tried] == sorted(asked[version] for version in tried)
    assert len(prefetched) <= len(tried) + 32
    assert len(set(prefetched)) == len(prefetched)


def test_releases_are_asked_for_once_per_project() -> None:
    source = STORY.source()
    with pytest.raises(ResolutionConflict):
        resolve(STORY.roots, source=source, target=STORY.target)
    # httpx is never asked for: no fastmcp that needs it was ever pinned.
    assert sorted(source.release_calls) == ["click", "fastmcp", "mlflow", "rich"]


def test_origin_of_a_pin_root_is_the_input_line() -> None:
    roots = [make_root({"requirement": "a", "file": "requirements.in", "line": 9})]
    resolution = resolve(roots, source=FakeSource({"a": {"1.0": {}}}, LINUX), target=LINUX)
    pin = resolution.get("A")
    assert pin is not None
    assert pin.roots == (RootRequirement(requirement=Requirement("a"), origin=roots[0].origin),)
    assert pin.release.files[0].filename == "a-1.0-py3-none-any.whl"
