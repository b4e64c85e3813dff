"""Walk the dependency graph ahead of the resolver, so the network is busy while it thinks.

The resolver pins one project at a time, and on a cold cache each step waits for a project
page, then for the metadata of the release it picks, before it learns which projects come next.
The lookahead does that walk greedily and in parallel, in the index client's threads: as soon as
a project's page arrives it picks the release the resolver will most likely pick (the preferred
pin of an existing lock if allowed, else the newest release the first requirement seen allows,
with overrides and constraints applied), asks for its metadata, and when that arrives asks for
the pages of its dependencies. When the resolver gets there, the answers are waiting.

The guess narrows with what is already known: every root requirement (and constraint) on a
project applies wherever the project is met, so ``numpy<2`` in an input rules out numpy 2 as a
guess even when numpy is first met as a dependency of something else. When a guess's metadata
asks for a project the roots cap elsewhere (fastapi's newest releases need ``pydantic>=2``
beside a root ``pydantic<2``), the resolver is going to reject that release and walk down the
project's older ones: the lookahead walks down first, fetching the next releases in parallel
batches in the order the resolver will try them, until one fits the roots.

It is only a guess, and only ever a hint: a wrong guess costs a few fetches, and anything that
goes wrong while guessing (a project no index has, a failed fetch, a client that is closing) is
left for the resolver to meet and report. One guess per project, and a bounded walk down,
bound the extra work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from itertools import islice
from typing import TypeVar

from packaging.specifiers import SpecifierSet
from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.index import CoreMetadata, ProjectNotFound, ProjectPage
from lockctl.ops.package_source import IndexPackageSource
from lockctl.resolver import Release
from lockctl.resolver.dependency import Dependency
from lockctl.resolver.inputs import RootInputs
from lockctl.resolver.models import release_at, versions_of
from lockctl.resolver.selection import iter_admissible, matching_indexes

__all__ = ["Lookahead"]

_T = TypeVar("_T")
_WALK_BATCH = 16  # releases of a project fetched at once while walking down past a conflict
_WALK_LIMIT = 160  # releases of one project the walk may fetch in all
_REGUESS_LIMIT = 2  # new guesses for one project when later requirements rule the last out


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
        # What every resolution must satisfy, whoever asks: the roots' specifiers (overrides
        # applied) and the constraints, merged per project.
        self._roots: dict[NormalizedName, SpecifierSet] = dict(inputs.constraints)
        for root in inputs.requirements:
            merged = inputs.dependency(root.requirement, root=root).specifier
            self._roots[root.name] = self._roots.get(root.name, SpecifierSet()) & merged
        self._walked: dict[NormalizedName, int] = {}
        self._asked: dict[NormalizedName, SpecifierSet] = {}  # every requirement met, merged
        self._guesses: dict[NormalizedName, Version] = {}
        self._reguessed: dict[NormalizedName, int] = {}

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
        """Guess a release of the project; guess again when a later parent rules the guess out
        (mlflow==2.9.2 asking for ``packaging<24`` after another parent led to packaging 26)."""
        name = dependency.name
        if name in self._inputs.direct:
            return  # name @ URL: its artifact is the one candidate, no index page is wanted
        with self._lock:
            known = self._asked.get(name)
            asked = self._asked[name] = (
                dependency.specifier if known is None else known & dependency.specifier
            )
            first = name not in self._seen
            self._seen.add(name)
            guess = self._guesses.get(name)
            again = (
                not first
                and guess is not None
                and not asked.contains(guess, prereleases=True)
                and self._reguessed.get(name, 0) < _REGUESS_LIMIT
            )
            if again:
                self._reguessed[name] = self._reguessed.get(name, 0) + 1
        if first or again:
            self._chain(self._source.client.project_future(name), self._on_page, dependency)

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
        best = next(self._likely_releases(self._source.releases_of(found), dependency), None)
        if best is not None:
            with self._lock:
                self._guesses[dependency.name] = best.version
        if best is not None and best.all_files:
            self._chain(
                self._source.metadata_future(best, guess=True), self._on_metadata, dependency
            )

    def _likely_releases(
        self, releases: Sequence[Release], dependency: Dependency
    ) -> Iterator[Release]:
        """The releases in the order the resolver will most likely try them: within every
        requirement on the project met so far and the roots (or, if those leave none, within
        this dependency's and the roots')."""
        roots = self._roots.get(dependency.name, SpecifierSet())
        with self._lock:
            asked = self._asked.get(dependency.name, dependency.specifier)
        narrowed = self._ordered(releases, dependency.name, asked & roots)
        first = next(narrowed, None)
        if first is not None:
            yield first
            yield from narrowed
        else:
            yield from self._ordered(releases, dependency.name, dependency.specifier & roots)

    def _ordered(
        self, releases: Sequence[Release], name: NormalizedName, specifier: SpecifierSet
    ) -> Iterator[Release]:
        preferred = self._preferred.get(name)
        if preferred is not None:
            pinned = release_at(releases, preferred)
            if pinned is not None:
                yield from iter_admissible([pinned], specifier, python=self._python, pre=self._pre)
        for release in iter_admissible(releases, specifier, python=self._python, pre=self._pre):
            if release.version != preferred:
                yield release

    def _on_metadata(self, metadata: Future[CoreMetadata], dependency: Dependency) -> None:
        core = metadata.result()
        wanted = self._requirements(core, dependency)
        if wanted is None:
            return
        # Judging the guess against the roots needs the pages of the projects the roots cap.
        capped = [
            self._source.client.project_future(each.name)
            for each in wanted
            if each.name in self._roots  # (their pages were asked for at the start)
        ]
        if all(page.done() for page in capped):
            self._judge(wanted, dependency)
        else:
            self._chain(_all_done(capped), lambda _, on: self._judge(wanted, on), dependency)

    def _judge(self, wanted: Sequence[Dependency], dependency: Dependency) -> None:
        """Walk on from a guess that fits the roots; walk down past one that does not."""
        if any(self._against_roots(each) for each in wanted):
            self._walk_down(dependency)
            return
        for each in wanted:
            self._want(each)

    def _requirements(self, core: CoreMetadata, dependency: Dependency) -> list[Dependency] | None:
        """The release's requirements for the target; None if its Python is not the target's."""
        if core.requires_python is not None and not core.requires_python.contains(
            self._python, prereleases=True
        ):
            return None
        extras = sorted(dependency.extras)
        return [
            self._inputs.dependency(requirement, root=None)
            for requirement in core.requires_dist
            if not requirement.url
            and (
                self._inputs.holds(requirement)
                or any(self._inputs.holds(requirement, extra) for extra in extras)
            )
        ]

    def _against_roots(self, dependency: Dependency) -> bool:
        """Whether no release of the project satisfies both the dependency and the roots
        (False when its page could not be read: the resolver will say why)."""
        roots = self._roots.get(dependency.name)
        if roots is None:
            return False
        page = self._source.client.project_future(dependency.name)
        if not page.done() or page.exception() is not None:
            return False
        found = page.result()
        if isinstance(found, ProjectNotFound):
            return False
        versions = versions_of(self._source.releases_of(found))
        both = dependency.specifier & roots
        return next(matching_indexes(versions, both), None) is None

    # -- walking down past a conflict with the roots ----------------------------------------

    def _walk_down(self, dependency: Dependency) -> None:
        """Fetch the project's next releases, a batch at a time, until one fits the roots."""
        page = self._source.client.project_future(dependency.name)
        if not page.done() or isinstance(page.result(), ProjectNotFound):
            return
        found = page.result()
        assert not isinstance(found, ProjectNotFound)
        with self._lock:
            start = self._walked.get(dependency.name, 1)  # the first guess is done
            if start >= _WALK_LIMIT:
                return
            self._walked[dependency.name] = start + _WALK_BATCH
        ordered = self._likely_releases(self._source.releases_of(found), dependency)
        batch = [r for r in islice(ordered, start, start + _WALK_BATCH) if r.has_wheel]
        if not batch:
            return
        futures = [self._source.metadata_future(release, guess=True) for release in batch]
        self._chain(_all_done(futures), self._on_batch, dependency)

    def _on_batch(self, done: Future[list[Future[CoreMetadata]]], dependency: Dependency) -> None:
        """The first release of the batch (in the resolver's order) that fits the roots leads
        the walk on; if none does, the next batch."""
        for future in done.result():
            if future.exception() is not None:
                return  # the resolver will meet the failure and report it
            wanted = self._requirements(future.result(), dependency)
            if wanted is not None and not any(self._against_roots(each) for each in wanted):
                for each in wanted:
                    self._want(each)
                return
        self._walk_down(dependency)


def _all_done(futures: Sequence[Future[_T]]) -> Future[list[Future[_T]]]:
    """A future that completes, with the futures themselves, when every one of them has."""
    joined: Future[list[Future[_T]]] = Future()
    left = len(futures)
    lock = threading.Lock()

    def one_done(_: Future[_T]) -> None:
        nonlocal left
        with lock:
            left -= 1
            last = left == 0
        if last:
            joined.set_result(list(futures))

    for future in futures:
        future.add_done_callback(one_done)
    return joined
