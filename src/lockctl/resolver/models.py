"""Values that go into and come out of resolution.

In: ``RootRequirement`` (a requirement with the file and line it came from), constraints and
overrides. Through: ``Release`` (one version of a project as the ``PackageSource`` offers it).
Out: ``Resolution`` (one ``ResolvedPin`` per project) or a ``ResolutionConflict`` carrying its
causes as data for the CLI to explain.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.errors import LockctlError
from lockctl.reqfile import SourceLine

if TYPE_CHECKING:  # annotations only: reading a lock's models needs no index modules
    from lockctl.index.coremeta import CoreMetadata
    from lockctl.index.models import DistributionFile, ProjectNotFound
from lockctl.resolver.fixes import Fix

__all__ = [
    "ConflictCause",
    "EditableProject",
    "Origin",
    "OverrideNote",
    "PackageSource",
    "Preferences",
    "Release",
    "ReleaseList",
    "Resolution",
    "ResolutionConflict",
    "ResolvedPin",
    "RootRequirement",
    "release_at",
    "versions_of",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Origin:
    """Where a root requirement was written: the line, and the includes that led to it.

    ``line`` is None for one given on the command line (``--override 'rich>=13.9.4'``).
    ``via`` is the chain of ``-r``/``-c`` lines from the top file down, as reqfile gives it.
    """

    line: SourceLine | None
    via: tuple[SourceLine, ...] = ()
    # A project input's dependency: how a lock's ``# via`` names it, pip-tools' ``comes_from``
    # (``myproject (pyproject.toml)``) instead of ``-r FILE``.
    project: str | None = None
    # A dependency of an editable project (``-e path``): pip-tools shows that project's name,
    # as for any parent, and writes no marker for it.
    parent: NormalizedName | None = None

    def describe(self) -> str:
        if self.line is None:
            return "the command line"
        text = self.line.describe()
        if self.parent is not None:
            text = f"{text}, a dependency of the editable project {self.parent}"
        if self.via:
            chain = ", ".join(step.describe() for step in reversed(self.via))
            text += f", reached through -r from {chain}"
        return text


@dataclass(frozen=True, slots=True, kw_only=True)
class RootRequirement:
    requirement: Requirement
    origin: Origin
    kind: Literal["requirement", "constraint", "override"] = "requirement"
    reason: str | None = None  # why an override exists, as its author wrote it
    # False where pip-tools writes no marker after the pin though the requirement has one
    # (a pyproject.toml extra's dependency): the marker is still evaluated, only not written.
    write_marker: bool = True

    @property
    def name(self) -> NormalizedName:
        return canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Release:
    """One version of a project as the source offers it for the target.

    ``files`` are the files installable on the target, best first (empty when none is);
    ``all_files`` every file of the release (what ``--generate-hashes`` lists, as pip-tools
    does). ``rejected`` says why the release cannot be used at all (requires-python, no file
    for the target), for explanations.
    """

    name: NormalizedName
    version: Version
    files: tuple[DistributionFile, ...]
    all_files: tuple[DistributionFile, ...]
    yanked: str | None = None  # PEP 592: reason ("" without one) when every file is yanked
    requires_python: SpecifierSet | None = None
    rejected: str | None = None
    # A PEP 508 direct reference's release: the line pip-compile writes for it in place of
    # ``name==version`` (``name @ URL``), from the source's ``direct``. None for an index's.
    direct_reference: str | None = None

    @property
    def has_wheel(self) -> bool:
        """Whether a wheel the target can install carries its metadata: a read of a request
        or two, where an sdist is a whole download (and maybe a build), so only these are
        fetched on a guess."""
        return any(dist.is_wheel for dist in self.files)


class ReleaseList(Sequence[Release]):
    """A project's releases, newest first, whose versions can be read without building them.

    A source whose releases are costly to make (files filtered for the target) subclasses
    this, so that selection matches versions first and builds only what it may pick.
    """

    @property
    @abstractmethod
    def versions(self) -> Sequence[Version]: ...

    def at(self, version: Version) -> Release | None:
        """The release of exactly this version, if there is one."""
        for index, candidate in enumerate(self.versions):
            if candidate == version:
                return self[index]
        return None


def versions_of(releases: Sequence[Release]) -> Sequence[Version]:
    """The versions of ``releases`` in order, without building a lazy source's releases."""
    if isinstance(releases, ReleaseList):
        return releases.versions
    return [release.version for release in releases]


