"""Child process of ``benchmarks/metadata.py``: fetch the core metadata of pinned releases.

Usage: ``python benchmarks/_fetch_metadata.py PINS_FILE``, where PINS_FILE holds one
``name==version`` per line. For each pin it reads the project page, picks one file of that
release (see ``choose_file``), then fetches every file's metadata in parallel through
``lockctl.index.IndexClient`` and its persistent cache (``LOCKCTL_CACHE_DIR``).

It prints one JSON line on stdout::

    {"releases": 100, "errors": [], "requests": 230, "bytes": 4200000,
     "sources": {"pep658": 97, "range": 3}}

Exit status: 0 when every release's metadata was read, 1 when any was not (the errors are in
the JSON line), 2 for a bad pins file, 3 when the index could not be reached.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import as_completed
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.errors import IndexFailure, IndexUnreachable, LockctlError
from lockctl.index import (
    Cache,
    ClientOptions,
    CoreMetadata,
    DistributionFile,
    HttpFetcher,
    IndexClient,
    IndexSettings,
    ProjectNotFound,
    ProjectPage,
    default_cache_dir,
)

# The target the pins were compiled for (``uv pip compile --python-version 3.11
# --python-platform x86_64-manylinux_2_28``): the wheel an installer would pick there.
_INTERPRETER = "cp311"
_PLATFORM_PREFIX = "manylinux"
_PLATFORM_SUFFIX = "_x86_64"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pin:
    name: NormalizedName
    version: Version

    def __str__(self) -> str:
        return f"{self.name}=={self.version}"


def read_pins(path: Path) -> list[Pin]:
    """``name==version`` lines; blank lines and ``#`` comments are skipped."""
    pins: list[Pin] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        name, separator, version = text.partition("==")
        try:
            if not separator:
                raise InvalidVersion("no '=='")
            pins.append(Pin(name=canonicalize_name(name.strip()), version=Version(version)))
        except InvalidVersion as exc:
            raise ValueError(f"{path.name}:{number}: not a name==version pin ({exc})") from None
    return pins


def file_preference(dist: DistributionFile) -> int:
    """Lower is better: cp311 manylinux x86_64 wheel, py3-none-any wheel, any wheel, sdist."""
    parsed = dist.parsed
    if parsed is None or not parsed.is_wheel:
        return 3
    tags = parsed.tags
    if any(
        tag.interpreter == _INTERPRETER
        and tag.platform.startswith(_PLATFORM_PREFIX)
        and tag.platform.endswith(_PLATFORM_SUFFIX)
        for tag in tags
    ):
        return 0
    if any(tag.interpreter == "py3" and tag.platform == "any" for tag in tags):
        return 1
    return 2


def choose_file(files: Sequence[DistributionFile]) -> DistributionFile | None:
    """The most preferred file, ties broken by filename so every run picks the same one."""
    if not files:
        return None
    return min(files, key=lambda dist: (file_preference(dist), dist.filename))


def projects_as_ready(
    client: IndexClient, names: Iterable[str]
) -> Iterator[ProjectPage | ProjectNotFound]:
    """Every project's page, in the order they arrive, so work on one can start at once."""
    futures = [client.project_future(name) for name in names]
    for future in as_completed(futures):
        yield future.result()


def prefetch_metadata(client: IndexClient, dists: Iterable[DistributionFile]) -> None:
    """Start fetching what the cache does not hold; cached entries are read when asked."""
    for dist in dists:
        if not client.has_cached_metadata(dist):
            client.metadata_future(dist)


def metadata_many(
    client: IndexClient, dists: Iterable[DistributionFile]
) -> list[CoreMetadata | LockctlError]:
    """Metadata for every file, in order; a failure is returned in its place."""
    futures = [client.metadata_future(dist) for dist in dists]
    results: list[CoreMetadata | LockctlError] = []
    for future in futures:
        try:
            results.append(future.result())
        except LockctlError as exc:
            results.append(exc)
    return results


def fetch(pins: Sequence[Pin], client: IndexClient) -> tuple[list[DistributionFile], list[str]]:
    """One file per pin, and an error message for each pin that has none.

    Pages are handled as they arrive and each chosen file's metadata is requested at once, so
    metadata reads overlap the remaining page fetches, as they do inside a resolver.
    """
    wanted = {pin.name: pin for pin in pins}
    chosen: dict[str, DistributionFile] = {}
    errors: list[str] = []
    for page in projects_as_ready(client, wanted):
        pin = wanted[page.name]
        if isinstance(page, ProjectNotFound):
            errors.append(f"{pin}: {page}")
            continue
        dist = choose_file(page.files_for(pin.version))
        if dist is None:
            errors.append(f"{pin}: the index lists no file of this release")
        else:
            chosen[pin.name] = dist
            prefetch_metadata(client, [dist])
    return [chosen[p.name] for p in pins if p.name in chosen], errors


def main(argv: Sequence[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if len(args) != 1:
        print("usage: _fetch_metadata.py PINS_FILE", file=sys.stderr)
        return 2
    try:
        pins = read_pins(Path(args[0]))
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    cache_dir = default_cache_dir()  # LOCKCTL_CACHE_DIR, set by the harness
    fetcher = HttpFetcher()
    client = IndexClient(
        IndexSettings.from_pip(cache_dir=cache_dir),
        fetcher=fetcher,
        cache=Cache(cache_dir),
        options=ClientOptions(),  # max_workers: lockctl's default, defaults.MAX_REQUESTS
    )
    try:
        with client:
            chosen, errors = fetch(pins, client)
            results = metadata_many(client, chosen)
    except IndexFailure as exc:
        print(f"error: the index failed: {exc}", file=sys.stderr)
        return 3
    finally:
        fetcher.close()

    errors += [
        f"{dist.filename}: {result}"
        for dist, result in zip(chosen, results, strict=True)
        if isinstance(result, LockctlError)
    ]
    report = {
        "releases": len(pins),
        "errors": errors,
        "requests": fetcher.stats.requests,
        "bytes": fetcher.stats.bytes_received,
        "sources": dict(client.sources),
    }
    print(json.dumps(report))
    if any(isinstance(result, IndexUnreachable) for result in results):
        return 3
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
