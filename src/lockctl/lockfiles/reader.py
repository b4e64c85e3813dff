"""An existing pip-tools ``.txt`` lock, read into values.

The text goes through ``lockctl.reqfile`` (so continuations, hashes and options mean what pip
makes of them); the comments it keeps are then read for what pip-tools and lockctl put there:
the header's Python and command, ``# via`` parents and input files (split or line style),
``# override:`` notes, and the names listed as unsafe but not pinned.

A comment belongs to the pin above it, as pip-tools writes them. A ``name @ URL`` line is a
pin too, by URL (PEP 508 direct reference; pip-compile writes a release that came from a URL
so): it is read into ``LockedFile.direct``, a ``LockedDirectPin`` with its ``# via`` lines and
hashes, apart from ``pins`` because it has no ``==`` version. Other requirements that are not
``name==version`` (a hand edit, ``-e``) are kept apart in ``LockedFile.unpinned`` for
``check`` and ``reconcile`` to report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    NormalizedName,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from lockctl.reqfile import (
    CommentEntry,
    OptionEntry,
    RequirementEntry,
    RequirementsFile,
    SourceLine,
    parse_file,
    parse_text,
)
from lockctl.urls import SecretURL

from .comments import OVERRIDE_PREFIX, ParsedOverride, parse_override
from .format import COMMAND_INDENT, COMMAND_INTRO, PYTHON_INTRO, UNSAFE_HEADINGS, VIA, VIA_ITEM

__all__ = [
    "LockedDirectPin",
    "LockedFile",
    "LockedOptions",
    "LockedPin",
    "LockedRoot",
    "parse_lockfile",
    "read_lockfile",
]

# Both are tried at the start of a comment only, and what follows their one run ("$", the
# end) cannot match inside it, so each reads a comment line at most twice: linear.
_PYTHON = re.compile(re.escape(PYTHON_INTRO) + r"(?P<v>\S+)$")
_UNSAFE_NAME = re.compile(r"# [A-Za-z0-9._-]+")  # "# setuptools" under the unsafe heading
_VIA_LINE = f"{VIA} "  # "# via a, b": the sources on the same line


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedRoot:
    """An input file named in ``# via``: ``-r requirements.in`` or ``-c constraints.txt``."""

    kind: Literal["requirement", "constraint"]
    path: str  # as written (POSIX, relative as pip-tools prints it)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedPin:
    name: NormalizedName
    version: Version
    source: SourceLine
    extras: frozenset[NormalizedName] = frozenset()
    marker: Marker | None = None
    hashes: tuple[str, ...] = ()
    parents: tuple[NormalizedName, ...] = ()  # sorted
    roots: tuple[LockedRoot, ...] = ()  # in the order written
    overrides: tuple[ParsedOverride, ...] = ()
    unsafe: bool = False  # written under pip-tools' "unsafe" heading


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedDirectPin:
    """A ``name @ URL`` line of a lock: a project pinned by the artifact its URL names.

    ``url`` is as written (pip installs exactly that). ``version`` is the one the artifact's
    file name gives (a wheel, PEP 427, or an sdist, PEP 625) and None for a repository or a
    directory, whose version only a build says. ``requirement`` is the line's requirement as
    parsed: the pins digest covers its text.
    """

    name: NormalizedName
    url: str
    requirement: Requirement
    source: SourceLine
    version: Version | None = None
    extras: frozenset[NormalizedName] = frozenset()
    marker: Marker | None = None
    hashes: tuple[str, ...] = ()
    parents: tuple[NormalizedName, ...] = ()  # sorted
    roots: tuple[LockedRoot, ...] = ()  # in the order written
    overrides: tuple[ParsedOverride, ...] = ()
    unsafe: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedOptions:
    """The options lines of a lock. URLs keep their secret; their ``str`` is redacted."""

    index_url: SecretURL | None = None
    extra_index_urls: tuple[SecretURL, ...] = ()
    find_links: tuple[str, ...] = ()  # a local directory resolved against the lock's folder
    trusted_hosts: tuple[str, ...] = ()
    no_binary: tuple[str, ...] = ()
    only_binary: tuple[str, ...] = ()
    other: tuple[tuple[str, str | None], ...] = ()  # --pre, --no-index, ...: (name, value)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedFile:
    path: Path
    pins: tuple[LockedPin, ...]  # in file order
    options: LockedOptions = field(default_factory=LockedOptions)
    python_version: str | None = None  # from the header
    command: str | None = None  # from the header
    unsafe_unpinned: tuple[NormalizedName, ...] = ()  # "# setuptools" under the heading
    unpinned: tuple[RequirementEntry, ...] = ()  # neither name==version nor name @ URL
    direct: tuple[LockedDirectPin, ...] = ()  # name @ URL, in file order

    def get(self, name: str) -> LockedPin | None:
        wanted = canonicalize_name(name)
        return next((pin for pin in self.pins if pin.name == wanted), None)

    def get_direct(self, name: str) -> LockedDirectPin | None:
        wanted = canonicalize_name(name)
        return next((pin for pin in self.direct if pin.name == wanted), None)

    def pinned_names(self) -> frozenset[NormalizedName]:
        """Every project the lock pins, by version or by URL."""
        return frozenset(pin.name for pin in self.pins) | {pin.name for pin in self.direct}

    def versions(self) -> dict[NormalizedName, Version]:
        """name -> pinned version: what the resolver takes as preferences."""
        return {pin.name: pin.version for pin in self.pins}


