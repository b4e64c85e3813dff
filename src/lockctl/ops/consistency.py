"""Is a lock consistent in itself and with its inputs? For ``lockctl check``.

Offline by default: an input requirement is checked against its pin from the files alone; a
pin's own requirements come from the snapshot compile left (``ops.snapshots``) or, for a pin
compile did not write, from the metadata in the index cache (``--online``: from the index).
A pin whose requirements cannot be read is reported as not checked, never guessed, and then
no pin is called orphaned (nobody can say that nothing requires it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import LockctlError
from lockctl.lockfiles import LockedFile, LockedPin
from lockctl.ops.commands import IndexRequest
from lockctl.ops.findings import Finding
from lockctl.ops.inputs import CompileInputs
from lockctl.ops.snapshots import PinSnapshot, effective_requirements
from lockctl.target import TargetEnvironment

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
) -> list[Finding]:
    markers = target.markers()
    replaced = _overrides(overrides, locked)
    findings = _against_inputs(locked, inputs, markers, replaced)
    requires = _requires(locked, inputs, snapshot, target=target, online=online, index=index)
    unknown = tuple(sorted(name for name, value in requires.items() if value is None))
    for pin in locked.pins:
        for text in requires.get(pin.name) or ():
            findings += _against_pins(pin, Requirement(text), locked, replaced)
    if unknown:
        findings.append(Finding(kind="not-checked", names=unknown))
    else:
        findings += _orphans(locked, inputs, requires)
    return findings


def _overrides(overrides: Sequence[str], locked: LockedFile) -> dict[NormalizedName, Requirement]:
    """The project's overrides and those the lock says it applied: each replaces every
    requirement on its project."""
    found = {canonicalize_name(Requirement(text).name): Requirement(text) for text in overrides}
    for pin in locked.pins:
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
        if pin is None:
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


def _against_pins(
    pin: LockedPin,
    requirement: Requirement,
    locked: LockedFile,
    replaced: Mapping[NormalizedName, Requirement],
) -> list[Finding]:
    name = canonicalize_name(requirement.name)
    wanted = replaced.get(name, requirement)
    other = locked.get(name)
    asker = f"{pin.name}=={pin.version}"
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
    return [
        Finding(kind="orphaned", name=pin.name, version=str(pin.version))
        for pin in locked.pins
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
) -> dict[str, tuple[str, ...] | None]:
    known: dict[str, tuple[str, ...] | None] = {}
    unknown: list[LockedPin] = []
    for pin in locked.pins:
        written = snapshot.get(pin.name) if snapshot is not None else None
        if written is not None and written.version == str(pin.version):
            known[pin.name] = written.requires
        else:
            unknown.append(pin)
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
