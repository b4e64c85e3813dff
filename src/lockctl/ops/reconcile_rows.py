"""What ``lockctl reconcile`` finds, as values: one row per package, the moves, the report.

A row sets the lock's version beside pip's and lockctl's and gives the status with its facts:

- ``ok``: the three agree and the ``# via`` lines are right;
- ``hand-edited``: the lock's version is not what the inputs resolve to, though no other pin
  forbids it (an input line or an override excludes it, it is not on the index, or its own
  requirements clash with the rest);
- ``missing``: required by a pinned release (or an input) but not pinned;
- ``orphaned``: pinned, but nothing requires it any more;
- ``inconsistent``: the version violates a requirement of another pin;
- ``stale-annotation``: right version, wrong ``# via``.

Nothing here is worded for people: ``lockctl.cli.reconcile_cmd`` does that, and ``to_dict``
gives the same facts to ``--format json``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.ops.pipreport import PipOutcome
from lockctl.reqfile import SourceLine
from lockctl.resolver import Fix, ResolutionConflict, TargetEnvironment

__all__ = [
    "REPORT_VERSION",
    "Asker",
    "AskerKind",
    "Clash",
    "Demand",
    "Move",
    "ReconcileReport",
    "ReconcileRow",
    "RowKind",
    "Unreconcilable",
]

REPORT_VERSION = 1  # of the --format json document; bumped when a field changes meaning

RowKind = Literal["ok", "hand-edited", "missing", "orphaned", "inconsistent", "stale-annotation"]
AskerKind = Literal["pin", "input", "constraint", "override"]
MoveKind = Literal["added", "removed", "moved"]


def _version(version: Version | None) -> str | None:
    return None if version is None else str(version)


def _where(line: SourceLine | None) -> dict[str, Any] | None:
    return None if line is None else {"file": str(line.path), "line": line.line}


@dataclass(frozen=True, slots=True, kw_only=True)
class Asker:
    """Who asks for a requirement.

    ``pin``: a pinned release (``name`` ``version``); ``kept`` says the lock already had that
    version. ``input``/``constraint``: a line of the inputs (``where``). ``override``: an
    override (``where`` is None for one from the command line), replacing what ``name``
    ``version`` asked for when it replaced a pin's requirement.
    """

    kind: AskerKind
    name: NormalizedName | None = None
    version: Version | None = None
    where: SourceLine | None = None
    kept: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "version": _version(self.version),
            "where": _where(self.where),
            "kept": self.kept,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Demand:
    """``asker`` requires ``requirement`` (markers evaluated, overrides applied) of ``project``."""

    project: NormalizedName
    requirement: Requirement
    asker: Asker

    def allows(self, version: Version) -> bool:
        return self.requirement.specifier.contains(version, prereleases=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "requirement": str(self.requirement),
            "asker": self.asker.to_dict(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Clash:
    """``demand`` excludes ``version`` of its project."""

    demand: Demand
    version: Version

    def to_dict(self) -> dict[str, Any]:
        return {"demand": self.demand.to_dict(), "version": str(self.version)}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileRow:
    """One package: its three versions (None: not there; pip's is None too when pip failed).

    ``line`` is the pin's line in the lock. ``demands``: for ``missing``, who requires it.
    ``clashes``: for ``inconsistent``, the requirements of other pins its version violates;
    for ``hand-edited``, what excludes its version (an input line, an override, or one of its
    own requirements against another pin). ``unavailable`` says why its version cannot be
    used at all. ``via`` is the lock's ``# via`` as written; ``expected_via`` what it should
    say (``stale-annotation``).
    """

    name: NormalizedName
    kind: RowKind
    lock: Version | None = None
    pip: Version | None = None
    lockctl: Version | None = None
    line: int | None = None
    demands: tuple[Demand, ...] = ()
    clashes: tuple[Clash, ...] = ()
    unavailable: str | None = None
    via: tuple[str, ...] = ()
    expected_via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "lock": _version(self.lock),
            "pip": _version(self.pip),
            "lockctl": _version(self.lockctl),
            "line": self.line,
            "demands": [demand.to_dict() for demand in self.demands],
            "clashes": [clash.to_dict() for clash in self.clashes],
            "unavailable": self.unavailable,
            "via": list(self.via),
            "expected_via": list(self.expected_via),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Move:
    """A pin that ``--write`` changes, and why.

    ``added``: ``demands`` say who requires it. ``removed``: ``via`` is who used to.
    ``moved``: ``clashes`` (requirements of the new lock that exclude the old version, or
    the old release's own requirements that clash with it) and ``unavailable`` say why.
    """

    kind: MoveKind
    name: NormalizedName
    old: Version | None = None
    new: Version | None = None
    demands: tuple[Demand, ...] = ()
    clashes: tuple[Clash, ...] = ()
    unavailable: str | None = None
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "from": _version(self.old),
            "to": _version(self.new),
            "demands": [demand.to_dict() for demand in self.demands],
            "clashes": [clash.to_dict() for clash in self.clashes],
            "unavailable": self.unavailable,
            "via": list(self.via),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreconcilable:
    """The inputs do not resolve, so no honest lock exists: the resolver's conflict, as data.

    ``held`` are the lock's pins that the conflict names (name, version, lock line): the
    hand edits that cannot be kept together.
    """

    conflict: ResolutionConflict
    held: tuple[tuple[NormalizedName, Version, int], ...] = ()

    @property
    def fixes(self) -> tuple[Fix, ...]:
        return self.conflict.fixes

    def to_dict(self) -> dict[str, Any]:
        return {
            "message": self.conflict.message,
            "causes": [
                {
                    "requirement": str(cause.requirement),
                    "parent": None
                    if cause.parent is None
                    else {"name": cause.parent[0], "version": str(cause.parent[1])},
                    "where": None
                    if cause.root is None
                    else _where(cause.root.origin.line) or {"file": None, "line": None},
                }
                for cause in self.conflict.causes
            ],
            "unavailable": list(self.conflict.unavailable),
            "fixes": [fix.to_dict() for fix in self.fixes],
            "held": [
                {"name": name, "version": str(version), "line": line}
                for name, version, line in self.held
            ],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileReport:
    """Everything ``reconcile`` found about one lock, and whether ``--write`` rewrote it.

    ``rows`` are sorted by name; ``moves`` are what the rewrite changes (or would change);
    ``conflict`` is set when the inputs cannot be resolved (then nothing is written).
    """

    lock: Path
    input: Path
    target: TargetEnvironment
    rows: tuple[ReconcileRow, ...]
    pip: PipOutcome
    moves: tuple[Move, ...] = ()
    conflict: Unreconcilable | None = None
    overridden: tuple[NormalizedName, ...] = ()  # projects the lock's overrides replace
    written: bool = False
    text: str | None = field(default=None, repr=False)  # the honest lock, when there is one

    @property
    def problems(self) -> tuple[ReconcileRow, ...]:
        return tuple(row for row in self.rows if row.kind != "ok")

    @property
    def pip_refusal_expected(self) -> bool:
        """pip refuses a lock with overrides whatever else is right: it has no overrides, so
        it checks the requirements they replaced (the lock installs with ``--no-deps``)."""
        return not self.pip.ok and bool(self.overridden)

    @property
    def clean(self) -> bool:
        """Nothing wrong: every row ok, the inputs resolve, and pip installs the lock (or
        refuses it only as it refuses every lock with overrides)."""
        pip_ok = self.pip.ok or self.pip_refusal_expected
        return not self.problems and pip_ok and self.conflict is None and not self.moves

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": REPORT_VERSION,
            "lock": str(self.lock),
            "input": str(self.input),
            "target": {
                "python_version": self.target.python_minor,
                "platform": self.target.platform,
            },
            "clean": self.clean,
            "rows": [row.to_dict() for row in self.rows],
            "pip": self.pip.to_dict(),
            "moves": [move.to_dict() for move in self.moves],
            "conflict": None if self.conflict is None else self.conflict.to_dict(),
            "overridden": list(self.overridden),
            "written": self.written,
        }
