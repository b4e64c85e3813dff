"""A lock beside what the sandbox says: pip check's complaints, drift, failed imports.

pip check's complaints are read against the lock: a conflict on a project whose pin carries
an ``# override:`` comment is what the lock asked for (an override replaces every requirement
on its project, so pip's metadata check cannot agree), reported as ``overridden``.

Drift compares each pin whose marker holds in the sandbox (pip's own marker values, from
``pip inspect``) with what is installed; in project mode, what is installed and neither
locked nor brought by the base image is ``extra``. A ``name @ URL`` pin is compared by the
version its file name gives; one without (git, a directory) only has to be installed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.lockfiles import LockedDirectPin, LockedFile, LockedPin
from lockctl.urls import redact_text

from .pipcheck import PipCheckProblem
from .report import VerifyFinding
from .sandbox import ImportResult, ProbeResult

__all__ = ["Comparison", "compare", "root_distributions"]

# What every Python environment may carry without a lock asking: never "extra".
_INSTALLERS = frozenset(
    canonicalize_name(name) for name in ("pip", "setuptools", "wheel", "distribute")
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    findings: tuple[VerifyFinding, ...]
    pins: int  # the pins that apply in the sandbox


def compare(
    lock: LockedFile,
    probe: ProbeResult,
    *,
    base: frozenset[NormalizedName] | None,
    extras: bool,
) -> Comparison:
    """``extras``: report what the lock does not have (project mode); ``base``: what the
    base image brought (None: not known, then only pip, setuptools and wheel are excused)."""
    every: list[LockedPin | LockedDirectPin] = [*lock.pins, *lock.direct]
    applying = [pin for pin in every if _applies(pin, probe)]
    findings = [*_pip_check(probe.problems, lock), *_drift(applying, probe)]
    if extras:
        findings += _extras(lock, probe, (base or frozenset()) | _INSTALLERS)
    findings += _imports(probe.imports, installed=probe.versions().keys())
    return Comparison(findings=tuple(findings), pins=len(applying))


def root_distributions(lock: LockedFile) -> tuple[str, ...]:
    """The pins an input file asked for (``# via -r ...``); every pin when the lock has no
    ``# via`` lines to tell them apart."""
    every: list[LockedPin | LockedDirectPin] = [*lock.pins, *lock.direct]
    roots = tuple(str(pin.name) for pin in every if pin.roots)
    return roots or tuple(str(pin.name) for pin in every if not pin.unsafe)


def _applies(pin: LockedPin | LockedDirectPin, probe: ProbeResult) -> bool:
    if pin.marker is None or not probe.environment:
        return True
    return pin.marker.evaluate({**probe.environment, "extra": ""})


def _pip_check(problems: Iterable[PipCheckProblem], lock: LockedFile) -> list[VerifyFinding]:
    findings: list[VerifyFinding] = []
    for problem in problems:
        if problem.kind == "missing":
            findings.append(
                VerifyFinding(
                    kind="missing-dependency",
                    name=problem.name,
                    version=problem.version,
                    dependency=problem.dependency,
                    line=problem.line,
                )
            )
        elif problem.kind == "conflict":
            findings.append(_conflict(problem, lock))
        elif problem.kind == "unsupported":
            findings.append(
                VerifyFinding(
                    kind="unsupported",
                    name=problem.name,
                    version=problem.version,
                    line=problem.line,
                )
            )
        else:
            findings.append(VerifyFinding(kind="pip-check", line=problem.line))
    return findings


def _conflict(problem: PipCheckProblem, lock: LockedFile) -> VerifyFinding:
    pin = lock.get(problem.dependency) if problem.dependency else None
    overrides = pin.overrides if pin is not None else ()
    return VerifyFinding(
        kind="overridden" if overrides else "conflict",
        name=problem.name,
        version=problem.version,
        dependency=problem.dependency,
        requirement=problem.requirement,
        installed=problem.installed,
        override=str(overrides[0].requirement) if overrides else None,
        line=problem.line,
    )


def _drift(pins: Iterable[LockedPin | LockedDirectPin], probe: ProbeResult) -> list[VerifyFinding]:
    installed = probe.versions()
    findings: list[VerifyFinding] = []
    for pin in pins:
        version = installed.get(pin.name)
        locked = str(pin.version) if isinstance(pin, LockedPin) else _by_url(pin)
        if version is None:
            findings.append(VerifyFinding(kind="not-installed", name=pin.name, locked=locked))
        elif pin.version is not None and not _same_version(version, pin.version):
            findings.append(
                VerifyFinding(
                    kind="version-differs",
                    name=pin.name,
                    locked=locked,
                    installed=version,
                )
            )
    return findings


def _extras(
    lock: LockedFile, probe: ProbeResult, excused: frozenset[NormalizedName]
) -> list[VerifyFinding]:
    locked = lock.pinned_names()
    return [
        VerifyFinding(kind="extra", name=dist.name, installed=dist.version)
        for dist in sorted(probe.installed, key=lambda d: d.name)
        if dist.name not in locked and dist.name not in excused
    ]


def _imports(
    results: Iterable[ImportResult], *, installed: Collection[NormalizedName]
) -> list[VerifyFinding]:
    """Failed imports of installed distributions (one that is not installed is drift, or a
    pin whose marker does not hold in the sandbox)."""
    return [
        VerifyFinding(
            kind="import-failed",
            name=result.distribution,
            module=result.module or None,
            error=result.error,
        )
        for result in results
        if not result.ok and canonicalize_name(result.distribution) in installed
    ]


def _by_url(pin: LockedDirectPin) -> str:
    """What the lock pins, for a report: the version the file name gives, else the URL."""
    return str(pin.version) if pin.version is not None else redact_text(pin.url)


def _same_version(installed: str, locked: Version) -> bool:
    try:
        return Version(installed) == locked
    except InvalidVersion:
        return installed == str(locked)
