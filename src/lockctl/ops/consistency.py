"""Is a lock consistent in itself and with its inputs? For ``lockctl check``.

Offline by default: an input requirement is checked against its pin from the files alone; a
pin's own requirements come from the snapshot compile left (``ops.snapshots``) or, for a pin
compile did not write, from the metadata in the index cache (``--online``: from the index).
A pin whose requirements cannot be read is reported as not checked, never guessed, and then
no pin is called orphaned (nobody can say that nothing requires it).

A ``name @ URL`` pin (``LockedFile.direct``) is a pin too: an input naming the same artifact
(pip's ``links_equivalent``) is met by it, a version requirement on it is checked against the
version its file name gives (unknown for git or a directory: not judged), and its own
requirements come from the snapshot only (the index does not have its metadata).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import LockctlError
from lockctl.lockfiles import LockedDirectPin, LockedFile, LockedPin
from lockctl.ops.commands import IndexRequest
from lockctl.ops.findings import Finding
from lockctl.ops.inputs import CompileInputs
from lockctl.ops.snapshots import PinSnapshot, effective_requirements
from lockctl.resolver.direct import same_reference
from lockctl.target import TargetEnvironment
from lockctl.urls import redact_text

__all__ = ["check_consistency"]


def check_consistency(
    locked: LockedFile,
    inputs: CompileInputs,
    *,
    target: TargetEnvironment,
    overrides: Sequence[str],
    snapshot: Mapping[str, PinSnapshot] | None,
    online: bool,
    index: IndexRequest,
    pins_as_written: bool = False,
) -> list[Finding]:
    """``pins_as_written``: the lock's pins are those compile wrote (their digest is the one
    the lock records), so ``snapshot`` is about these very lines."""
    markers = target.markers()
    replaced = _overrides(overrides, locked)
    findings = _against_inputs(locked, inputs, markers, replaced)
    requires = _requires(
        locked,
        inputs,
        snapshot,
        target=target,
        online=online,
        index=index,
        pins_as_written=pins_as_written,
    )
    unknown = tuple(sorted(name for name, value in requires.items() if value is None))
    askers: list[LockedPin | LockedDirectPin] = [*locked.pins, *locked.direct]
    for asker in askers:
        for text in requires.get(asker.name) or ():
            findings += _against_pins(asker, Requirement(text), locked, replaced)
    if unknown:
        findings.append(Finding(kind="not-checked", names=unknown))
    else:
        findings += _orphans(locked, inputs, requires)
    return findings


def _overrides(overrides: Sequence[str], locked: LockedFile) -> dict[NormalizedName, Requirement]:
    """The project's overrides and those the lock says it applied: each replaces every
    requirement on its project."""
    found = {canonicalize_name(Requirement(text).name): Requirement(text) for text in overrides}
    pins: list[LockedPin | LockedDirectPin] = [*locked.pins, *locked.direct]
    for pin in pins:
        for note in pin.overrides:
            found.setdefault(canonicalize_name(note.requirement.name), note.requirement)
    return found


def _against_inputs(
    locked: LockedFile,
    inputs: CompileInputs,
    markers: Mapping[str, str],
    replaced: Mapping[NormalizedName, Requirement],
) -> list[Finding]:
    findings: list[Finding] = []
    for root in inputs.roots:
        requirement = replaced.get(root.name, root.requirement)
        marker = root.requirement.marker
        if marker is not None and not marker.evaluate({**markers, "extra": ""}):
            continue
        pin = locked.get(root.name)
        source = root.origin.line
        file, line = (source.path, source.line) if source is not None else (None, None)
        by_url = locked.get_direct(root.name)
        if by_url is not None:
            if not _meets(by_url, requirement):
                findings.append(
                    Finding(
                        kind="unsatisfied",
                        name=by_url.name,
                        url=redact_text(by_url.url),
                        requirement=str(requirement),
                        file=file,
                        line=line,
                    )
                )
        elif pin is None:
            if root.kind == "requirement":
                findings.append(
                    Finding(
                        kind="unpinned",
                        name=root.name,
                        requirement=str(root.requirement),
                        file=file,
                        line=line,
                    )
                )
        elif not requirement.specifier.contains(pin.version, prereleases=True):
            findings.append(
                Finding(
                    kind="unsatisfied",
                    name=pin.name,
                    version=str(pin.version),
                    requirement=str(requirement),
                    file=file,
                    line=line,
                )
            )
    return findings


def _meets(pin: LockedDirectPin, requirement: Requirement) -> bool:
    """Whether a ``name @ URL`` pin meets a requirement: the same artifact for a URL, else a
    version its specifier allows (a version the file name does not give is not judged)."""
    if requirement.url:
        return same_reference(pin.requirement, requirement)
    return pin.version is None or requirement.specifier.contains(pin.version, prereleases=True)


def _asker(pin: LockedPin | LockedDirectPin) -> str:
    if isinstance(pin, LockedDirectPin):
        return f"{pin.name} @ {redact_text(pin.url)}"
    return f"{pin.name}=={pin.version}"


def _against_pins(
    pin: LockedPin | LockedDirectPin,
    requirement: Requirement,
    locked: LockedFile,
    replaced: Mapping[NormalizedName, Requirement],
) -> list[Finding]:
    name = canonicalize_name(requirement.name)
    wanted = replaced.get(name, requirement)
    other = locked.get(name)
    asker = _asker(pin)
    by_url = locked.get_direct(name)
    if by_url is not None:
        if _meets(by_url, wanted):
            return []
        return [
            Finding(
                kind="conflict",
                name=by_url.name,
                url=redact_text(by_url.url),
                requirement=str(wanted),
                required_by=asker,
            )
        ]
    if other is None:
        return [Finding(kind="missing", name=name, requirement=str(wanted), required_by=asker)]
    if not wanted.specifier.contains(other.version, prereleases=True):
        return [
            Finding(
                kind="conflict",
                name=other.name,
                version=str(other.version),
                requirement=str(wanted),
                required_by=asker,
            )
        ]
    return []


def _orphans(
    locked: LockedFile,
    inputs: CompileInputs,
    requires: Mapping[str, tuple[str, ...] | None],
) -> list[Finding]:
    needed = {root.name for root in inputs.roots if root.kind == "requirement"}
    for texts in requires.values():
        needed |= {canonicalize_name(Requirement(text).name) for text in texts or ()}
    orphans = [
        Finding(kind="orphaned", name=pin.name, version=str(pin.version))
        for pin in locked.pins
        if pin.name not in needed
    ]
    return orphans + [
        Finding(kind="orphaned", name=pin.name, url=redact_text(pin.url))
        for pin in locked.direct
        if pin.name not in needed
    ]


def _requires(
    locked: LockedFile,
    inputs: CompileInputs,
    snapshot: Mapping[str, PinSnapshot] | None,
    *,
    target: TargetEnvironment,
    online: bool,
    index: IndexRequest,
    pins_as_written: bool,
) -> dict[str, tuple[str, ...] | None]:
    known: dict[str, tuple[str, ...] | None] = {}
    unknown: list[LockedPin] = []
    for pin in locked.pins:
        written = snapshot.get(pin.name) if snapshot is not None else None
        if written is not None and written.version == str(pin.version):
            known[pin.name] = written.requires
        else:
            unknown.append(pin)
    for by_url in locked.direct:
        # Only the snapshot knows a direct artifact's requirements. It is compile's for these
        # very lines when the pins are as written (their digest covers the URL); after a hand
        # edit, only when the file name gives the version compile saw. Else: not checked.
        written = snapshot.get(by_url.name) if snapshot is not None else None
        known[by_url.name] = None
        if written is not None and (
            pins_as_written
            or (by_url.version is not None and str(by_url.version) == written.version)
        ):
            known[by_url.name] = written.requires
    if unknown:
        known.update(_read_metadata(unknown, inputs, target=target, online=online, index=index))
    return known


def _read_metadata(
    pins: Sequence[LockedPin],
    inputs: CompileInputs,
    *,
    target: TargetEnvironment,
    online: bool,
    index: IndexRequest,
) -> dict[str, tuple[str, ...] | None]:
    """The requirements of pins that compile did not write, from the index cache or the index.

    Imported here: only a lock edited by hand (or not written by lockctl) needs the index.
    """
    from lockctl.ops.package_source import IndexPackageSource
    from lockctl.ops.session import open_index
    from lockctl.resolver.models import release_at

    markers = target.markers()
    found: dict[str, tuple[str, ...] | None] = {}
    # The indexes the lock was compiled from: the inputs' own index options count, as in compile.
    with open_index(replace(index, offline=not online), files=inputs.files) as client:
        source = IndexPackageSource(client, target)
        for pin in pins:
            found[pin.name] = None
            try:
                releases = source.releases(pin.name)
                if isinstance(releases, Sequence):
                    release = release_at(releases, pin.version)
                    if release is not None and release.all_files:
                        metadata = source.metadata(release)
                        found[pin.name] = effective_requirements(
                            metadata.requires_dist, pin.extras, markers
                        )
            except LockctlError:  # not cached (offline), or the index failed: not checked
                continue
    return found
