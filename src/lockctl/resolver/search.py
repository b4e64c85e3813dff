"""``resolve``: root requirements in, one pin per project out, or a conflict explained as data."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import cast

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version
from resolvelib import BaseReporter, ResolutionImpossible, Resolver
from resolvelib import ResolutionTooDeep as ResolvelibTooDeep
from resolvelib.structs import RequirementInformation

from lockctl.resolver.conflicts import ConflictReport
from lockctl.resolver.dependency import PYTHON, Candidate, Dependency
from lockctl.resolver.errors import UnknownProject
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import (
    OverrideNote,
    PackageSource,
    Preferences,
    Resolution,
    ResolvedPin,
    RootRequirement,
)
from lockctl.resolver.provider import LockProvider
from lockctl.target import TargetEnvironment
from lockctl.tracing import Tracer

__all__ = ["resolve"]

Information = RequirementInformation[Dependency, Candidate]
_NO_PREFERENCES = Preferences()  # shared default; a Preferences is never mutated


class _Reporter(BaseReporter[Dependency, Candidate, str]):
    """Keeps the causes of the latest backtrack (all we can say when resolvelib gives up), and
    counts rounds, backtracks and rejected candidates into the run's tracer."""

    def __init__(self, tracer: Tracer) -> None:
        self.causes: list[Information] = []
        self._tracer = tracer

    def starting_round(self, index: int) -> None:
        self._tracer.count("rounds")

    def resolving_conflicts(self, causes: Collection[Information]) -> None:
        self.causes = list(causes)
        self._tracer.count("backtracks")

    def rejecting_candidate(self, criterion: object, candidate: Candidate) -> None:
        self._tracer.count("rejected")


def resolve(
    roots: Sequence[RootRequirement],
    *,
    source: PackageSource,
    target: TargetEnvironment,
    preferences: Preferences = _NO_PREFERENCES,
    pre: bool = False,
    max_rounds: int = 200_000,
    tracer: Tracer | None = None,
) -> Resolution:
    """Pin every project the roots need, for ``target``.

    Raises ``UnknownProject`` when a requirement that decided the outcome names a project no
    index has, ``ResolutionConflict`` when no set of versions works, and ``ResolutionTooDeep``
    when resolvelib gives up after ``max_rounds`` rounds.
    """
    inputs = RootInputs(roots, target)
    provider = LockProvider(
        source=source, target=target, inputs=inputs, preferences=preferences, pre=pre
    )
    root_dependencies = [inputs.dependency(r.requirement, root=r) for r in inputs.requirements]
    report = ConflictReport(
        provider=provider,
        inputs=inputs,
        root_dependencies=root_dependencies,
        python=Version(target.python_full_version),
        pre=pre,
    )
    tracer = tracer or Tracer()
    reporter = _Reporter(tracer)
    try:
        with tracer.span("resolve", "resolver", roots=len(root_dependencies)):
            result = Resolver(provider, reporter).resolve(root_dependencies, max_rounds=max_rounds)
    except ResolutionImpossible as exc:
        causes = cast("Collection[Information]", exc.causes)
        _raise_if_unknown(causes, provider)
        raise report.conflict(causes) from None
    except ResolvelibTooDeep as exc:
        raise report.too_deep(exc.round_count, reporter.causes) from None
    return _resolution(result.mapping, provider, inputs, root_dependencies)


def _raise_if_unknown(causes: Collection[Information], provider: LockProvider) -> None:
    """A cause on a project no index has is the thing to report, not the conflict around it."""
    for info in causes:
        dependency = info.requirement
        missing = provider.not_found.get(dependency.name)
        if missing is None or dependency.identifier == PYTHON:
            continue
        if info.parent is not None:
            required_by = info.parent.describe()
        elif dependency.root is not None:
            required_by = dependency.root.origin.describe()
        else:
            required_by = "a root requirement"
        raise UnknownProject(
            name=dependency.name,
            requirement=dependency.requirement,
            required_by=required_by,
            searched=missing.searched,
        )


def _resolution(
    mapping: Mapping[str, Candidate],
    provider: LockProvider,
    inputs: RootInputs,
    root_dependencies: Sequence[Dependency],
) -> Resolution:
    extras: dict[NormalizedName, set[NormalizedName]] = {}
    parents: dict[NormalizedName, set[NormalizedName]] = {}
    replaced: dict[NormalizedName, list[tuple[str, Requirement]]] = {}
    for dependency in root_dependencies:
        if dependency.replaced is not None and dependency.root is not None:
            who = _asker(dependency.root)
            replaced.setdefault(dependency.name, []).append((who, dependency.replaced))
    for candidate in sorted(mapping.values(), key=lambda c: c.identifier):
        extras.setdefault(candidate.name, set()).update(candidate.extras)
        for dependency in provider.dependencies(candidate):
            if dependency.name == candidate.name:
                continue  # an extras candidate's own plain project, or nested extras
            parents.setdefault(dependency.name, set()).add(candidate.name)
            if dependency.replaced is not None:
                notes = replaced.setdefault(dependency.name, [])
                if (candidate.name, dependency.replaced) not in notes:
                    notes.append((candidate.name, dependency.replaced))
    named: dict[NormalizedName, list[RootRequirement]] = {}
    for root in (*inputs.requirements, *inputs.constraint_lines):
        named.setdefault(root.name, []).append(root)
    pins = []
    for candidate in sorted(mapping.values(), key=lambda c: c.name):
        if candidate.extras:
            continue
        name = candidate.name
        override = inputs.overrides.get(name)
        overrides = tuple(
            OverrideNote(override=line, replaced=tuple(replaced[name]))
            for line in (override.sources if override and replaced.get(name) else ())
        )
        pins.append(
            ResolvedPin(
                name=name,
                version=candidate.version,
                release=candidate.release,
                extras=frozenset(extras.get(name, ())),
                parents=tuple(sorted(parents.get(name, ()))),
                roots=tuple(named.get(name, ())),
                overrides=overrides,
            )
        )
    return Resolution(pins=tuple(pins))


def _asker(root: RootRequirement) -> str:
    """Who asked for a root requirement, written like pip-tools' ``# via`` entries."""
    line = root.origin.line
    if line is None:
        return "the command line"
    return f"{'-c' if root.kind == 'constraint' else '-r'} {line.path}"
