"""What compile knew when it wrote a lock, kept in the cache for ``lockctl check``.

The digest line in a lock says *that* something changed; these snapshots, keyed by the
digests the line records, say *what*: the requirement lines of each input file as they were,
and each pin with the requirements its release has on the target. A machine without them
(a fresh CI runner) still gets a correct answer from the digests, with less detail.

One small JSON file per digest under ``<cache>/check-v1/``; a snapshot that cannot be written
or read costs only that detail, never the run.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from lockctl.atomic import write_atomically
from lockctl.errors import OutputError
from lockctl.reqfile import RequirementEntry, RequirementsFile

__all__ = [
    "InputLine",
    "PinSnapshot",
    "SnapshotStore",
    "effective_requirements",
    "requirement_lines",
]

_FOLDER = "check-v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class InputLine:
    """A requirement line of an input file: its line number and its text, normalised."""

    line: int
    requirement: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PinSnapshot:
    """A pin as compile wrote it, and what its release requires on the target."""

    version: str
    requires: tuple[str, ...]  # requirements whose markers hold, extras applied, no markers


class SnapshotStore:
    def __init__(self, cache_dir: Path) -> None:
        self.folder = cache_dir / _FOLDER

    def save_inputs(self, digest: str, lines: Sequence[InputLine]) -> None:
        self._save(f"inputs-{digest}", [[entry.line, entry.requirement] for entry in lines])

    def load_inputs(self, digest: str) -> list[InputLine] | None:
        data = self._load(f"inputs-{digest}")
        if not isinstance(data, list):
            return None
        with contextlib.suppress(TypeError, ValueError):
            return [InputLine(line=int(line), requirement=str(text)) for line, text in data]
        return None

    def save_pins(self, digest: str, pins: Mapping[str, PinSnapshot]) -> None:
        self._save(
            f"pins-{digest}",
            {
                name: {"version": p.version, "requires": list(p.requires)}
                for name, p in pins.items()
            },
        )

    def load_pins(self, digest: str) -> dict[str, PinSnapshot] | None:
        data = self._load(f"pins-{digest}")
        if not isinstance(data, dict):
            return None
        with contextlib.suppress(TypeError, KeyError, AttributeError):
            return {
                str(name): PinSnapshot(
                    version=str(entry["version"]), requires=tuple(map(str, entry["requires"]))
                )
                for name, entry in data.items()
            }
        return None

    def _save(self, key: str, data: object) -> None:
        with contextlib.suppress(OSError, OutputError):
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{key}.json"  # a cache: atomic, but no fsync
            write_atomically(path, json.dumps(data, sort_keys=True), durable=False)

    def _load(self, key: str) -> object:
        try:
            return json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None


def requirement_lines(parsed: RequirementsFile) -> list[InputLine]:
    """The requirement lines of one file (not of its includes), as a snapshot keeps them."""
    return [
        InputLine(line=entry.source.line, requirement=str(entry.requirement))
        for entry in parsed.entries
        if isinstance(entry, RequirementEntry) and entry.requirement is not None
    ]


def effective_requirements(
    requires_dist: Iterable[Requirement], extras: Iterable[str], markers: Mapping[str, str]
) -> tuple[str, ...]:
    """The requirements that apply on the target with these extras, markers dropped."""
    wanted = ["", *extras]
    kept: list[str] = []
    for requirement in requires_dist:
        marker = requirement.marker
        if marker is not None and not any(
            marker.evaluate({**markers, "extra": extra}) for extra in wanted
        ):
            continue
        plain = Requirement(str(requirement))
        plain.marker = None
        kept.append(str(plain))
    return tuple(dict.fromkeys(kept))