def read_lockfile(path: Path, *, environ: Mapping[str, str] | None = None) -> LockedFile:
    return _read(parse_file(path, environ=environ))


def parse_lockfile(
    text: str, *, path: Path, environ: Mapping[str, str] | None = None
) -> LockedFile:
    return _read(parse_text(text, path=path, environ=environ))


@dataclass
class _PinBuilder:
    entry: RequirementEntry
    name: NormalizedName
    version: Version | None  # None: a name @ URL line
    unsafe: bool
    via: list[str] = field(default_factory=list)
    via_open: bool = False  # a bare "# via" was read: "#   item" lines follow
    overrides: list[ParsedOverride] = field(default_factory=list)

    def take_comment(self, comment: str) -> bool:
        """Read one comment under the pin; False when it is not one of ours."""
        if comment == VIA:
            self.via_open = True
            return True
        if comment.startswith(_VIA_LINE):
            self.via += [item.strip() for item in comment[len(_VIA_LINE) :].split(",")]
            self.via_open = False
            return True
        if self.via_open and comment.startswith(VIA_ITEM):
            self.via.append(comment[len(VIA_ITEM) :].strip())
            return True
        if comment.startswith(OVERRIDE_PREFIX):
            parsed = parse_override(comment)
            if parsed is not None:
                self.overrides.append(parsed)
                self.via_open = False
                return True
        return False

    def build(self) -> LockedPin | LockedDirectPin:
        requirement = self.entry.requirement
        assert requirement is not None  # only pinned requirements get a builder
        parents = sorted({canonicalize_name(item) for item in self.via if _is_project(item)})
        roots = [_root(item) for item in self.via if not _is_project(item)]
        # The fields both kinds share, read once; a direct pin takes them from here.
        pin = LockedPin(
            name=self.name,
            version=self.version or Version("0"),
            source=self.entry.source,
            extras=frozenset(canonicalize_name(extra) for extra in requirement.extras),
            marker=requirement.marker,
            hashes=self.entry.hashes,
            parents=tuple(parents),
            roots=tuple(dict.fromkeys(root for root in roots if root is not None)),
            overrides=tuple(self.overrides),
            unsafe=self.unsafe,
        )
        if self.version is not None:
            return pin
        assert requirement.url is not None  # only a name @ URL line has no version
        return LockedDirectPin(
            name=pin.name,
            url=requirement.url,
            requirement=requirement,
            source=pin.source,
            version=_artifact_version(requirement.url, pin.name),
            extras=pin.extras,
            marker=pin.marker,
            hashes=pin.hashes,
            parents=pin.parents,
            roots=pin.roots,
            overrides=pin.overrides,
            unsafe=pin.unsafe,
        )


def _is_project(item: str) -> bool:
    return not item.startswith(("-r ", "-c ")) and bool(item)


def _root(item: str) -> LockedRoot | None:
    flag, _, path = item.partition(" ")
    if not path:
        return None
    return LockedRoot(kind="constraint" if flag == "-c" else "requirement", path=path.strip())


def _pinned_version(entry: RequirementEntry) -> Version | None:
    requirement = entry.requirement
    if requirement is None or entry.editable or requirement.url:
        return None
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1 or specifiers[0].operator not in ("==", "==="):
        return None
    if specifiers[0].version.endswith(".*"):
        return None
    try:
        return Version(specifiers[0].version)
    except InvalidVersion:
        return None


def _is_direct(entry: RequirementEntry) -> bool:
    requirement = entry.requirement
    return requirement is not None and not entry.editable and bool(requirement.url)


