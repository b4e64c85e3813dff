"""The resolver's PackageSource, backed by the index client and filtered for the target.

The resolver asks for a project's releases and a release's metadata; this adapter answers from
``IndexClient`` and decides, for the target environment, which files of a release can be
installed (wheel tags, requires-python) and why a release cannot be used at all.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from datetime import datetime
from typing import overload

from packaging.requirements import Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag
from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.errors import MetadataUnavailable
from lockctl.index import CoreMetadata, DistributionFile, IndexClient, ProjectNotFound, ProjectPage
from lockctl.index.models import VersionsByKey
from lockctl.ops.cooldown import format_instant, uploaded_after
from lockctl.ops.direct_source import DirectSource
from lockctl.resolver import Release, TargetEnvironment
from lockctl.resolver.models import ReleaseList
from lockctl.resolver.selection import NoFileFits, sdist_cannot_stand_in

__all__ = ["IndexPackageSource", "metadata_file"]


class IndexPackageSource:
    """``exclude_newer``: files uploaded after it are left out (``--exclude-newer``); a file
    whose page gives no upload time (HTML) is kept."""

    def __init__(
        self,
        client: IndexClient,
        target: TargetEnvironment,
        *,
        exclude_newer: datetime | None = None,
    ) -> None:
        self.client = client
        self.target = target
        self.exclude_newer = exclude_newer
        self._rank: dict[Tag, int] = {tag: i for i, tag in enumerate(target.tags())}
        self._python = Version(target.python_full_version)
        self._lock = threading.Lock()
        self._releases: dict[NormalizedName, Sequence[Release] | ProjectNotFound] = {}
        self.projects_loaded = 0
        self._python_checks: dict[str, bool] = {}
        self.on_activity: Callable[[], None] = _nothing
        self._direct = DirectSource(  # name @ URL: ops.direct_source
            client.fetcher,
            target,
            allow_build=client.options.allow_build,
            offline=client.options.offline,
            cache=client.cache,
        )

    def releases(self, name: NormalizedName) -> Sequence[Release] | ProjectNotFound:
        with self._lock:
            known = self._releases.get(name)
        if known is None:
            future = self.client.project_future(name)
            started = None if future.done() else time.perf_counter()
            page = self.client.project(name)
            if started is not None:
                self.client.tracer.waited(
                    time.perf_counter() - started, what=f"page {name}", serial=False
                )
            known = page if isinstance(page, ProjectNotFound) else self.releases_of(page)
            with self._lock:
                known = self._releases.setdefault(name, known)
        self.on_activity()
        return known

    def releases_of(self, page: ProjectPage) -> Sequence[Release]:
        """The page's releases, built once whichever thread asks first (the lookahead's too)."""
        with self._lock:
            known = self._releases.get(page.name)
            if known is None:
                known = self._releases[page.name] = _LazyReleases(page, self._release)
            self.projects_loaded = len(self._releases)
        assert not isinstance(known, ProjectNotFound)
        return known

    def metadata(self, release: Release) -> CoreMetadata:
        try:
            return self._metadata(release)
        except MetadataUnavailable as error:  # no wheel fits: say so, not the sdist's story
            raise sdist_cannot_stand_in(release, self.target.describe(), error) from None

    def _metadata(self, release: Release) -> CoreMetadata:
        self.on_activity()
        if release.direct_reference is not None:
            return self._direct.metadata(release)
        dist = metadata_file(release)
        asked_before = self.client.has_metadata_future(dist)
        future = self.client.metadata_future(dist)
        if future.done():
            return future.result()
        # The resolver waits: worth counting, and a fetch nobody started ahead is a full
        # round trip it sits through (the figure issue 15's benchmark watches).
        started = time.perf_counter()
        try:
            return future.result()
        finally:
            self.client.tracer.waited(
                time.perf_counter() - started,
                what=f"metadata {release.name} {release.version}",
                serial=not asked_before,
            )

    def prefetch(self, releases: Iterable[Release]) -> None:
        for release in releases:
            if release.direct_reference is not None:
                continue  # read whole by ops.direct_source when the resolver asks
            if release.all_files and not self.client.has_cached_metadata(metadata_file(release)):
                self.metadata_future(release, guess=True)

    def direct(self, requirement: Requirement) -> Release:
        return self._direct.release(requirement)

    def metadata_future(self, release: Release, *, guess: bool = False) -> Future[CoreMetadata]:
        """``guess``: a read nobody waits for yet (see ``IndexClient.metadata_future``)."""
        return self.client.metadata_future(metadata_file(release), guess=guess)

    def prefetch_projects(self, names: Iterable[str]) -> None:
        self.client.prefetch_projects(names)

    def _release(self, page: ProjectPage, version: Version) -> Release:
        listed = page.files_for(version)
        all_files = listed
        if self.exclude_newer is not None:
            cutoff = self.exclude_newer
            all_files = tuple(f for f in listed if not uploaded_after((f,), cutoff))
        python_ok = [f for f in all_files if self._python_ok(f)]
        usable = sorted(
            (f for f in python_ok if self._file_rank(f) is not None),
            key=lambda f: (self._file_rank(f), f.filename),
        )
        rejected = None
        if listed and not all_files:
            assert self.exclude_newer is not None
            rejected = f"uploaded after {format_instant(self.exclude_newer)} (--exclude-newer)"
        elif not all_files:
            rejected = "the index lists no files"
        elif not python_ok:
            shown = sorted({f.requires_python or "" for f in all_files})[0]
            rejected = f"requires Python {shown}, not {self.target.python_minor}"
        elif not usable:
            rejected = NoFileFits.of(all_files, self.target.describe()).reason()
        yanked_files = [f for f in all_files if f.is_yanked]
        yanked = None
        if all_files and len(yanked_files) == len(all_files):
            yanked = yanked_files[0].yanked or ""
        return Release(
            name=page.name,
            version=version,
            files=tuple(usable),
            all_files=all_files,
            yanked=yanked,
            requires_python=_requires_python(usable or all_files),
            rejected=rejected,
        )

    def _python_ok(self, dist: DistributionFile) -> bool:
        text = dist.requires_python
        if not text:
            return True
        known = self._python_checks.get(text)
        if known is None:  # thousands of files share a few requires-python texts
            try:
                known = SpecifierSet(text).contains(self._python, prereleases=True)
            except InvalidSpecifier:
                known = True  # pip ignores a requires-python it cannot parse
            self._python_checks[text] = known
        return known

    def _file_rank(self, dist: DistributionFile) -> int | None:
        """Lower is better; None when the target cannot install the file.

        Wheels rank by the target's tag order; an sdist ranks after every wheel (it can be
        built anywhere, but lockctl only reads its static metadata unless builds are allowed).
        """
        parsed = dist.parsed
        if parsed is None:
            return None
        if not parsed.is_wheel:
            return len(self._rank)
        return min((self._rank[t] for t in parsed.tags if t in self._rank), default=None)


def _nothing() -> None:
    pass


def metadata_file(release: Release) -> DistributionFile:
    """The file whose metadata stands for the release: the smallest wheel the target can
    install, else the best file of any kind.

    The smallest is the cheapest to read, range by range (a short central directory) or whole
    (an index without range requests). The wheels of one release declare the same
    requirements, platform differences written as markers; one that did not would also
    break pip-compile's locks for every other platform.
    """
    candidates = release.files or release.all_files
    wheels = [f for f in candidates if f.is_wheel]
    if not wheels:
        return candidates[0]
    sized = [f for f in wheels if f.size is not None]
    return min(sized, key=lambda f: (f.size, f.filename)) if sized else wheels[0]


def _requires_python(files: Sequence[DistributionFile]) -> SpecifierSet | None:
    for dist in files:
        if dist.requires_python:
            try:
                return SpecifierSet(dist.requires_python)
            except InvalidSpecifier:
                continue
    return None


class _LazyReleases(ReleaseList):
    """A project's releases newest first, each built (files filtered) only when looked at.

    A popular project has hundreds of releases and thousands of files; resolution usually
    looks at a few of the newest.
    """

    def __init__(self, page: ProjectPage, build: Callable[[ProjectPage, Version], Release]) -> None:
        self._page = page
        self._build = build
        self._versions = page.newest_first()
        self._built: dict[int, Release] = {}
        self._index: dict[Version, int] | None = None

    @property
    def versions(self) -> Sequence[Version]:
        return self._versions

    def at(self, version: Version) -> Release | None:
        if isinstance(self._versions, VersionsByKey):
            position = self._versions.position(version)
        else:
            if self._index is None:
                self._index = {v: i for i, v in enumerate(self._versions)}
            position = self._index.get(version)
        return None if position is None else self[position]

    @overload
    def __getitem__(self, index: int) -> Release: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[Release]: ...

    def __getitem__(self, index: int | slice) -> Release | Sequence[Release]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self._versions)))]
        if index < 0:
            index += len(self._versions)
        release = self._built.get(index)
        if release is None:  # two threads may build it; the first one stored is kept
            release = self._built.setdefault(index, self._build(self._page, self._versions[index]))
        return release

    def __len__(self) -> int:
        return len(self._versions)

    def __iter__(self) -> Iterator[Release]:
        return (self[i] for i in range(len(self._versions)))
