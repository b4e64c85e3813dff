"""``pip check``'s complaints, read into values.

pip words three problems, one a line (``pip/_internal/commands/check.py``, unchanged since
pip 10 except the third, from pip 23.3)::

    mlflow 3.4.0 requires fastmcp, which is not installed.
    fastmcp 2.12.4 has requirement rich>=13.9.4, but you have rich 13.7.0.
    somepkg 1.0 is not supported on this platform

The project names are as the distributions spell them; ``requires`` names only the missing
project, ``has requirement`` gives the whole requirement (with its marker, when it has one).
A line that fits none of them is kept as it is (``kind="other"``), never dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["PipCheckProblem", "parse_pip_check"]

_MISSING = re.compile(
    r"^(?P<name>\S+) (?P<version>\S+) requires (?P<dep>.+), which is not installed\.$"
)
_CONFLICT = re.compile(
    r"^(?P<name>\S+) (?P<version>\S+) has requirement (?P<req>.+), "
    r"but you have (?P<dep>\S+) (?P<installed>\S+)\.$"
)
_UNSUPPORTED = re.compile(r"^(?P<name>\S+) (?P<version>\S+) is not supported on this platform$")
_ALL_GOOD = "No broken requirements found."


@dataclass(frozen=True, slots=True, kw_only=True)
class PipCheckProblem:
    """One line of ``pip check``: ``name version`` and what is wrong with its requirements."""

    kind: Literal["missing", "conflict", "unsupported", "other"]
    name: NormalizedName | None  # the distribution that requires (None for "other")
    version: str | None
    dependency: NormalizedName | None = None  # the project it requires
    requirement: str | None = None  # its requirement, for "conflict"
    installed: str | None = None  # the version installed, for "conflict"
    line: str = ""  # pip's line, as pip wrote it

    def to_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"kind": self.kind, "line": self.line}
        for key in ("name", "version", "dependency", "requirement", "installed"):
            value = getattr(self, key)
            if value is not None:
                facts[key] = value
        return facts


def parse_pip_check(lines: Iterable[str]) -> tuple[PipCheckProblem, ...]:
    problems: list[PipCheckProblem] = []
    for raw in lines:
        line = raw.strip()
        if not line or line == _ALL_GOOD:
            continue
        problems.append(_problem(line))
    return tuple(problems)


def _problem(line: str) -> PipCheckProblem:
    if (match := _MISSING.match(line)) is not None:
        return PipCheckProblem(
            kind="missing",
            name=canonicalize_name(match["name"]),
            version=match["version"],
            dependency=canonicalize_name(match["dep"].strip()),
            line=line,
        )
    if (match := _CONFLICT.match(line)) is not None:
        return PipCheckProblem(
            kind="conflict",
            name=canonicalize_name(match["name"]),
            version=match["version"],
            dependency=canonicalize_name(match["dep"]),
            requirement=match["req"].strip(),
            installed=match["installed"],
            line=line,
        )
    if (match := _UNSUPPORTED.match(line)) is not None:
        return PipCheckProblem(
            kind="unsupported",
            name=canonicalize_name(match["name"]),
            version=match["version"],
            line=line,
        )
    return PipCheckProblem(kind="other", name=None, version=None, line=line)
