"""What ``lockctl drift`` finds about each lock, as values; ``lockctl.cli`` words them.

A finding has a ``kind`` (``ops.commands.DRIFT_KINDS``, most severe first) and its facts;
``to_dict`` gives them to ``--format json`` (the schema is versioned: ``REPORT_VERSION``, and
documented in the README). A pin the index could not answer for is not a finding but an
``UnknownPin``: never guessed, and never counted as drift.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from packaging.utils import NormalizedName

from lockctl.ops.advisories import Advisory
from lockctl.ops.commands import DRIFT_KINDS, DriftKind
from lockctl.ops.cooldown import format_instant
from lockctl.ops.reconcile_rows import Unreconcilable
from lockctl.target import TargetEnvironment

__all__ = [
    "REPORT_VERSION",
    "Blocker",
    "DriftFinding",
    "DriftReport",
    "GoneReason",
    "LockDrift",
    "PinMove",
    "Recompile",
    "UnknownPin",
]

REPORT_VERSION = 1

# project-not-found: no index has the project any more; version-not-listed: the index no
# longer lists the pinned version (every file removed); locked-files-not-listed: the lock's
# --hash values match none of the files the index still lists for it; no-file-for-target:
# the release is listed, but none of its files installs on the target (``detail`` says why).
GoneReason = Literal[
    "project-not-found", "version-not-listed", "locked-files-not-listed", "no-file-for-target"
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocker:
    """A requirement that excludes a newer version: an input line, a ``-c`` constraint, an
    override, or a pinned parent's metadata (``required_by``).

    ``file`` and ``line`` say where it is written: the input file, ``pyproject.toml`` for a
    project's override, the lock itself for an override known only from its ``# override:``
    comment; None for one given on the command line or asked by a parent.
    """

    requirement: str
    kind: Literal["requirement", "constraint", "override", "parent"]
    file: Path | None = None
    line: int | None = None
    required_by: str | None = None  # "name==version" of the pinned parent

    def to_dict(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "kind": self.kind,
            "file": None if self.file is None else str(self.file),
            "line": self.line,
            "required_by": self.required_by,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftFinding:
    """One thing the index (or an advisory) now says about a pin, or about the whole lock.

    outdated: ``latest`` is the newest release the inputs allow. blocked: ``latest`` is the
    newest release, and ``blocked_by`` what excludes it. yanked: ``reason`` as the index
    gives it ("" when it gives none). gone: ``reason`` a ``GoneReason``, ``detail`` why no
    file fits the target. vulnerable: the ``advisory``, its ``fixed`` versions, and
    ``fixed_allowed``, the first newer release it does not affect that the inputs allow
    (None: none is; ``blocked_by`` then says what blocks the first one it does not affect).
    unresolvable: ``conflict``, the resolver's explanation (no pin); or, when a project is on
    no index any more, its ``name``, ``reason`` "project-not-found", the ``requirement`` on it
    and who it is ``required_by`` (an input line, or a pinned project).
    """

    kind: DriftKind
    name: NormalizedName | None = None
    version: str | None = None  # as pinned
    line: int | None = None  # of the pin, in the lock
    latest: str | None = None
    blocked_by: tuple[Blocker, ...] = ()
    reason: str | None = None
    detail: str | None = None
    advisory: Advisory | None = None
    fixed: tuple[str, ...] = ()
    fixed_allowed: str | None = None
    conflict: Unreconcilable | None = None
    requirement: str | None = None
    required_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"kind": self.kind}
        keys = ("name", "version", "line", "latest", "reason", "detail", "requirement")
        for key in (*keys, "required_by"):
            value = getattr(self, key)
            if value is not None:
                facts[key] = value
        if self.kind in ("blocked", "vulnerable"):
            facts["blocked_by"] = [blocker.to_dict() for blocker in self.blocked_by]
        if self.advisory is not None:
            facts["advisory"] = self.advisory.to_dict()
            facts["fixed"] = list(self.fixed)
            facts["fixed_allowed"] = self.fixed_allowed
        if self.conflict is not None:
            facts["conflict"] = self.conflict.to_dict()
        return facts


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownPin:
    """A pin that could not be checked: the index failed (``error``, redacted ``url``)."""

    name: NormalizedName
    version: str
    line: int | None
    error: str
    url: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "line": self.line,
            "error": self.error,
            "url": self.url or None,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class PinMove:
    """A pin a fresh ``compile --upgrade`` changes: ``old`` None when added, ``new`` None
    when removed."""

    name: NormalizedName
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "from": self.old, "to": self.new}


@dataclass(frozen=True, slots=True, kw_only=True)
class Recompile:
    """The lock compiled again with ``--upgrade``: whether it resolves, and what would move.

    ``written``: ``--update`` wrote it. ``error``: why it could not be tried (unknown).
    """

    status: Literal["resolves", "unresolvable", "unknown"]
    moves: tuple[PinMove, ...] = ()
    written: bool = False
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "moves": [move.to_dict() for move in self.moves],
            "written": self.written,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class LockDrift:
    """One lock: its findings (most severe first), the pins not checked, the recompile.

    ``not_filtered``: projects whose pages give no upload times (HTML pages), for which
    ``--exclude-newer`` could not be applied.
    """

    lock: Path
    target: TargetEnvironment
    pins: int
    findings: tuple[DriftFinding, ...]
    unknown: tuple[UnknownPin, ...]
    recompile: Recompile
    not_filtered: tuple[NormalizedName, ...] = ()

    @property
    def checked(self) -> bool:
        return len(self.unknown) < self.pins or self.recompile.status != "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {
            "lock": str(self.lock),
            "target": {
                "python_version": self.target.python_minor,
                "platform": self.target.platform,
            },
            "pins": self.pins,
            "findings": [finding.to_dict() for finding in self.findings],
            "unknown": [pin.to_dict() for pin in self.unknown],
            "recompile": self.recompile.to_dict(),
            "exclude_newer_not_applied": list(self.not_filtered),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftReport:
    locks: tuple[LockDrift, ...]
    fail_on: tuple[DriftKind, ...] = DRIFT_KINDS
    advisory_files: tuple[Path, ...] = ()
    advisories: int = 0  # advisories read that name a PyPI project
    exclude_newer: datetime | None = None
    updated: bool = False  # --update wrote the locks

    def counts(self) -> dict[DriftKind, int]:
        found = Counter(f.kind for lock in self.locks for f in lock.findings)
        return {kind: found[kind] for kind in DRIFT_KINDS}

    @property
    def drift(self) -> bool:
        """A finding of a kind that ``--fail-on`` counts: exit code 1."""
        return any(f.kind in self.fail_on for lock in self.locks for f in lock.findings)

    @property
    def checked(self) -> bool:
        """Something could be checked (else exit code 3: the index failed for everything)."""
        return any(lock.checked for lock in self.locks)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "drift": self.drift,
            "fail_on": list(self.fail_on),
            "counts": {**self.counts(), "unknown": sum(len(lock.unknown) for lock in self.locks)},
            "exclude_newer": None
            if self.exclude_newer is None
            else format_instant(self.exclude_newer),
            "advisories": {
                "files": [str(path) for path in self.advisory_files],
                "count": self.advisories,
            },
            "updated": self.updated,
            "locks": [lock.to_dict() for lock in self.locks],
        }