def _artifact_version(url: str, name: NormalizedName) -> Version | None:
    """The version a wheel's or sdist's file name gives, when the URL names such a file of
    this project (a repository, a directory or another name: None)."""
    filename = url.split("#", 1)[0].split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            found, version, _, _ = parse_wheel_filename(filename)
        elif filename.endswith((".tar.gz", ".zip")):
            found, version = parse_sdist_filename(filename)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    return version if found == name else None


@dataclass
class _Reader:
    pins: list[LockedPin] = field(default_factory=list)
    direct: list[LockedDirectPin] = field(default_factory=list)
    unpinned: list[RequirementEntry] = field(default_factory=list)
    unsafe_unpinned: list[NormalizedName] = field(default_factory=list)
    options: list[OptionEntry] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    current: _PinBuilder | None = None
    in_unsafe: bool = False
    seen_content: bool = False

    def close_pin(self) -> None:
        if self.current is not None:
            built = self.current.build()
            if isinstance(built, LockedPin):
                self.pins.append(built)
            else:
                self.direct.append(built)
            self.current = None

    def requirement(self, entry: RequirementEntry) -> None:
        self.close_pin()
        self.seen_content = True
        version = _pinned_version(entry)
        if entry.name is None or (version is None and not _is_direct(entry)):
            self.unpinned.append(entry)
            return
        self.current = _PinBuilder(entry, entry.name, version, unsafe=self.in_unsafe)
        if entry.comment is not None:
            self.current.take_comment(entry.comment)  # the "line" annotation style

    def comment(self, comment: str) -> None:
        if self.current is not None and self.current.take_comment(comment):
            return
        self.close_pin()
        if not self.seen_content:
            self.header.append(comment)
        elif comment.startswith(UNSAFE_HEADINGS):
            self.in_unsafe = True
        elif self.in_unsafe and _UNSAFE_NAME.fullmatch(comment):
            self.unsafe_unpinned.append(canonicalize_name(comment[2:]))


def _read(parsed: RequirementsFile) -> LockedFile:
    reader = _Reader()
    for entry in parsed.entries:
        if isinstance(entry, RequirementEntry):
            reader.requirement(entry)
        elif isinstance(entry, CommentEntry) and entry.comment is not None:
            reader.comment(entry.comment.rstrip())
        elif isinstance(entry, OptionEntry):
            reader.close_pin()
            reader.seen_content = True
            reader.options.append(entry)
        else:
            reader.close_pin()
            reader.seen_content = reader.seen_content or bool(reader.header)
    reader.close_pin()
    python_version, command = _header(reader.header)
    return LockedFile(
        path=parsed.path,
        pins=tuple(reader.pins),
        options=_options(reader.options),
        python_version=python_version,
        command=command,
        unsafe_unpinned=tuple(reader.unsafe_unpinned),
        unpinned=tuple(reader.unpinned),
        direct=tuple(reader.direct),
    )


def read_header(text: str) -> tuple[str | None, str | None]:
    """The Python and the command a lock's header names, from its leading comment lines alone
    (what ``parse_lockfile`` gives as ``python_version`` and ``command``, without the parse)."""
    comments: list[str] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comments.append(line.rstrip())
    return _header(comments)


def _header(comments: list[str]) -> tuple[str | None, str | None]:
    python_version: str | None = None
    command: str | None = None
    for index, comment in enumerate(comments):
        match = _PYTHON.match(comment)
        if match is not None:
            python_version = match["v"]
        if comment == COMMAND_INTRO:
            rest = [c for c in comments[index + 1 :] if c.strip() != "#"]
            if rest and rest[0].startswith(COMMAND_INDENT):
                command = rest[0][len(COMMAND_INDENT) :]
    return python_version, command


def _options(entries: list[OptionEntry]) -> LockedOptions:
    index_url: SecretURL | None = None
    extra: list[SecretURL] = []
    values: dict[str, list[str]] = {"find-links": [], "trusted-host": []}
    values.update({"no-binary": [], "only-binary": []})
    other: list[tuple[str, str | None]] = []
    for entry in entries:
        url = entry.url
        if entry.name == "index-url":
            index_url = url if url is not None else SecretURL(entry.value or "")
        elif entry.name == "extra-index-url":
            extra.append(url if url is not None else SecretURL(entry.value or ""))
        elif entry.name in values and entry.value is not None:
            values[entry.name].append(url.secret if url is not None else entry.value)
        else:
            other.append((entry.name, entry.value))
    return LockedOptions(
        index_url=index_url,
        extra_index_urls=tuple(extra),
        find_links=tuple(values["find-links"]),
        trusted_hosts=tuple(values["trusted-host"]),
        no_binary=tuple(values["no-binary"]),
        only_binary=tuple(values["only-binary"]),
        other=tuple(other),
    )
