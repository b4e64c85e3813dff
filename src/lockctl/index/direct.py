"""Direct references (PEP 508 ``name @ URL``): what the URL points at, and its artifact.

A direct reference names a wheel, an sdist, a local project directory (``file:``) or a git
repository (``git+...@rev``). This module parses the URL, writes it as pip-compile writes it,
downloads a file and checks it against the URL's hash fragment, clones a repository with the
real git into a scratch directory, and builds a source tree's metadata. Whether a build may
run at all is the caller's decision (``ops.direct_source``): this module only does what it is
asked.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import urllib.parse
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import HashMismatch, IndexResponseError, ToolFailure
from lockctl.index.coremeta import CoreMetadata, MetadataParseError, parse_core_metadata
from lockctl.index.fetcher import Fetcher
from lockctl.index.wheelzip import WheelFormatError, read_member_from_bytes
from lockctl.urls import SecretURL, file_url_path

__all__ = [
    "DirectKind",
    "DirectReference",
    "NotADirectReference",
    "build_tree_metadata",
    "checkout",
    "download",
    "parse_direct_reference",
]

DirectKind = Literal["wheel", "sdist", "directory", "vcs"]
_SDIST_SUFFIXES = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar")
# pip's Link._hash_re: the first of these in the fragment is the URL's hash.
_HASH_FRAGMENT = re.compile(r"\b(sha1|sha224|sha384|sha256|sha512|md5)=([a-f0-9]+)\b")
_OTHER_VCS = ("hg+", "svn+", "bzr+")


class NotADirectReference(ValueError):
    """The URL is not one lockctl can follow; the message says why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DirectReference:
    """One ``name @ URL``: ``url`` as given, ``location`` what to fetch or read.

    ``location`` is the URL without its fragment for a download, the absolute path of a local
    file or directory, or the repository URL (without ``git+`` and ``@rev``) for git.
    """

    name: NormalizedName
    url: str
    kind: DirectKind
    location: str
    filename: str = ""  # a wheel's or sdist's file name
    revision: str | None = None  # git: the part after the last "@" of the path
    subdirectory: str | None = None
    hash: tuple[str, str] | None = None  # (algorithm, hex digest) from the fragment

    def written(self, extras: str = "") -> str:
        """The requirement as pip-compile 7.6 writes it (before any marker).

        pip-tools' ``_build_direct_reference_best_efforts``: the canonical name, the extras,
        `` @ `` and the URL without its fragment as pip's ``Link`` rebuilds it (``urlunsplit``:
        a ``file`` URL with an empty host loses its ``//``), then the subdirectory and hash
        fragments only. A relative ``file:`` URL is written alone, as given.
        """
        parts = urllib.parse.urlsplit(self.url)
        if parts.scheme == "file" and not parts.path.startswith("/"):
            return self.url
        text = f"{self.name}{extras} @ {urllib.parse.urlunsplit(parts._replace(fragment=''))}"
        fragments = []
        if self.subdirectory:
            fragments.append(f"subdirectory={self.subdirectory}")
        if self.hash is not None:
            fragments.append(f"{self.hash[0]}={self.hash[1]}")
        return f"{text}#{'&'.join(fragments)}" if fragments else text


def parse_direct_reference(name: str, url: str, *, base: Path) -> DirectReference:
    """What ``name @ url`` points at; a relative ``file:`` path is taken from ``base`` (pip's
    working directory)."""
    parts = urllib.parse.urlsplit(url)
    fragment = urllib.parse.parse_qs(parts.fragment)
    subdirectory = next(iter(fragment.get("subdirectory", [])), None)
    found = _HASH_FRAGMENT.search(parts.fragment)
    base_reference = DirectReference(
        name=canonicalize_name(name),
        url=url,
        kind="wheel",
        location="",
        subdirectory=subdirectory,
        hash=None if found is None else (found[1], found[2]),
    )
    scheme = parts.scheme.lower()
    if scheme.startswith("git+"):
        repository, revision = _split_revision(parts)
        return replace(base_reference, kind="vcs", location=repository, revision=revision)
    if scheme.startswith(_OTHER_VCS):
        raise NotADirectReference(f"{scheme.partition('+')[0]} repositories are not supported")
    if scheme == "file":
        # The path as written: a relative one (``file:wheels/x.whl``) is taken from ``base``.
        path = (base / file_url_path(SecretURL(url))).resolve()
        if path.is_dir():
            return replace(base_reference, kind="directory", location=str(path))
        if not path.is_file():
            raise NotADirectReference(f"{path} does not exist")
        kind = _file_kind(path.name)
        return replace(base_reference, kind=kind, location=str(path), filename=path.name)
    if scheme not in ("http", "https"):
        raise NotADirectReference(f"the URL scheme {parts.scheme or '(none)'!r} is not supported")
    filename = urllib.parse.unquote(parts.path.rpartition("/")[2])
    location = urllib.parse.urlunsplit(parts._replace(fragment=""))
    kind = _file_kind(filename)
    return replace(base_reference, kind=kind, location=location, filename=filename)


