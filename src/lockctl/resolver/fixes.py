"""A fix for a conflict as a value: what to change, where, and what it would resolve to.

The resolver and ``ops`` build these; only ``lockctl.cli`` words them, and ``to_dict`` gives
the same facts to ``--format json``. Later commands (check, reconcile, drift) report the same
kinds of change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from packaging.requirements import Requirement
from packaging.utils import NormalizedName
from packaging.version import Version

from lockctl.reqfile import SourceLine

__all__ = ["Fix", "FixKind"]

# relax:            drop the specifier of ``requirement``, written at ``location``;
# drop-constraint:  delete the -c line ``requirement`` at ``location`` (pip's -c without a
#                   specifier says nothing, so relaxing it means dropping it);
# override:         add ``requirement`` as an override (every requirement on its project is
#                   replaced), as ``asked_by`` wants it; in a project, for the lock ``lock``.
FixKind = Literal["relax", "drop-constraint", "override"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Fix:
    """One change that fixes a conflict.

    ``checked`` says that the change was tried by resolving again and resolved;
    ``resolves_to`` is then the version the changed project resolved to. ``location`` is None
    for a requirement given on the command line. ``lock`` is set for an override that
    belongs to one lock in ``[tool.lockctl]``: the lock's output, as ``pyproject.toml`` names
    it; ``in_project`` for one that belongs to every lock there.
    """

    kind: FixKind
    requirement: Requirement
    location: SourceLine | None = None
    asked_by: NormalizedName | None = None
    lock: Path | None = None
    in_project: bool = False  # an override for every lock of the project's [tool.lockctl]
    checked: bool = True
    resolves_to: tuple[NormalizedName, Version] | None = None

    def to_dict(self) -> dict[str, Any]:
        where = self.location
        return {
            "kind": self.kind,
            "requirement": str(self.requirement),
            "file": None if where is None else str(where.path),
            "line": None if where is None else where.line,
            "asked_by": self.asked_by,
            "lock": None if self.lock is None else str(self.lock),
            "in_project": self.in_project,
            "checked": self.checked,
            "resolves_to": (
                None
                if self.resolves_to is None
                else {"name": self.resolves_to[0], "version": str(self.resolves_to[1])}
            ),
        }
