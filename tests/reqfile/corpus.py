"""Load the data cases of cases/*.json and describe parse results as plain data to compare.

A case is ``{"id", "files": {name: text}, "main"?, "environ"?, "encoding"?, "modes"?}`` plus
what to expect: ``entries`` (the main file's entries), ``requirements`` (from
``iter_requirements(constraints=True)``), ``plain_requirements`` (``constraints=False``),
``options`` (``iter_options()``), or ``error``. Expected dicts name only the facts they
check; ``{root}`` in an expected string stands for the directory the files are written to.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.errors import IncludeError, RequirementsFileError
from lockctl.reqfile import (
    BlankEntry,
    CommentEntry,
    Entry,
    IncludeEntry,
    Located,
    OptionEntry,
    RequirementEntry,
    RequirementsFile,
    RequirementsFileErrors,
    parse_file,
    parse_text,
)

__all__ = ["CASES_DIR", "Case", "describe_entry", "describe_error", "describe_located", "load"]

CASES_DIR = Path(__file__).parent / "cases"


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    data: Mapping[str, Any]

    @property
    def files(self) -> dict[str, str]:
        files: dict[str, str] = self.data["files"]
        return files

    @property
    def main(self) -> str:
        main: str = self.data.get("main", next(iter(self.files)))
        return main

    @property
    def modes(self) -> tuple[str, ...]:
        return tuple(self.data.get("modes", ("file", "text")))

    @property
    def is_error(self) -> bool:
        return "error" in self.data

    def write(self, root: Path) -> None:
        encoding: str = self.data.get("encoding", "utf-8")
        for name, text in self.files.items():
            target = root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            # newline="" so "\r\n" in the case reaches the disk unchanged.
            with target.open("w", encoding=encoding, newline="") as handle:
                handle.write(text)

    def environ(self, root: Path) -> dict[str, str]:
        environ: dict[str, str] = dict(self.data.get("environ", {}))
        environ["CASE_ROOT"] = root.as_posix()
        return environ

    def parse(self, root: Path, mode: str) -> RequirementsFile:
        self.write(root)
        if mode == "file":
            return parse_file(root / self.main, environ=self.environ(root))
        return parse_text(self.files[self.main], path=root / self.main, environ=self.environ(root))

    def expected(self, key: str, root: Path) -> Any:
        return _substitute(self.data[key], root)


def load() -> Iterator[Case]:
    seen: set[str] = set()
    for path in sorted(CASES_DIR.glob("*.json")):
        for data in json.loads(path.read_text(encoding="utf-8")):
            case_id = f"{path.stem}/{data['id']}"
            assert case_id not in seen, f"duplicate case id {case_id}"
            seen.add(case_id)
            yield Case(id=case_id, data=data)


def _substitute(value: Any, root: Path) -> Any:
    if isinstance(value, str):
        return value.replace("{root}", root.as_posix())
    if isinstance(value, list):
        return [_substitute(item, root) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, root) for key, item in value.items()}
    return value


def relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix()


def describe_entry(entry: Entry, root: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {
        "line": entry.source.line,
        "end_line": entry.source.end_line,
        "text": entry.source.text,
        "comment": entry.comment,
    }
    if isinstance(entry, RequirementEntry):
        req = entry.requirement
        facts |= {
            "kind": "requirement",
            "name": entry.name,
            "specifier": None if req is None else str(req.specifier),
            "extras": None if req is None else sorted(req.extras),
            "marker": None if req is None or req.marker is None else str(req.marker),
            "url": None if req is None else req.url,
            "hashes": list(entry.hashes),
            "options": [list(option) for option in entry.options],
            "editable": entry.editable,
            "editable_target": entry.editable_target,
        }
    elif isinstance(entry, OptionEntry):
        facts |= {
            "kind": "option",
            "option": entry.name,
            "value": entry.value,
            "url": None if entry.url is None else str(entry.url),
            "url_secret": None if entry.url is None else entry.url.secret,
        }
    elif isinstance(entry, IncludeEntry):
        facts |= {
            "kind": "include",
            "include_kind": entry.kind,
            "target": entry.target,
            "path": relative(entry.path, root),
        }
    elif isinstance(entry, CommentEntry):
        facts["kind"] = "comment"
    elif isinstance(entry, BlankEntry):
        facts["kind"] = "blank"
    return facts


def describe_located(
    located: Located[RequirementEntry] | Located[OptionEntry], root: Path
) -> dict[str, Any]:
    facts = describe_entry(located.entry, root)
    facts |= {
        "file": relative(located.entry.source.path, root),
        "via": [[relative(line.path, root), line.line] for line in located.via],
        "constraint": located.constraint,
    }
    return facts


def describe_error(error: BaseException, root: Path) -> dict[str, Any]:
    facts: dict[str, Any] = {"class": type(error).__name__}
    if isinstance(error, RequirementsFileErrors):
        facts["errors"] = [describe_error(inner, root) for inner in error.errors]
        return facts
    if isinstance(error, (RequirementsFileError, IncludeError)):
        facts["message"] = error.message
        span = error.span
        if span is not None:
            facts |= {
                "file": relative(span.path, root),
                "line": span.line,
                "column": span.column,
                "length": span.length,
                "text": span.text,
            }
    if isinstance(error, RequirementsFileError):
        facts["hint"] = error.hint
    if isinstance(error, IncludeError):
        facts["path"] = relative(error.path, root)
        facts["chain"] = [relative(path, root) for path in error.chain]
    return facts