def _file_kind(filename: str) -> DirectKind:
    if filename.endswith(".whl"):
        return "wheel"
    if filename.endswith(_SDIST_SUFFIXES):
        return "sdist"
    raise NotADirectReference(
        f"{filename or 'it'} is not a wheel, an sdist, a project directory or a git URL"
    )


def _split_revision(parts: urllib.parse.SplitResult) -> tuple[str, str | None]:
    """pip's VersionControl.get_url_rev_and_auth: the revision follows the path's last "@"."""
    path, at, revision = parts.path.rpartition("@")
    if not at or "/" in revision:
        path, revision = parts.path, ""
    bare = parts._replace(scheme=parts.scheme[len("git+") :], path=path, fragment="")
    # urlunsplit drops "//" before an empty host for schemes it does not know; git needs it.
    text = urllib.parse.urlunsplit(bare)
    if bare.scheme == "file" and not text.startswith("file://"):
        text = "file://" + text[len("file:") :]
    return text, revision or None


def download(fetcher: Fetcher, reference: DirectReference) -> bytes:
    """The file's bytes, checked against the URL's hash fragment when it has one."""
    if reference.kind not in ("wheel", "sdist"):
        raise ValueError(f"{reference.url} is not a file")
    if reference.location.startswith(("http://", "https://")):
        url = SecretURL(reference.location)
        response = fetcher.get(url)
        if not response.ok:
            raise IndexResponseError(
                f"unexpected HTTP {response.status} downloading {reference.filename}",
                url=url.redacted,
                status=response.status,
            )
        body = response.body
    else:
        body = Path(reference.location).read_bytes()
    if reference.hash is not None:
        algorithm, expected = reference.hash
        actual = hashlib.new(algorithm, body).hexdigest()
        if actual != expected:
            raise HashMismatch(
                url=SecretURL(reference.url).redacted,
                algorithm=algorithm,
                expected=expected,
                actual=actual,
                from_url=True,
            )
    return body


def wheel_metadata(reference: DirectReference, data: bytes) -> CoreMetadata:
    try:
        return parse_core_metadata(read_member_from_bytes(data))
    except (WheelFormatError, MetadataParseError) as exc:
        raise IndexResponseError(
            f"{reference.filename} is not a wheel with readable metadata: {exc}",
            url=SecretURL(reference.url).redacted,
        ) from None


def checkout(reference: DirectReference, into: Path) -> Path:
    """Clone the repository with the real git into ``into`` at the revision; the tree to build.

    A full clone, then a checkout of the revision: it may be a branch, a tag or a commit, as
    pip accepts. No prompt for credentials: a private repository fails instead of hanging.
    """
    if reference.kind != "vcs":
        raise ValueError(f"{reference.url} is not a repository")
    git = shutil.which("git")
    if git is None:
        raise ToolFailure(
            "git is not installed, and it is needed to read a git+ direct reference",
            command=("git",),
            hint="install git, or point the requirement at a wheel or an sdist",
        )
    tree = into / "checkout"
    _run_git([git, "clone", "--quiet", "--no-checkout", reference.location, str(tree)])
    revision = reference.revision or "HEAD"
    quiet = ["-c", "advice.detachedHead=false", "checkout", "--quiet"]
    _run_git([git, "-C", str(tree), *quiet, revision])
    return tree / reference.subdirectory if reference.subdirectory else tree


def _run_git(command: list[str]) -> None:
    environment = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "true"}
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, **environment},
        timeout=600,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolFailure(
            f"git failed: {SecretURL(last).redacted if '://' in last else last}",
            command=tuple(command[:3]),
            output=done.stderr,
        )


def build_tree_metadata(tree: Path, scratch: Path) -> CoreMetadata:
    """Build a wheel of the source tree with pip, run as a program, and read its METADATA.

    The tree is copied into ``scratch`` first: a build backend writes into the tree it builds
    (setuptools' ``build/`` and ``*.egg-info``), and a user's project is never written to.
    Only called when the user allowed builds: it runs the project's build backend.
    """
    if not (tree / "pyproject.toml").is_file() and not (tree / "setup.py").is_file():
        raise NotADirectReference(f"{tree} has neither a pyproject.toml nor a setup.py")
    copy = scratch / "source"
    shutil.copytree(tree, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
    wheels = scratch / "wheels"
    command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels)]
    done = subprocess.run([*command, str(copy)], capture_output=True, text=True, check=False)
    built = sorted(wheels.glob("*.whl")) if wheels.is_dir() else []
    if done.returncode != 0 or not built:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ToolFailure(
            f"building {tree.name} failed: {last}",
            command=tuple(command[:5]),
            output=done.stderr,
        )
    try:
        return parse_core_metadata(read_member_from_bytes(built[0].read_bytes()))
    except (WheelFormatError, MetadataParseError) as exc:
        raise ToolFailure(
            f"the wheel built from {tree.name} has no readable METADATA ({exc})",
            command=tuple(command[:5]),
        ) from None
