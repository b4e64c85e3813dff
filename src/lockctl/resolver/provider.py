"""The resolvelib provider: every fact about packages comes from a ``PackageSource``.

It applies, for the target environment, markers, requires-python, yanked and pre-release rules
(``selection``), constraints and overrides (``inputs``) and existing pins as preferences. It
never sees HTTP; the source may fetch metadata in parallel when ``prefetch`` hints at it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from itertools import count, islice

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version
from resolvelib import AbstractProvider
from resolvelib.structs import RequirementInformation

from lockctl.errors import RequirementsFileError, UsageError
from lockctl.index.models import ProjectNotFound
from lockctl.resolver.dependency import PYTHON, Candidate, Dependency, identifier_for
from lockctl.resolver.direct import same_reference
from lockctl.resolver.errors import UnsupportedRequirement
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import (
    PackageSource,
    Preferences,
    Release,
    RootRequirement,
    release_at,
    versions_of,
)
from lockctl.resolver.selection import is_pinned, iter_admissible, matching_indexes
from lockctl.target import TargetEnvironment

__all__ = ["LockProvider"]

Information = RequirementInformation[Dependency, Candidate]
Preference = tuple[bool, bool, int, str]
# The best candidate only. Prefetching the runner-up too (for after a backtrack) doubled the
# metadata fetched on a cold run, and a cold run is CPU-bound: it cost 0.4 s on 118 pins.
_PREFETCH_PER_IDENTIFIER = 1
# After a rejection, this many of the project's next releases are fetched ahead: as many as
# were tried so far, between these bounds (a long walk down a project gets a deeper queue).
_BATCH_MIN = 8
_BATCH_MAX = 32
_COUNT_CAP = 64  # "fewest candidates" needs no exact count beyond this
# The remembered answers start over past this many: a long backtracking search makes new
# candidates every round, and what it asked thousands of rounds ago is rarely asked again.
_MEMORY_CAP = 100_000


class LockProvider(AbstractProvider[Dependency, Candidate, str]):
    def __init__(
        self,
        *,
        source: PackageSource,
        target: TargetEnvironment,
        inputs: RootInputs,
        preferences: Preferences,
        pre: bool = False,
    ) -> None:
        self._source = source
        self._inputs = inputs
        self._python = Version(target.python_full_version)
        self._pre = pre
        self._preferred = preferences.preferred()
        self._releases: dict[NormalizedName, Sequence[Release]] = {}
        self._dependencies: dict[Candidate, tuple[Dependency, ...]] = {}
        self._prefetched: set[tuple[NormalizedName, Version]] = set()
        self._counts: dict[tuple[NormalizedName, str], int] = {}
        # resolvelib asks the same questions round after round (is every pin still satisfied?
        # which project next?) about the same objects: answers are kept by object identity,
        # next to the objects themselves, which keeps those identities from being reused.
        self._satisfied: dict[tuple[int, int], tuple[Dependency, Candidate, bool]] = {}
        self._preferences: dict[tuple[object, ...], tuple[tuple[Dependency, ...], Preference]] = {}
        self.not_found: dict[NormalizedName, ProjectNotFound] = {}

    # -- what the source offers -------------------------------------------------------------

    def releases(self, name: NormalizedName) -> Sequence[Release]:
        """Every release of the project, newest first; none for a project no index has."""
        known = self._releases.get(name)
        if known is None:
            found = self._source.releases(name)
            if isinstance(found, ProjectNotFound):
                # "Not found" stays a value: resolvelib backtracks past it (an older parent may
                # not need the project, as pip does), and resolve() names it if it is fatal.
                self.not_found[name] = found
                found = ()
            known = self._releases[name] = found
        return known

    def specifier_for(
        self, name: NormalizedName, dependencies: Iterable[Dependency]
    ) -> SpecifierSet:
        """The requirements' specifiers merged with the constraints on the project (pip's -c)."""
        specifier = self._inputs.constraints.get(name, SpecifierSet())
        for dependency in dependencies:
            specifier &= dependency.specifier
        return specifier

    def dependencies(self, candidate: Candidate) -> tuple[Dependency, ...]:
        known = self._dependencies.get(candidate)
        if known is None:
            known = self._dependencies[candidate] = tuple(self._read_dependencies(candidate))
        return known

    def explored(self) -> list[Candidate]:
        """The candidates whose dependencies were read, in the order they were read."""
        return list(self._dependencies)

    # -- resolvelib ---------------------------------------------------------------------------

    def identify(self, requirement_or_candidate: Dependency | Candidate) -> str:
        return requirement_or_candidate.identifier

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Information]],
        backtrack_causes: Sequence[Information],
    ) -> Preference:
        # Pinned (==) and root requirements first: they have one or few choices and decide
        # much of the rest; then the identifier with the fewest candidates left.
        infos = list(information[identifier])
        key = (identifier, *(id(info.requirement) for info in infos))
        known = self._preferences.get(key)
        if known is not None:
            return known[1]
        pinned = root = False
        specifier = SpecifierSet()
        name: NormalizedName | None = None
        for info in infos:
            root = root or info.parent is None
            pinned = pinned or is_pinned(info.requirement.specifier)
            specifier &= info.requirement.specifier
            name = info.requirement.name
        count = self._rough_count(identifier, name, specifier)
        preference = (not pinned, not root, count, identifier)
        if len(self._preferences) >= _MEMORY_CAP:
            self._preferences.clear()
        self._preferences[key] = (tuple(info.requirement for info in infos), preference)
        return preference

    def _rough_count(
        self, identifier: str, name: NormalizedName | None, specifier: SpecifierSet
    ) -> int:
        """How many versions the specifier leaves, counted on versions alone (capped).

        Counting real candidates would build every release it looks at (files filtered for
        the target) on every round; for ordering, matching versions is close enough.
        """
        if identifier == PYTHON or name is None:
            return 0
        if name in self._inputs.direct:
            return 1  # a direct reference has one candidate: its artifact
        key = (name, str(specifier))
        known = self._counts.get(key)
        if known is not None:
            return known
        releases = self.releases(name)
        left = matching_indexes(versions_of(releases), specifier)
        count = self._counts[key] = sum(1 for _ in islice(left, _COUNT_CAP))
        return count

    def narrow_requirement_selection(
        self,
        identifiers: Iterable[str],
        resolutions: Mapping[str, Candidate],
        candidates: Mapping[str, Iterator[Candidate]],
        information: Mapping[str, Iterator[Information]],
        backtrack_causes: Sequence[Information],
    ) -> Iterable[str]:
        waiting = list(identifiers)
        self._prefetch(waiting, candidates)
        # After a backtrack, work on the projects that caused it first (pip does the same):
        # the conflict is settled or proven before anything unrelated is pinned again.
        causes = {info.requirement.identifier for info in backtrack_causes}
        causes.update(info.parent.identifier for info in backtrack_causes if info.parent)
        return [identifier for identifier in waiting if identifier in causes] or waiting

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[Dependency]],
        incompatibilities: Mapping[str, Iterator[Candidate]],
    ) -> list[Candidate] | Callable[[], Iterator[Candidate]]:
        wanted = list(requirements[identifier])
        if identifier == PYTHON or not wanted:
            return []
        name, extras = wanted[0].name, wanted[0].extras
        specifier = self.specifier_for(name, wanted)
        excluded = {candidate.version for candidate in incompatibilities[identifier]}
        direct = self._inputs.direct.get(name)
        if direct is not None:
            return self._direct_match(direct, extras, specifier, excluded)
        releases = self.releases(name)
        preferred = self._preferred.get(name)

        def matches() -> Iterator[Candidate]:
            # Lazy: resolvelib usually takes the first candidate or two of a project with
            # hundreds of releases. When it asks for more, each one asked for before was
            # rejected, and the search is walking down this project: the releases it will try
            # next are fetched in parallel (uv's batch prefetch), ahead of the resolver.
            ordered = self._ordered(releases, specifier, excluded, preferred)
            ahead: deque[Release] = deque()
            for tried in count():
                release = ahead.popleft() if ahead else next(ordered, None)
                if release is None:
                    return
                if tried:
                    depth = min(_BATCH_MAX, max(_BATCH_MIN, tried))
                    ahead.extend(islice(ordered, max(0, depth - len(ahead))))
                    # Only wheels ahead: an sdist's metadata is a whole download, fetched
                    # when (if ever) the resolver gets there, as uv's batch prefetch does.
                    self._prefetch_releases((release, *(r for r in ahead if r.has_wheel)))
                yield Candidate(name=name, extras=extras, version=release.version, release=release)

        return matches

    def _ordered(
        self,
        releases: Sequence[Release],
        specifier: SpecifierSet,
        excluded: Collection[Version],
        preferred: Version | None,
    ) -> Iterator[Release]:
        """The releases in the order they are tried: pip-tools keeps an existing pin when it is
        still allowed, so a lock changes only where it must; then newest first."""
        if preferred is not None and preferred not in excluded:
            pinned = release_at(releases, preferred)
            yield from iter_admissible(
                [] if pinned is None else [pinned], specifier, python=self._python, pre=self._pre
            )
        for release in iter_admissible(releases, specifier, python=self._python, pre=self._pre):
            if release.version not in excluded and release.version != preferred:
                yield release

    def direct_release(self, root: RootRequirement) -> Release:
        """The release a root ``name @ URL`` names (the source reads each artifact once).

        A reference that cannot be used is said at the line that wrote it, as any bad line is.
        """
        try:
            return self._source.direct(root.requirement)
        except UsageError as refused:
            line = root.origin.line
            if line is None:
                raise
            raise RequirementsFileError(
                refused.message, span=line.span(), hint=refused.hint
            ) from None

    def _direct_match(
        self,
        root: RootRequirement,
        extras: frozenset[NormalizedName],
        specifier: SpecifierSet,
        excluded: set[Version],
    ) -> list[Candidate]:
        """The artifact a root ``name @ URL`` names, if every other requirement accepts its
        version (pip's ExplicitRequirement: the URL is the one candidate, any pre-release)."""
        release = self.direct_release(root)
        version = release.version
        if version in excluded or not specifier.contains(version, prereleases=True):
            return []
        return [Candidate(name=root.name, extras=extras, version=version, release=release)]

    def is_satisfied_by(self, requirement: Dependency, candidate: Candidate) -> bool:
        # find_matches already applied the pre-release rule; a pinned pre-release satisfies any
        # later requirement its version matches, as in pip.
        key = (id(requirement), id(candidate))
        known = self._satisfied.get(key)
        if known is not None:
            return known[2]
        satisfied = requirement.specifier.contains(candidate.version, prereleases=True)
        if len(self._satisfied) >= _MEMORY_CAP:
            self._satisfied.clear()
        self._satisfied[key] = (requirement, candidate, satisfied)
        return satisfied

    def get_dependencies(self, candidate: Candidate) -> Iterable[Dependency]:
        return self.dependencies(candidate)

    # -- helpers ------------------------------------------------------------------------------

    def _prefetch(
        self, identifiers: list[str], candidates: Mapping[str, Iterator[Candidate]]
    ) -> None:
        """Tell the source which metadata comes next, so it can fetch it in parallel."""
        self._prefetch_releases(
            candidate.release
            for identifier in identifiers
            for candidate in islice(candidates[identifier], _PREFETCH_PER_IDENTIFIER)
        )

    def _prefetch_releases(self, releases: Iterable[Release]) -> None:
        wanted: list[Release] = []
        for release in releases:
            key = (release.name, release.version)
            if key not in self._prefetched:
                self._prefetched.add(key)
                wanted.append(release)
        if wanted:
            self._source.prefetch(wanted)

    def _read_dependencies(self, candidate: Candidate) -> Iterator[Dependency]:
        metadata = self._source.metadata(candidate.release)
        if candidate.extras:
            # pip's ExtrasCandidate: the same release of the plain project, plus the
            # requirements that only the requested extras switch on.
            yield self._exact(candidate, Requirement(f"{candidate.name}=={candidate.version}"))
            for requirement in metadata.requires_dist:
                if not self._inputs.holds(requirement) and any(
                    self._inputs.holds(requirement, extra) for extra in sorted(candidate.extras)
                ):
                    yield self._from_metadata(candidate, requirement)
            return
        python = metadata.requires_python
        if python is not None and not python.contains(self._python, prereleases=True):
            yield Dependency(
                identifier=PYTHON,
                name=canonicalize_name("python"),
                extras=frozenset(),
                specifier=python,
                requirement=Requirement(f"python{python}"),
            )
            return
        for requirement in metadata.requires_dist:
            if self._inputs.holds(requirement):
                yield self._from_metadata(candidate, requirement)

    def _from_metadata(self, candidate: Candidate, requirement: Requirement) -> Dependency:
        if requirement.url:
            # pip follows a dependency's URL from any release; lockctl only when a root names
            # the same URL, so that every URL a lock fetches is in its inputs (resolver.direct).
            root = self._inputs.direct.get(canonicalize_name(requirement.name))
            if root is None or not same_reference(root.requirement, requirement):
                raise UnsupportedRequirement(
                    requirement,
                    reason="a dependency's direct URL is followed only when the inputs name "
                    "the same URL (add this requirement to them)",
                    required_by=candidate.describe(),
                )
        if canonicalize_name(requirement.name) == candidate.name:
            # Nested extras (``foo[all]`` needs ``foo[a,b]``): the same release, never another.
            return self._exact(candidate, requirement)
        return self._inputs.dependency(requirement, root=None)

    def _exact(self, candidate: Candidate, requirement: Requirement) -> Dependency:
        extras = frozenset(canonicalize_name(extra) for extra in requirement.extras)
        return Dependency(
            identifier=identifier_for(candidate.name, extras),
            name=candidate.name,
            extras=extras,
            specifier=SpecifierSet(f"=={candidate.version}"),
            requirement=requirement,
        )
