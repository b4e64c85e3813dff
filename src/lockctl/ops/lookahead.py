"""Walk the dependency graph ahead of the resolver, so the network is busy while it thinks.

The resolver pins one project at a time, and on a cold cache each step waits for a project
page, then for the metadata of the release it picks, before it learns which projects come next.
The lookahead does that walk greedily and in parallel, in the index client's threads: as soon as
a project's page arrives it picks the release the resolver will most likely pick (the preferred
pin of an existing lock if allowed, else the newest release the first requirement seen allows,
with overrides and constraints applied), asks for its metadata, and when that arrives asks for
the pages of its dependencies. When the resolver gets there, the answers are waiting.

It is only a guess, and only ever a hint: a wrong guess costs one fetch, and anything that goes
wrong while guessing (a project no index has, a failed fetch, a client that is closing) is left
for the resolver to meet and report. One guess per project bounds the extra work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from typing import TypeVar

from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.index import CoreMetadata, ProjectNotFound, ProjectPage
from lockctl.ops.package_source import IndexPackageSource
from lockctl.resolver import Release
from lockctl.resolver.dependency import Dependency
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import release_at
from lockctl.resolver.selection import iter_admissible

__all__ = ["Lookahead"]

_T = TypeVar("_T")


class Lookahead:
    """Greedy prefetch of the graph the roots lead to: pages, then the likely release's metadata."""

    def __init__(
        self,
        source: IndexPackageSource,
        inputs: RootInputs,
        *,
        preferred: Mapping[NormalizedName, Version],
        pre: bool,
    ) -> None:
        self._source = source
        self._inputs = inputs
        self._preferred = preferred
        self._pre = pre
        self._python = Version(source.target.python_full_version)
        self._lock = threading.Lock()
        self._seen: set[NormalizedName] = set()
        self._pending = 0
        self._settled = threading.Event()
        self._settled.set()

    @property
    def guessed(self) -> frozenset[NormalizedName]:
        """The projects the walk has reached so far."""
        with self._lock:
            return frozenset(self._seen)

    def start(self) -> None:
        """Begin with every root requirement; returns at once."""
        for root in self._inputs.requirements:
            self._want(self._inputs.dependency(root.requirement, root=root))

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the walk has nothing left in flight; False if ``timeout`` ran out first."""
        return self._settled.wait(timeout)

    def _want(self, dependency: Dependency) -> None:
        if dependency.name in self._inputs.direct:
            return  # name @ URL: its artifact is the one candidate, no index page is wanted
        with self._lock:
            if dependency.name in self._seen:
                return
            self._seen.add(dependency.name)
        self._chain(self._source.client.project_future(dependency.name), self._on_page, dependency)

    def _chain(
        self, future: Future[_T], step: Callable[[Future[_T], Dependency], None], on: Dependency
    ) -> None:
        """Run ``step`` once ``future`` is done, counting it as in flight until then."""
        with self._lock:
            self._pending += 1
            self._settled.clear()
        future.add_done_callback(lambda done: self._run(step, done, on))

    def _run(
        self, step: Callable[[Future[_T], Dependency], None], done: Future[_T], on: Dependency
    ) -> None:
        """One step of the walk; whatever fails is left for the resolver to meet and report.

        A failed fetch, an odd marker, a client that is closing (``RuntimeError`` from its
        pool): none of them is the lookahead's to report, and an exception escaping a future's
        callback would only be logged with a traceback.
        """
        try:
            if not done.cancelled() and done.exception() is None:
                step(done, on)
        except Exception:  # a guess that failed is no failure
            pass
        finally:
            with self._lock:
                self._pending -= 1
                if self._pending == 0:
                    self._settled.set()

    def _on_page(self, page: Future[ProjectPage | ProjectNotFound], dependency: Dependency) -> None:
        found = page.result()
        if isinstance(found, ProjectNotFound):
            return
        best = self._likely_release(self._source.releases_of(found), dependency)
        if best is not None and best.all_files:
            self._chain(self._source.metadata_future(best), self._on_metadata, dependency)

    def _likely_release(
        self, releases: Sequence[Release], dependency: Dependency
    ) -> Release | None:
        specifier = dependency.specifier
        constraint = self._inputs.constraints.get(dependency.name)
        if constraint is not None:
            specifier &= constraint
        preferred = self._preferred.get(dependency.name)
        if preferred is not None:
            pinned = release_at(releases, preferred)
            if pinned is not None:
                for release in iter_admissible(
                    [pinned], specifier, python=self._python, pre=self._pre
                ):
                    return release
        for release in iter_admissible(releases, specifier, python=self._python, pre=self._pre):
            return release
        return None

    def _on_metadata(self, metadata: Future[CoreMetadata], dependency: Dependency) -> None:
        core = metadata.result()
        if core.requires_python is not None and not core.requires_python.contains(
            self._python, prereleases=True
        ):
            return
        extras = sorted(dependency.extras)
        for requirement in core.requires_dist:
            wanted = self._inputs.holds(requirement) or any(
                self._inputs.holds(requirement, extra) for extra in extras
            )
            if wanted and not requirement.url:
                self._want(self._inputs.dependency(requirement, root=None))
