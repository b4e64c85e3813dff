"""Is a lock a valid solution? Every requirement met inside the lock, nothing unrequired pinned."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = ["lock_problems"]

Requires = Callable[[str, str], Sequence[Requirement]]


def _applies(requirement: Requirement, env: Mapping[str, str], extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def lock_problems(
    pins: Mapping[str, str],
    roots: Sequence[Requirement],
    *,
    requires: Requires,
    env: Mapping[str, str],
    constraints: Sequence[Requirement] = (),
) -> list[str]:
    """What is wrong with ``pins`` as a solution for ``roots`` (empty: a valid lock)."""
    problems: list[str] = []
    reached: dict[str, set[str]] = {}
    queue: list[tuple[Requirement, str]] = [(r, "the inputs") for r in roots]
    while queue:
        requirement, asker = queue.pop()
        if not _applies(requirement, env, set()):
            continue
        name = canonicalize_name(requirement.name)
        version = pins.get(name)
        if version is None:
            problems.append(f"{requirement} (from {asker}) is not pinned")
            continue
        if not requirement.specifier.contains(version, prereleases=True):
            problems.append(f"{name}=={version} does not satisfy {requirement} (from {asker})")
        extras = {canonicalize_name(e) for e in requirement.extras}
        known = reached.get(name)
        if known is not None and extras <= known:
            continue
        reached[name] = (known or set()) | extras
        for dependency in requires(name, version):
            if _applies(dependency, env, reached[name]):
                queue.append((dependency, f"{name}=={version}"))
    for constraint in constraints:
        limited = str(canonicalize_name(constraint.name))
        if limited in pins and not constraint.specifier.contains(pins[limited], prereleases=True):
            problems.append(f"{limited}=={pins[limited]} breaks the constraint {constraint}")
    for unrequired in sorted(set(pins) - set(reached)):
        problems.append(f"{unrequired}=={pins[unrequired]} is pinned but nothing requires it")
    return problems
