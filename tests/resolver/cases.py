"""Resolution cases as data: cases/*.json, run through the real provider over a FakeSource.

A case is ``{"description", "index", "target": {"python_version", "platform"}, "roots":
[{"requirement", "kind"?, "file"?, "line"?, "via"?: [{"file", "line"}]}], "preferences"?:
{"pins", "upgrade_all", "upgrade"}, "pre"?}`` and one expectation: ``{"pins": {name:
version}, ...}``, ``{"conflict": {"causes", "chain_contains", ...}}`` or ``{"unknown": name}``.
Causes and chains are compared in the text form ``render_cause`` gives them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.reqfile import SourceLine
from lockctl.resolver import (
    ConflictCause,
    Origin,
    Preferences,
    Resolution,
    RootRequirement,
    TargetEnvironment,
    resolve,
)
from tests.resolver.fakesource import FakeSource

__all__ = ["CASES_DIR", "Case", "load_cases", "make_root", "render_cause", "render_chain"]

CASES_DIR = Path(__file__).parent / "cases"


def make_root(data: Mapping[str, Any]) -> RootRequirement:
    """A root requirement from ``{"requirement", "kind", "file", "line", "via"}``."""
    text = str(data["requirement"])
    line = None
    file = data.get("file", "requirements.in")  # an explicit null: the command line
    if file is not None:
        number = int(data.get("line", 1))
        line = SourceLine(path=Path(file), line=number, end_line=number, text=text)
    via = tuple(
        SourceLine(path=Path(step["file"]), line=step["line"], end_line=step["line"], text="")
        for step in data.get("via", ())
    )
    return RootRequirement(
        requirement=Requirement(text),
        origin=Origin(line=line, via=via),
        kind=data.get("kind", "requirement"),
    )


def render_cause(cause: ConflictCause) -> str:
    """``rich>=13.9.4 from fastmcp 2.12.0`` or ``rich==13.7.0 at requirements.in line 5``."""
    text = str(cause.requirement)
    if cause.parent is not None:
        text += f" from {cause.parent[0]} {cause.parent[1]}"
    if cause.root is not None:
        kind = "" if cause.root.kind == "requirement" else f"{cause.root.kind} "
        text += f" ({kind}at {cause.root.origin.describe()})"
    return text


def render_chain(chain: Sequence[ConflictCause]) -> str:
    return " -> ".join(render_cause(cause) for cause in chain)


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    data: Mapping[str, Any]

    @property
    def target(self) -> TargetEnvironment:
        target = self.data.get("target", {})
        return TargetEnvironment.create(
            python_version=target.get("python_version", "3.11"),
            platform=target.get("platform", "linux_x86_64"),
        )

    @property
    def roots(self) -> list[RootRequirement]:
        return [make_root(root) for root in self.data["roots"]]

    @property
    def preferences(self) -> Preferences:
        data = self.data.get("preferences", {})
        return Preferences(
            pins={canonicalize_name(k): Version(v) for k, v in data.get("pins", {}).items()},
            upgrade_all=bool(data.get("upgrade_all", False)),
            upgrade=frozenset(canonicalize_name(name) for name in data.get("upgrade", ())),
        )

    @property
    def expected(self) -> Mapping[str, Any]:
        expected: Mapping[str, Any] = self.data["expected"]
        return expected

    def source(self) -> FakeSource:
        return FakeSource(self.data["index"], self.target)

    def run(self, roots: Sequence[RootRequirement] | None = None) -> Resolution:
        return resolve(
            self.roots if roots is None else roots,
            source=self.source(),
            target=self.target,
            preferences=self.preferences,
            pre=bool(self.data.get("pre", False)),
        )


def load_cases() -> list[Case]:
    return [
        Case(id=path.stem, data=json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(CASES_DIR.glob("*.json"))
    ]