def release_at(releases: Sequence[Release], version: Version) -> Release | None:
    """The release of that version, without building a lazy source's other releases."""
    if isinstance(releases, ReleaseList):
        return releases.at(version)
    return next((release for release in releases if release.version == version), None)


class PackageSource(Protocol):
    """Everything the resolver knows about packages comes through here; it never sees HTTP."""

    def releases(self, name: NormalizedName) -> Sequence[Release] | ProjectNotFound:
        """Every release, newest first, unusable ones included with their ``rejected`` reason."""
        ...

    def metadata(self, release: Release) -> CoreMetadata:
        """The core metadata of the release (of its best file for the target)."""
        ...

    def prefetch(self, releases: Iterable[Release]) -> None:
        """A hint that the metadata of these releases will be wanted soon."""
        ...

    def direct(self, requirement: Requirement) -> Release:
        """The release a direct reference (``name @ URL``) points at, read from the artifact."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideNote:
    """An override that changed a pin, and the requirements it replaced (for the lock comment)."""

    override: RootRequirement
    replaced: tuple[tuple[str, Requirement], ...]  # (who asked: a project name or a file, what)


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedPin:
    name: NormalizedName
    version: Version
    release: Release
    extras: frozenset[NormalizedName] = frozenset()
    parents: tuple[NormalizedName, ...] = ()  # pinned projects that require this one
    roots: tuple[RootRequirement, ...] = ()  # the input lines that name it (requirements, -c)
    overrides: tuple[OverrideNote, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EditableProject:
    """A local project an input installs editable (``-e path``): written as is, not resolved.

    ``url`` is the ``file:`` URL of the absolute path, as pip-tools writes it; ``roots`` the
    input lines naming it, for its ``# via`` line.
    """

    name: NormalizedName
    url: str
    roots: tuple[RootRequirement, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolution:
    pins: tuple[ResolvedPin, ...]  # sorted by name
    editables: tuple[EditableProject, ...] = ()  # written first, as pip-tools sorts them

    def get(self, name: str) -> ResolvedPin | None:
        wanted = canonicalize_name(name)
        return next((pin for pin in self.pins if pin.name == wanted), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConflictCause:
    """One requirement taking part in a conflict, and who asked for it.

    ``parent`` is the pinned project (name, version) whose metadata asked, or None for a root
    requirement (or -c constraint), whose ``root`` then says where it was written. For a
    requirement an override replaced, ``requirement`` is the override's and ``root`` the
    override line, whether ``parent`` is set or not.
    """

    requirement: Requirement
    parent: tuple[NormalizedName, Version] | None = None
    root: RootRequirement | None = None


class ResolutionConflict(LockctlError):
    """No set of versions satisfies every requirement. Exit code 1, as a failed check.

    ``causes`` is the data (resolvelib's ``ResolutionImpossible.causes``, with origins);
    ``chains`` paths from a root requirement down to each clashing requirement;
    ``unavailable`` why each near release was rejected; ``fixes`` the changes that were
    checked to resolve; ``lock`` the lock being compiled. The resolver raises it without
    fixes or lock; the caller that checked fixes raises ``explained(...)`` in its place.
    """

    exit_code = 1

    def __init__(
        self,
        causes: Sequence[ConflictCause],
        *,
        chains: Sequence[Sequence[ConflictCause]] = (),
        unavailable: Sequence[str] = (),
        fixes: Sequence[Fix] = (),
        lock: Path | None = None,
        message: str = "no versions satisfy every requirement",
    ) -> None:
        super().__init__(message)
        self.causes = tuple(causes)
        self.chains = tuple(tuple(chain) for chain in chains)
        self.unavailable = tuple(unavailable)  # "why each candidate was rejected" lines
        self.fixes = tuple(fixes)
        self.lock = lock

    def explained(self, *, fixes: Sequence[Fix], lock: Path | None) -> ResolutionConflict:
        """This conflict with the fixes found for it and its lock: a new error to raise."""
        return ResolutionConflict(
            self.causes,
            chains=self.chains,
            unavailable=self.unavailable,
            fixes=fixes,
            lock=lock,
            message=self.message,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Preferences:
    """Pins to prefer (an existing lock), and projects freed from them (--upgrade-package)."""

    pins: dict[NormalizedName, Version] = field(default_factory=dict)
    upgrade_all: bool = False
    upgrade: frozenset[NormalizedName] = frozenset()

    def preferred(self) -> dict[NormalizedName, Version]:
        """The pins still preferred once ``--upgrade`` and ``--upgrade-package`` are applied."""
        if self.upgrade_all:
            return {}
        return {name: v for name, v in self.pins.items() if name not in self.upgrade}
