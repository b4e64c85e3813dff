"""Errors of resolution that are not a plain conflict; each carries its data for the CLI.

``ResolutionConflict`` itself lives in ``models`` (the value the CLI renders); these add the
cases around it: a project no index has, a requirement the resolver cannot take, and a
resolution that gave up before it could prove a conflict.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName

from lockctl.errors import InputError
from lockctl.resolver.fixes import Fix
from lockctl.resolver.models import ConflictCause, ResolutionConflict

__all__ = ["ResolutionTooDeep", "UnknownProject", "UnsupportedRequirement"]


class UnknownProject(InputError):
    """A requirement names a project that no configured index has (exit code 2).

    ``required_by`` says who asked: a pinned project ("mlflow 3.4.0") or where a root
    requirement was written ("requirements.in line 3"); ``searched`` the redacted indexes.
    """

    def __init__(
        self,
        *,
        name: NormalizedName,
        requirement: Requirement,
        required_by: str,
        searched: Sequence[str],
        suggestions: Sequence[str] = (),
        gave_up_after: float | None = None,
    ) -> None:
        where = ", ".join(searched) or "any index"
        super().__init__(f"{name} was not found on {where} (required by {required_by})")
        self.name = name
        self.requirement = requirement
        self.required_by = required_by
        self.searched = tuple(searched)
        self.suggestions = tuple(suggestions)  # close names on the index, when someone looked
        # The seconds the search for close names was allowed, when it stopped without an answer.
        self.gave_up_after = gave_up_after

    def with_suggestions(
        self, suggestions: Sequence[str], *, gave_up_after: float | None = None
    ) -> UnknownProject:
        """The same error with the close names found on the index: a new error to raise."""
        return UnknownProject(
            name=self.name,
            requirement=self.requirement,
            required_by=self.required_by,
            searched=self.searched,
            suggestions=suggestions,
            gave_up_after=gave_up_after,
        )


class UnsupportedRequirement(InputError):
    """A requirement the index-only resolver cannot honour, such as a PEP 508 URL."""

    def __init__(self, requirement: Requirement, *, reason: str, required_by: str) -> None:
        super().__init__(f"{requirement}: {reason} (required by {required_by})")
        self.requirement = requirement
        self.reason = reason
        self.required_by = required_by


class ResolutionTooDeep(ResolutionConflict):
    """resolvelib gave up after ``rounds`` rounds without proving a conflict.

    It is a conflict for every caller (exit code 1), and carries the requirements of the last
    backtrack as its causes: they are where the search was stuck. No fix is ever checked for
    it (each attempt could run as long again).
    """

    def __init__(
        self,
        rounds: int,
        causes: Sequence[ConflictCause],
        *,
        chains: Sequence[Sequence[ConflictCause]] = (),
        lock: Path | None = None,
    ) -> None:
        super().__init__(
            causes,
            chains=chains,
            lock=lock,
            message=f"gave up after {rounds} rounds of backtracking without a resolution",
        )
        self.rounds = rounds

    def explained(self, *, fixes: Sequence[Fix], lock: Path | None) -> ResolutionTooDeep:
        return ResolutionTooDeep(self.rounds, self.causes, chains=self.chains, lock=lock)
