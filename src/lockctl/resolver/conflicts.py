"""A ``ResolutionConflict`` built from resolvelib's causes: who asked, by which path, and why.

resolvelib says which requirements clashed (``ResolutionImpossible.causes``: requirement and
parent). The CLI needs more to tell the story: where each root requirement was written, the
path of requirements from a root down to each clashing one, the -c constraints on the clashing
projects (which filter candidates without being requirements, so resolvelib never names them),
and, for a requirement that no release could satisfy even alone, what each near release lacks.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Sequence

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version
from resolvelib.structs import RequirementInformation

from lockctl.resolver.dependency import PYTHON, Candidate, Dependency
from lockctl.resolver.errors import ResolutionTooDeep
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import ConflictCause, ResolutionConflict
from lockctl.resolver.provider import LockProvider
from lockctl.resolver.selection import admissible, is_pinned, unusable_reason
from lockctl.urls import redact_text

__all__ = ["ConflictReport", "describe_causes"]

Information = RequirementInformation[Dependency, Candidate]
_Step = tuple[Dependency, Candidate | None]
_MAX_REJECTED_LINES = 5


class ConflictReport:
    """Turns resolvelib's causes into the data of a ``ResolutionConflict``."""

    def __init__(
        self,
        *,
        provider: LockProvider,
        inputs: RootInputs,
        root_dependencies: Sequence[Dependency],
        python: Version,
        pre: bool,
    ) -> None:
        self._provider = provider
        self._inputs = inputs
        self._roots = root_dependencies
        self._python = python
        self._pre = pre

    def conflict(self, infos: Iterable[Information]) -> ResolutionConflict:
        unique = _unique(infos)
        causes, chains = self._causes_and_chains(unique)
        return ResolutionConflict(causes, chains=chains, unavailable=self.unavailable(unique))

    def too_deep(self, rounds: int, infos: Iterable[Information]) -> ResolutionTooDeep:
        causes, chains = self._causes_and_chains(_unique(infos))
        return ResolutionTooDeep(rounds, causes, chains=chains)

    def _causes_and_chains(
        self, infos: Sequence[Information]
    ) -> tuple[list[ConflictCause], list[list[ConflictCause]]]:
        """One chain per cause, in the same order; a -c constraint is its own chain."""
        causes = [_cause(info) for info in infos]
        chains = [[*describe_causes(_pairs(self._path_to(i.parent))), _cause(i)] for i in infos]
        named = {info.requirement.name for info in infos}
        for line in self._inputs.constraint_lines:
            if line.name in named:
                constraint = ConflictCause(requirement=line.requirement, root=line)
                causes.append(constraint)
                chains.append([constraint])
        for name, direct in self._inputs.direct.items():
            # A name @ URL root is the project's one candidate: resolvelib may name only the
            # requirement that refused it (as pip's causes do), so it is added here.
            if name in named and not any(cause.root == direct for cause in causes):
                reference = ConflictCause(requirement=direct.requirement, root=direct)
                causes.append(reference)
                chains.append([reference])
        return causes, chains

    def unavailable(self, infos: Sequence[Information]) -> list[str]:
        lines: list[str] = []
        seen: set[tuple[str, str]] = set()
        for info in infos:
            dependency = info.requirement
            key = (dependency.name, str(dependency.specifier))
            if dependency.identifier == PYTHON or key in seen:
                continue
            seen.add(key)
            lines.extend(self._why_nothing_matches(dependency))
        return lines

    def _why_nothing_matches(self, dependency: Dependency) -> list[str]:
        """Lines for a requirement that no release satisfies on its own, else none."""
        direct = self._inputs.direct.get(dependency.name)
        if direct is not None:  # not the index's releases: the one artifact the URL names
            version = self._provider.direct_release(direct).version
            if dependency.specifier.contains(version, prereleases=True):
                return []
            url = redact_text(direct.requirement.url or "")
            return [f"{dependency.requirement}: {url} is {dependency.name} {version}"]
        releases = self._provider.releases(dependency.name)
        if dependency.name in self._provider.not_found:
            return []
        specifier = dependency.specifier
        if admissible(releases, specifier, python=self._python, pre=self._pre):
            return []
        pinned = is_pinned(specifier)
        matching = [r for r in releases if specifier.contains(r.version, prereleases=True)]
        if matching:
            return [
                f"{r.name} {r.version}: {unusable_reason(r, python=self._python, pinned=pinned)}"
                for r in matching[:_MAX_REJECTED_LINES]
            ]
        usable = sorted(
            r.version
            for r in releases
            if unusable_reason(r, python=self._python, pinned=False) is None
        )
        nearest = ", ".join(str(version) for version in _nearest(usable, specifier))
        text = f"{dependency.requirement}: no release of {dependency.name} matches"
        return [f"{text}; nearest: {nearest}" if nearest else f"{text}; it has no usable release"]

    def _path_to(self, goal: Candidate | None) -> list[_Step]:
        """The shortest path of requirements from a root requirement to ``goal``.

        Walks the candidates whose dependencies the provider read; every step is a requirement
        that the next candidate satisfies, so the path is a true derivation of ``goal``.
        """
        if goal is None:
            return []
        explored: dict[str, list[Candidate]] = {}
        for candidate in self._provider.explored():
            explored.setdefault(candidate.identifier, []).append(candidate)
        queue: deque[tuple[Candidate, list[_Step]]] = deque()
        seen: set[Candidate] = set()

        def visit(dependency: Dependency, parent: Candidate | None, path: list[_Step]) -> None:
            for candidate in explored.get(dependency.identifier, ()):
                if candidate not in seen and dependency.specifier.contains(
                    candidate.version, prereleases=True
                ):
                    seen.add(candidate)
                    queue.append((candidate, [*path, (dependency, parent)]))

        for dependency in self._roots:
            visit(dependency, None, [])
        while queue:
            candidate, path = queue.popleft()
            if candidate == goal:
                return path
            for dependency in self._provider.dependencies(candidate):
                visit(dependency, candidate, path)
        return []


