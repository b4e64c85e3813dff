"""Known vulnerabilities, from advisories in the OSV format, read from local files.

No vulnerability service is reachable from where lockctl runs, so advisories come from files
(the OSV schema, https://ossf.github.io/osv-schema/): one advisory object per file, or a
JSON array of them, or a folder of ``*.json`` files (searched recursively, in name order).
Only the ``PyPI`` ecosystem is read; entries for other ecosystems are skipped.

A pinned version is affected when it is listed in ``affected[].versions`` or falls in an
``ECOSYSTEM`` range: the events, sorted by version, switch "affected" on at ``introduced``
and off at ``fixed`` (that version and later) or after ``last_affected``, as the schema's
evaluation algorithm says. ``GIT`` and ``SEMVER`` ranges say nothing about PyPI versions and
are ignored.

A file that is not OSV is bad input (exit 2), named with the first bad record in it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.errors import UsageError

__all__ = ["Advisory", "AdvisoryDatabase", "AffectedRange", "read_advisories"]

_EVENTS = ("introduced", "fixed", "last_affected", "limit")
_HINT = (
    "an OSV advisory is a JSON object with an id and affected[].package {ecosystem, name}, "
    "ranges and versions (https://ossf.github.io/osv-schema/)"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedRange:
    """One ``ECOSYSTEM`` range: its events in the order the schema evaluates them."""

    events: tuple[tuple[str, Version | None], ...]  # (kind, version); None: introduced "0"

    def contains(self, version: Version) -> bool:
        affected = False
        for kind, at in self.events:
            if kind == "introduced" and (at is None or version >= at):
                affected = True
            elif at is not None and (
                (kind == "fixed" and version >= at) or (kind == "last_affected" and version > at)
            ):
                affected = False
        return affected

    @property
    def fixed(self) -> tuple[Version, ...]:
        return tuple(at for kind, at in self.events if kind == "fixed" and at is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """An advisory's facts for one PyPI project: where it was read, and what it affects."""

    id: str
    aliases: tuple[str, ...]
    summary: str | None
    severity: str | None  # database_specific.severity (GHSA: "HIGH"), else the first score
    file: Path
    project: NormalizedName
    ranges: tuple[AffectedRange, ...]
    versions: frozenset[Version]

    def affects(self, version: Version) -> bool:
        return version in self.versions or any(r.contains(version) for r in self.ranges)

    def fixed_for(self, version: Version) -> tuple[Version, ...]:
        """The ``fixed`` versions of the ranges that hold ``version``, lowest first."""
        found = {at for r in self.ranges if r.contains(version) for at in r.fixed if at > version}
        return tuple(sorted(found))

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "severity": self.severity,
            "file": str(self.file),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryDatabase:
    """Every advisory read, by project; ``files`` are the files read, in order."""

    files: tuple[Path, ...] = ()
    by_project: Mapping[NormalizedName, tuple[Advisory, ...]] = field(default_factory=dict)

    def affecting(self, name: NormalizedName, version: Version) -> tuple[Advisory, ...]:
        known = self.by_project.get(name, ())
        return tuple(advisory for advisory in known if advisory.affects(version))

    @property
    def count(self) -> int:
        """How many advisories (by id) name a PyPI project."""
        return len({a.id for each in self.by_project.values() for a in each})


