"""Direct references as the resolver sees them: one ``Release`` per ``name @ URL``.

``IndexPackageSource.direct`` hands a root's direct reference here. The release carries the
line pip-compile writes for it (``Release.direct_reference``) and, for a wheel or an sdist,
the file with the sha256 of the bytes read (what ``--generate-hashes`` lists, as pip-compile
hashes the file it downloaded). Its metadata comes from the artifact itself:

- a wheel's METADATA, after the file is checked against the URL's hash fragment;
- an sdist's static PKG-INFO (PEP 643), as for an sdist from an index;
- otherwise (an sdist without static metadata, a local project directory, a git checkout)
  a build, which runs the project's code: only with ``--allow-build``. pip-compile builds
  without asking; lockctl says what it would have to build and how to allow it.

Nothing is written into the user's project: a directory is copied and a repository cloned into
a scratch directory that is removed afterwards.

Between runs, the metadata of a wheel or sdist whose URL carries a ``#sha256=`` fragment is
kept in the index cache under the key the index's files use (``sha256:<hash>``; the bytes
are checked against that hash before it is written), so a second compile makes no request
for it, ``--offline`` included. A URL without that fragment is fetched again each run (what
it serves may change, as pip's http cache would revalidate), and so is a git reference (a
branch or tag moves; a clone is the only way to know where it is now) and a directory.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from lockctl.errors import MetadataUnavailable, OfflineMiss, UsageError
from lockctl.index import CoreMetadata, DistributionFile
from lockctl.index.cache import Cache
from lockctl.index.direct import (
    DirectReference,
    NotADirectReference,
    build_tree_metadata,
    checkout,
    download,
    parse_direct_reference,
    wheel_metadata,
)
from lockctl.index.fetcher import Fetcher
from lockctl.index.sdist import NeedsBuild, build_metadata, read_static_metadata
from lockctl.resolver import Release, TargetEnvironment
from lockctl.urls import SecretURL

__all__ = ["DirectSource", "written_url"]

_WHAT = {
    "sdist": "the sdist has no static metadata, so it",
    "directory": "the local project directory",
    "vcs": "the git checkout",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Known:
    release: Release
    metadata: CoreMetadata


class DirectSource:
    """Releases of direct references, each artifact read once per run."""

    def __init__(
        self,
        fetcher: Fetcher,
        target: TargetEnvironment,
        *,
        allow_build: bool,
        offline: bool = False,
        base: Path | None = None,
        cache: Cache | None = None,
    ) -> None:
        self.fetcher = fetcher
        self.cache = cache  # where hashed artifacts' metadata is kept between runs
        self.target = target
        self.allow_build = allow_build
        self.offline = offline  # --offline: only file: references, nothing fetched
        self.base = base  # where a relative file: URL starts; None: the working directory
        self._lock = threading.Lock()
        self._known: dict[str, _Known] = {}

    def release(self, requirement: Requirement) -> Release:
        """The release ``requirement`` (``name @ URL``) points at; its metadata is read now."""
        assert requirement.url is not None
        with self._lock:
            known = self._known.get(requirement.url)
            if known is None:
                known = self._known[requirement.url] = self._read(requirement)
        return known.release

    def metadata(self, release: Release) -> CoreMetadata:
        with self._lock:
            for known in self._known.values():
                if known.release.direct_reference == release.direct_reference:
                    return known.metadata
        raise KeyError(release.direct_reference)

    def _read(self, requirement: Requirement) -> _Known:
        assert requirement.url is not None
        try:
            reference = parse_direct_reference(
                requirement.name, requirement.url, base=self.base or Path.cwd()
            )
        except NotADirectReference as refused:
            raise UsageError(
                f"{requirement}: {refused}",
                hint="a direct reference names a wheel, an sdist, a project directory or git+URL",
            ) from None
        files: tuple[DistributionFile, ...] = ()
        if reference.kind in ("wheel", "sdist"):
            if reference.kind == "wheel":
                self._check_wheel_fits(reference)
            metadata, sha256 = self._artifact_metadata(reference)
            files = (_file(reference, sha256),)
        else:
            self._check_online(reference)
            metadata = self._tree_metadata(reference)
        if metadata.name != reference.name:
            raise UsageError(
                f"{requirement.name} @ {requirement.url} is the project {metadata.name}, "
                f"not {reference.name}",
                hint="write the project's own name before the @",
            )
        extras = sorted(requirement.extras)
        release = Release(
            name=reference.name,
            version=metadata.version,
            files=files,
            all_files=files,
            requires_python=metadata.requires_python,
            direct_reference=reference.written(f"[{','.join(extras)}]" if extras else ""),
        )
        return _Known(release=release, metadata=metadata)

    def _check_online(self, reference: DirectReference) -> None:
        """--offline: what must be fetched and is not in the cache is refused; a local file or
        directory is read as usual."""
        if self.offline and not reference.location.startswith(("/", "file:")):
            raise OfflineMiss(
                f"{reference.name} @ {reference.url} must be fetched and --offline is set",
                url=SecretURL(reference.url).redacted,
            )

    def _artifact_metadata(self, reference: DirectReference) -> tuple[CoreMetadata, str]:
        """A wheel's or sdist's metadata and sha256: from the cache when its URL names its
        sha256, else read from the file (downloaded, checked against the URL's hash)."""
        key = _cache_key(reference)
        if key is not None and self.cache is not None:
            cached = self.cache.get_metadata(key)
            if cached is not None and canonicalize_name(cached.name) == reference.name:
                return cached, key.removeprefix("sha256:")
        self._check_online(reference)
        data = download(self.fetcher, reference)
        if reference.kind == "wheel":
            metadata = wheel_metadata(reference, data)
        else:
            metadata = self._sdist_metadata(reference, data)
        if key is not None and self.cache is not None:
            self.cache.put_metadata(key, metadata)  # download() checked the bytes against it
        return metadata, hashlib.sha256(data).hexdigest()

    def _check_wheel_fits(self, reference: DirectReference) -> None:
        """pip refuses a wheel whose tags the interpreter does not support; so does lockctl,
        for the target."""
        try:
            _, _, _, tags = parse_wheel_filename(reference.filename)
        except ValueError:
            raise UsageError(
                f"{reference.name} @ {reference.url}: {reference.filename} is not a valid "
                "wheel file name",
                hint="point the requirement at the wheel as its build tool named it",
            ) from None
        if tags.isdisjoint(self.target.tags()):
            shown = ", ".join(sorted(str(tag) for tag in tags))
            raise UsageError(
                f"{reference.name} @ {reference.url}: no wheel fits {self.target.describe()} "
                f"({reference.filename} has the tags {shown})",
                hint="point the requirement at a wheel built for the target, or at an sdist",
            )

    def _sdist_metadata(self, reference: DirectReference, data: bytes) -> CoreMetadata:
        try:
            return read_static_metadata(reference.filename, data)
        except NeedsBuild:
            self._consent(reference)
        try:
            return build_metadata(reference.filename, data)
        except NeedsBuild as failed:
            raise MetadataUnavailable(
                f"{reference.filename}: {failed.reason}",
                url=SecretURL(reference.url).redacted,
                filename=reference.filename,
            ) from None

    def _tree_metadata(self, reference: DirectReference) -> CoreMetadata:
        self._consent(reference)
        with tempfile.TemporaryDirectory(prefix="lockctl-direct-") as scratch:
            try:
                if reference.kind == "vcs":
                    tree = checkout(reference, Path(scratch))
                else:
                    tree = Path(reference.location)
                    if reference.subdirectory:
                        tree /= reference.subdirectory
                return build_tree_metadata(tree, Path(scratch))
            except NotADirectReference as refused:
                raise UsageError(
                    f"{reference.name} @ {reference.url}: {refused}",
                    hint="point the requirement at a project that can be built",
                ) from None

    def _consent(self, reference: DirectReference) -> None:
        if self.allow_build:
            return
        raise UsageError(
            f"{reference.name} @ {SecretURL(reference.url).redacted}: "
            f"{_WHAT[reference.kind]} must be built to know its dependencies, which runs its "
            "code on this machine; pass --allow-build to allow it",
            hint="or point the requirement at a wheel",
        )


def written_url(release: Release) -> str | None:
    """The URL a lock writes for a release of a direct reference (the text after
    ``name @``; a relative ``file:`` URL is written alone), None for an index's release: what
    a lock's ``name @ URL`` pin is compared with."""
    written = release.direct_reference
    if written is None:
        return None
    return written.partition(" @ ")[2] or written


def _cache_key(reference: DirectReference) -> str | None:
    """The index cache's key for the file's metadata, when the URL says the file's sha256
    (another algorithm would leave the sha256 that --generate-hashes writes unknown)."""
    if reference.hash is None or reference.hash[0] != "sha256":
        return None
    return f"sha256:{reference.hash[1]}"


def _file(reference: DirectReference, sha256: str) -> DistributionFile:
    return DistributionFile(
        filename=reference.filename,
        url=SecretURL(
            reference.location
            if reference.location.startswith(("http://", "https://"))
            else Path(reference.location).as_uri()
        ),
        hashes={"sha256": sha256},
    )
