"""The requirement and candidate types the provider hands to resolvelib.

resolvelib knows packages only by identifier. As in pip's resolver, a project asked for with
extras is its own identifier (``name[a,b]``) whose candidates depend on the plain project at the
same version, so the extras' requirements join the graph without a second copy of the project.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.resolver.models import Release, RootRequirement

__all__ = ["PYTHON", "Candidate", "Dependency", "identifier_for"]

# A requirement on the target's Python (a release's Requires-Python in its metadata): added only
# when it excludes the target, so it never has a candidate and the release is rejected with a
# cause that says why, as pip's RequiresPythonRequirement does.
PYTHON = "<python>"


def identifier_for(name: NormalizedName, extras: Iterable[str] = ()) -> str:
    """``name`` or ``name[a,b]`` with normalised, sorted extras: one identifier per extras set."""
    wanted = sorted({canonicalize_name(extra) for extra in extras})
    return f"{name}[{','.join(wanted)}]" if wanted else name


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """A requirement on one identifier, and where it came from.

    ``requirement`` is what to show: for an overridden requirement, the override. ``root`` is
    the input line of a root requirement (None for one from metadata); ``replaced`` the original
    requirement an override replaced, and ``overrides`` the override lines that did it.
    """

    identifier: str
    name: NormalizedName
    extras: frozenset[NormalizedName]
    specifier: SpecifierSet
    requirement: Requirement
    root: RootRequirement | None = None
    overrides: tuple[RootRequirement, ...] = ()
    replaced: Requirement | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """One release of a project, with the extras of the identifier it stands for."""

    name: NormalizedName
    extras: frozenset[NormalizedName]
    version: Version
    release: Release = field(compare=False, repr=False)

    @property
    def identifier(self) -> str:
        return identifier_for(self.name, self.extras)

    def describe(self) -> str:
        return f"{self.name} {self.version}"