class _BadRecord(Exception):
    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def read_advisories(paths: Sequence[Path]) -> AdvisoryDatabase:
    """Read every advisory file (a folder: its ``*.json`` files); raise ``UsageError`` (exit 2)
    for a path that does not exist and a file that is not OSV."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*.json") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise UsageError(
                f"--advisories {path}: no such file or folder",
                hint="give an OSV file, or a folder of them",
            )
    by_project: dict[NormalizedName, list[Advisory]] = {}
    for file in files:
        for advisory in _read_file(file):
            by_project.setdefault(advisory.project, []).append(advisory)
    return AdvisoryDatabase(
        files=tuple(files), by_project={k: tuple(v) for k, v in by_project.items()}
    )


def _read_file(file: Path) -> list[Advisory]:
    try:
        document = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read the advisories file {file}: {error}") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"the advisories file {file} is not JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}",
            hint=_HINT,
        ) from None
    records = document if isinstance(document, list) else [document]
    found: list[Advisory] = []
    for number, record in enumerate(records, start=1):
        try:
            found += _advisories(record, file)
        except _BadRecord as bad:
            named = record.get("id") if isinstance(record, dict) else None
            which = f"record {number}" + (f" ({named})" if isinstance(named, str) else "")
            raise UsageError(
                f"the advisories file {file} is not OSV: {which}: {bad.problem}", hint=_HINT
            ) from None
    return found


def _advisories(record: object, file: Path) -> list[Advisory]:
    if not isinstance(record, dict):
        raise _BadRecord(f"an advisory is a JSON object, not {_kind(record)}")
    ident = record.get("id")
    if not isinstance(ident, str) or not ident:
        raise _BadRecord("no id")
    aliases = _strings(record, "aliases")
    affected = record.get("affected", [])
    if not isinstance(affected, list):
        raise _BadRecord("affected is not a list")
    if record.get("withdrawn"):
        return []  # withdrawn: no longer an advisory
    found = []
    for position, entry in enumerate(affected):
        where = f"affected[{position}]"
        if not isinstance(entry, dict):
            raise _BadRecord(f"{where} is not an object")
        package = entry.get("package")
        if not isinstance(package, dict) or not isinstance(package.get("name"), str):
            raise _BadRecord(f"{where}.package has no name")
        if not isinstance(package.get("ecosystem"), str):
            raise _BadRecord(f"{where}.package has no ecosystem")
        if package["ecosystem"] != "PyPI":
            _ranges(entry, where, pypi=False)  # still checked: the whole record must be OSV
            continue
        found.append(
            Advisory(
                id=ident,
                aliases=aliases,
                summary=record.get("summary") if isinstance(record.get("summary"), str) else None,
                severity=_severity(record, entry),
                file=file,
                project=canonicalize_name(package["name"]),
                ranges=_ranges(entry, where, pypi=True),
                versions=_versions(entry, where),
            )
        )
    return found


def _strings(record: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = record.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _BadRecord(f"{key} is not a list of strings")
    return tuple(value)


def _ranges(entry: Mapping[str, Any], where: str, *, pypi: bool) -> tuple[AffectedRange, ...]:
    ranges = entry.get("ranges", [])
    if not isinstance(ranges, list):
        raise _BadRecord(f"{where}.ranges is not a list")
    found = []
    for position, each in enumerate(ranges):
        at = f"{where}.ranges[{position}]"
        if not isinstance(each, dict) or not isinstance(each.get("type"), str):
            raise _BadRecord(f"{at} has no type")
        events = each.get("events")
        if not isinstance(events, list) or not events:
            raise _BadRecord(f"{at}.events is not a non-empty list")
        parsed = [_event(event, f"{at}.events[{i}]") for i, event in enumerate(events)]
        if pypi and each["type"] == "ECOSYSTEM":
            found.append(AffectedRange(events=_in_order(parsed, at)))
    return tuple(found)


def _event(event: object, at: str) -> tuple[str, str]:
    if not isinstance(event, dict) or len(event) != 1:
        raise _BadRecord(f"{at} is not one of {{{', '.join(_EVENTS)}: VERSION}}")
    ((kind, value),) = event.items()
    if kind not in _EVENTS or not isinstance(value, str):
        raise _BadRecord(f"{at} is not one of {{{', '.join(_EVENTS)}: VERSION}}")
    return kind, value


def _in_order(events: Iterable[tuple[str, str]], at: str) -> tuple[tuple[str, Version | None], ...]:
    """The events sorted by version ("0" first), as the schema's evaluation needs them."""
    parsed: list[tuple[str, Version | None]] = []
    for kind, text in events:
        if kind == "limit":
            continue  # limits bound GIT ranges, not ecosystem versions
        if kind == "introduced" and text == "0":
            parsed.append((kind, None))
            continue
        try:
            parsed.append((kind, Version(text)))
        except InvalidVersion:
            raise _BadRecord(f"{at}: {kind} {text!r} is not a PyPI version") from None
    return tuple(sorted(parsed, key=lambda event: (event[1] is not None, event[1] or Version("0"))))


def _versions(entry: Mapping[str, Any], where: str) -> frozenset[Version]:
    listed = entry.get("versions", [])
    if not isinstance(listed, list) or not all(isinstance(item, str) for item in listed):
        raise _BadRecord(f"{where}.versions is not a list of strings")
    found = set()
    for text in listed:
        try:
            found.add(Version(text))
        except InvalidVersion:
            continue  # a legacy version string no release of today can have
    return frozenset(found)


def _severity(record: Mapping[str, Any], entry: Mapping[str, Any]) -> str | None:
    for specific in (entry.get("database_specific"), record.get("database_specific")):
        if isinstance(specific, dict) and isinstance(specific.get("severity"), str):
            return str(specific["severity"])
    scores = record.get("severity")
    if isinstance(scores, list) and scores and isinstance(scores[0], dict):
        kind, score = scores[0].get("type"), scores[0].get("score")
        if isinstance(kind, str) and isinstance(score, str):
            return f"{kind} {score}"
    return None


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )
