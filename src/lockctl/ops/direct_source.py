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
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import parse_wheel_filename

from lockctl.errors import MetadataUnavailable, OfflineMiss, UsageError
from lockctl.index import CoreMetadata, DistributionFile
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
    ) -> None:
        self.fetcher = fetcher
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
        if self.offline and not reference.location.startswith(("/", "file:")):
            # Direct artifacts are not cached (each run reads them whole), so offline there
            # is nothing to answer from; a local file or directory is read as usual.
            raise OfflineMiss(
                f"{requirement.name} @ {requirement.url} must be fetched and --offline is set",
                url=SecretURL(requirement.url).redacted,
            )
        files: tuple[DistributionFile, ...] = ()
        if reference.kind == "wheel":
            self._check_wheel_fits(reference)
            data = download(self.fetcher, reference)
            metadata = wheel_metadata(reference, data)
            files = (_file(reference, data),)
        elif reference.kind == "sdist":
            data = download(self.fetcher, reference)
            metadata = self._sdist_metadata(reference, data)
            files = (_file(reference, data),)
        else:
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


def _file(reference: DirectReference, data: bytes) -> DistributionFile:
    return DistributionFile(
        filename=reference.filename,
        url=SecretURL(
            reference.location
            if reference.location.startswith(("http://", "https://"))
            else Path(reference.location).as_uri()
        ),
        hashes={"sha256": hashlib.sha256(data).hexdigest()},
    )