def describe_causes(infos: Iterable[Information]) -> list[ConflictCause]:
    """resolvelib's (requirement, parent) pairs as ``ConflictCause`` values, duplicates dropped."""
    return [_cause(info) for info in _unique(infos)]


def _cause(info: Information) -> ConflictCause:
    dependency, parent = info.requirement, info.parent
    # A requirement an override replaced names the override line as its root, so a reader sees
    # that the clashing text is the override's, not what the parent asked for.
    root = dependency.overrides[0] if dependency.overrides else dependency.root
    return ConflictCause(
        requirement=dependency.requirement,
        parent=None if parent is None else (parent.name, parent.version),
        root=root,
    )


def _pairs(path: Sequence[_Step]) -> list[Information]:
    # The step from ``foo[x]`` to plain ``foo`` at the same version says nothing to a reader.
    return [
        RequirementInformation(dependency, parent)
        for dependency, parent in path
        if parent is None or dependency.name != parent.name
    ]


def _unique(infos: Iterable[Information]) -> list[Information]:
    seen: set[tuple[str, str, Candidate | None]] = set()
    unique: list[Information] = []
    for info in infos:
        key = (info.requirement.identifier, str(info.requirement.requirement), info.parent)
        if key not in seen:
            seen.add(key)
            unique.append(info)
    return unique


def _nearest(versions: Sequence[Version], specifier: SpecifierSet) -> list[Version]:
    """The available versions either side of each version the specifier names."""
    anchors: list[Version] = []
    for spec in specifier:
        try:
            anchors.append(Version(spec.version.removesuffix(".*")))
        except InvalidVersion:
            continue
    if not anchors:
        return list(reversed(versions[-3:]))
    picked: set[Version] = set()
    for anchor in anchors:
        index = bisect_left(versions, anchor)
        picked.update(versions[max(index - 1, 0) : index + 1])
    return sorted(picked)
