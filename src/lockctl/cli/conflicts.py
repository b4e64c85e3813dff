"""Words for resolution failures: the clashing chains, folded, and the fixes that were verified."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from packaging.version import Version

from lockctl.resolver import ConflictCause, Fix, ResolutionConflict

__all__ = ["render_conflict", "render_fix"]


def _versions(versions: Sequence[Version]) -> str:
    ordered = sorted(set(versions))
    if len(ordered) == 1:
        return str(ordered[0])
    return f"{len(ordered)} versions, {ordered[0]} to {ordered[-1]}"


def _origin(cause: ConflictCause) -> str:
    return "" if cause.root is None else f" ({cause.root.origin.describe()})"


def _fold(chains: Sequence[Sequence[ConflictCause]]) -> list[str]:
    """One sentence per distinct path; chains that differ only in a parent's version merge."""
    groups: dict[tuple[tuple[str, str | None], ...], list[Sequence[ConflictCause]]] = {}
    for chain in chains:
        key = tuple((str(c.requirement), c.parent[0] if c.parent else None) for c in chain)
        groups.setdefault(key, []).append(chain)
    sentences = []
    for members in groups.values():
        first = members[0]
        if len(first) == 1:
            root = first[0].root
            where = root.origin.describe() if root is not None else "a pinned project"
            if first[0].parent is not None:
                where = f"{first[0].parent[0]} {first[0].parent[1]}"
            sentences.append(f"{first[0].requirement} comes from {where}")
            continue
        text = f"{first[0].requirement}{_origin(first[0])} needs {first[1].requirement}"
        for position in range(2, len(first)):
            parent = first[position].parent
            assert parent is not None
            versions = [p[1] for chain in members if (p := chain[position].parent) is not None]
            many = len(set(versions)) > 1
            who = (
                f"every {parent[0]} it allows ({_versions(versions)})"
                if many
                else (f"{parent[0]} {versions[0]}")
            )
            text += f", and {who} needs {first[position].requirement}"
        sentences.append(text)
    return sentences


def render_fix(fix: Fix) -> str:
    """A fix as a person would carry it out: the line to edit, or the command to run."""
    where = "the command line" if fix.location is None else fix.location.describe()
    if fix.kind == "relax":
        text = f"relax {fix.requirement} in {where}"
    elif fix.kind == "drop-constraint":
        text = f"drop the constraint {fix.requirement} in {where}"
    elif fix.lock is not None:  # in a project, an override belongs in pyproject.toml
        lock = shlex.quote(str(fix.lock))
        text = f"run: lockctl override add {shlex.quote(str(fix.requirement))} --lock {lock}"
    elif fix.in_project:
        text = f"run: lockctl override add {shlex.quote(str(fix.requirement))}"
    else:
        text = f"add --override '{fix.requirement}'"
    if fix.kind == "override" and fix.asked_by is not None:
        text += f", as {fix.asked_by} asks"
    if fix.resolves_to is not None:
        name, version = fix.resolves_to
        text += f" ({name} would resolve to {version})"
    return text


def render_conflict(error: ResolutionConflict) -> str:
    lines = [f"error: {error.message}"]
    chains = error.chains or tuple((cause,) for cause in error.causes)
    lines += [f"  {sentence}" for sentence in _fold(chains)]
    lines += [f"  {reason}" for reason in error.unavailable]
    checked = [fix for fix in error.fixes if fix.checked]
    unchecked = [fix for fix in error.fixes if not fix.checked]
    if checked:
        lines.append("  fixes that resolve (each checked by resolving again):")
        lines += [f"    - {render_fix(fix)}" for fix in checked]
    if unchecked:
        lines.append("  changes that may fix it (not checked):")
        lines += [f"    - {render_fix(fix)}" for fix in unchecked]
    return "\n".join(lines)
