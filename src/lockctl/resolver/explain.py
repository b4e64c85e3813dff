"""The smallest change that would fix a conflict, each one proven by resolving again.

Two kinds of change are tried, cheapest first: relax a root requirement that takes part in the
conflict (drop its specifier, or drop a -c line: one input line edited), then override the
clashing project with the requirement that lost (``--override``, which replaces every
requirement on the project, as uv's does). Only changes that resolve are suggested, and the
number of re-resolutions is capped. A fix is a value (``Fix``); the CLI words it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from lockctl.resolver.errors import ResolutionTooDeep, UnknownProject
from lockctl.resolver.fixes import Fix
from lockctl.resolver.models import (
    ConflictCause,
    Origin,
    Resolution,
    ResolutionConflict,
    RootRequirement,
)

__all__ = ["MAX_ATTEMPTS", "suggest_fixes"]

MAX_ATTEMPTS = 6  # each attempt is a full resolution; a suggestion must stay cheap


@dataclass(frozen=True, slots=True, kw_only=True)
class _Attempt:
    fix: Fix  # not yet checked
    roots: tuple[RootRequirement, ...]

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What tells two attempts apart, and orders them stably within a kind."""
        where = self.fix.location
        place = "" if where is None else f"{where.path}:{where.line:09d}"
        return (self.fix.kind, str(self.fix.requirement), place, self.fix.asked_by or "")


def suggest_fixes(
    conflict: ResolutionConflict,
    roots: Sequence[RootRequirement],
    resolve_again: Callable[[Sequence[RootRequirement]], Resolution],
) -> list[Fix]:
    """The changes that were verified to resolve, cheapest first."""
    if isinstance(conflict, ResolutionTooDeep):
        return []  # each attempt could run as long again; nothing is proven cheaply
    fixes: list[Fix] = []
    for attempt in _attempts(conflict, tuple(roots)):
        try:
            resolution = resolve_again(attempt.roots)
        except (ResolutionConflict, UnknownProject):
            continue
        pin = resolution.get(attempt.fix.requirement.name)
        outcome = None if pin is None else (pin.name, pin.version)
        fixes.append(replace(attempt.fix, checked=True, resolves_to=outcome))
    return fixes


def _attempts(conflict: ResolutionConflict, roots: tuple[RootRequirement, ...]) -> list[_Attempt]:
    attempts: list[_Attempt] = []
    seen: set[tuple[str, str, str, str]] = set()
    # Within each kind, a stable order (resolvelib's order of causes is an accident of search).
    relaxations = sorted(_relaxations(conflict.causes, roots), key=lambda a: a.key)
    overrides = sorted(_overrides(conflict.causes, roots), key=lambda a: a.key)
    for attempt in (*relaxations, *overrides):
        if attempt.key not in seen and len(attempts) < MAX_ATTEMPTS:
            seen.add(attempt.key)
            attempts.append(attempt)
    return attempts


def _relaxations(
    causes: Sequence[ConflictCause], roots: tuple[RootRequirement, ...]
) -> Iterator[_Attempt]:
    """Drop the specifier of each root requirement (or the -c line) that takes part."""
    for cause in causes:
        root = cause.root
        if cause.parent is not None or root is None or root.kind == "override":
            continue
        if root not in roots or not root.requirement.specifier:
            continue
        fix = Fix(
            kind="drop-constraint" if root.kind == "constraint" else "relax",
            requirement=root.requirement,
            location=root.origin.line,
            checked=False,
        )
        if root.kind == "constraint":
            # A constraint without a specifier says nothing (pip's -c adds no requirement).
            changed = tuple(r for r in roots if r != root)
        else:
            loose = RootRequirement(
                requirement=_without_specifier(root.requirement), origin=root.origin, kind=root.kind
            )
            changed = tuple(loose if r == root else r for r in roots)
        yield _Attempt(fix=fix, roots=changed)


def _overrides(
    causes: Sequence[ConflictCause], roots: tuple[RootRequirement, ...]
) -> Iterator[_Attempt]:
    """Force the requirement that lost on its project, for every requirement on it."""
    for cause in causes:
        if cause.parent is None or (cause.root is not None and cause.root.kind == "override"):
            continue
        wanted = cause.requirement
        extras = f"[{','.join(sorted(wanted.extras))}]" if wanted.extras else ""
        override = Requirement(f"{wanted.name}{extras}{wanted.specifier}")
        line = RootRequirement(requirement=override, origin=Origin(line=None), kind="override")
        fix = Fix(kind="override", requirement=override, asked_by=cause.parent[0], checked=False)
        yield _Attempt(fix=fix, roots=(*roots, line))


def _without_specifier(requirement: Requirement) -> Requirement:
    loose = Requirement(str(requirement))
    loose.specifier = SpecifierSet()
    return loose
