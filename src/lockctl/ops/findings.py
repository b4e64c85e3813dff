"""What ``lockctl check`` finds about a lock, as values; ``lockctl.cli`` words them.

Each finding has a ``kind`` and its facts, and ``to_dict`` for ``--format json``. The kinds
fall in three groups, one per line of the report: the inputs changed since the lock was
compiled, the lock was edited by hand, or the lock is inconsistent in itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

__all__ = ["GROUPS", "Finding", "FindingKind", "InputChange", "group_of"]

FindingKind = Literal[
    # inputs changed
    "target-changed",  # was, now
    "overrides-changed",
    "options-changed",
    "file-changed",  # file, changes
    "file-added",  # file: included now, not when the lock was compiled
    "file-removed",  # file: no longer included
    # edited by hand
    "pin-edited",  # name, was (None: added by hand), now (None: removed by hand)
    "pins-edited",  # the pins differ, and what compile wrote is not in this machine's cache
    # inconsistent
    "unsatisfied",  # an input requirement (requirement, file, line) the pin does not meet
    "unpinned",  # an input requirement whose project has no pin
    "missing",  # a pinned release requires a project that has no pin
    "conflict",  # a pin does not meet another pin's (or an override's) requirement
    "orphaned",  # a pin that nothing requires
    # not checked (never guessed)
    "not-checked",  # pins whose release metadata is not cached
]

GROUPS: dict[str, tuple[str, ...]] = {
    "inputs-changed": (
        "target-changed",
        "overrides-changed",
        "options-changed",
        "file-changed",
        "file-added",
        "file-removed",
    ),
    "hand-edited": ("pin-edited", "pins-edited"),
    "inconsistent": ("unsatisfied", "unpinned", "missing", "conflict", "orphaned"),
    "not-checked": ("not-checked",),
}


def group_of(kind: str) -> str:
    return next(group for group, kinds in GROUPS.items() if kind in kinds)


@dataclass(frozen=True, slots=True, kw_only=True)
class InputChange:
    """One requirement line of an input file that is new, gone or different."""

    change: Literal["added", "removed", "changed"]
    requirement: str  # as it is now (as it was, for "removed")
    line: int | None  # in the file as it is now (None for "removed")
    was: str | None = None  # for "changed": the line as it was

    def to_dict(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "requirement": self.requirement,
            "line": self.line,
            "was": self.was,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    kind: FindingKind
    name: str | None = None  # the project a pin finding is about
    version: str | None = None  # its pinned version, as the lock has it now
    url: str | None = None  # instead of a version: a name @ URL pin's URL, as written
    was: str | None = None  # a version or target as the lock was compiled
    now: str | None = None  # the same, as it is now
    requirement: str | None = None  # the requirement taking part
    required_by: str | None = None  # the pin (name==version) or input file that asks
    file: Path | None = None
    line: int | None = None
    changes: tuple[InputChange, ...] = ()
    names: tuple[str, ...] = ()  # for not-checked: the pins

    @property
    def group(self) -> str:
        return group_of(self.kind)

    def to_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"kind": self.kind, "group": self.group}
        for key in ("name", "version", "url", "was", "now", "requirement", "required_by", "line"):
            value = getattr(self, key)
            if value is not None:
                facts[key] = value
        if self.file is not None:
            facts["file"] = str(self.file)
        if self.changes:
            facts["changes"] = [change.to_dict() for change in self.changes]
        if self.names:
            facts["names"] = list(self.names)
        return facts
