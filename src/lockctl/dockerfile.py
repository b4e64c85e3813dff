"""A Dockerfile as it is written: its instructions and stages, and the ``ARG`` values in ``FROM``.

The instructions keep their line numbers (continuations joined, comments dropped, as the
Dockerfile reference describes); the stages' ``FROM`` images have ``ARG`` values substituted
(``ARG BASE_IMAGE=python:3.11-slim`` / ``FROM ${BASE_IMAGE}``, overridden by ``--build-arg``).
``compile --from-dockerfile`` reads the target from it and ``verify`` the images and the
``RUN`` lines that install packages, so both share this one reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.errors import UsageError

__all__ = ["Dockerfile", "Instruction", "Stage", "read_dockerfile"]

_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::(?P<op>[-+])(?P<word>[^}]*))?\}|(?P<bare>\w+))")
_INSTALLS = re.compile(
    r"(?:\bpip[\d.]*|\bpython[\d.]*\s+-m\s+pip|\buv\s+pip)\s+install\b"
    r"|\bpip-sync\b|\buv\s+sync\b|\bpoetry\s+install\b|\bpipenv\s+(?:install|sync)\b"
    r"|\b(?:conda|mamba|micromamba)\s+install\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Instruction:
    keyword: str  # upper case: RUN, FROM, ...
    arguments: str  # the rest of the logical line, continuations joined
    line: int  # 1-based, where it starts
    text: str  # as written, on one or more lines

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text}


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    image: str  # after ARG substitution
    name: str | None
    line: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Dockerfile:
    path: Path
    instructions: tuple[Instruction, ...]

    def stages(self, build_args: Mapping[str, str]) -> tuple[Stage, ...]:
        """Every ``FROM``, with the global ``ARG`` defaults and ``build_args`` substituted."""
        values: dict[str, str] = {}
        stages: list[Stage] = []
        for instruction in self.instructions:
            if instruction.keyword == "ARG" and not stages:
                variable, _, default = instruction.arguments.strip().partition("=")
                variable = variable.strip()
                values[variable] = build_args.get(variable, default.strip().strip('"'))
            elif instruction.keyword == "FROM":
                words = [w for w in instruction.arguments.split() if not w.startswith("--")]
                alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
                image = _substitute(words[0], values) if words else ""
                stages.append(Stage(image=image, name=alias, line=instruction.line))
        return tuple(stages)

    def chosen_stages(self, build_args: Mapping[str, str], target: str | None) -> tuple[Stage, ...]:
        """The stages up to ``target`` (all of them without one); UsageError if unknown."""
        stages = self.stages(build_args)
        if target is None:
            return stages
        for index, stage in enumerate(stages):
            if stage.name is not None and stage.name.lower() == target.lower():
                return stages[: index + 1]
        names = ", ".join(s.name for s in stages if s.name) or "none"
        raise UsageError(f"{self.path} has no stage named {target!r} (stages: {names})")

    def base_image(self, build_args: Mapping[str, str], target: str | None) -> str | None:
        """The image the built stage starts from, following ``FROM earlier-stage``."""
        stages = self.chosen_stages(build_args, target)
        if not stages:
            return None
        image = stages[-1].image
        by_name = {s.name.lower(): s for s in stages if s.name}
        for _ in stages:
            earlier = by_name.get(image.lower())
            if earlier is None:
                return image
            image = earlier.image
        return image

    def external_images(self, build_args: Mapping[str, str], target: str | None) -> tuple[str, ...]:
        """The images the build starts from (not its own stages, not ``scratch``)."""
        stages = self.chosen_stages(build_args, target)
        names = {s.name.lower() for s in stages if s.name}
        found = [s.image for s in stages if s.image and s.image.lower() not in names | {"scratch"}]
        return tuple(dict.fromkeys(found))

    def find(self, instruction: str) -> Instruction | None:
        """The instruction a build step names (the builder joins continuation lines)."""
        wanted = " ".join(instruction.split()).lower()
        for candidate in self.instructions:
            if " ".join(f"{candidate.keyword} {candidate.arguments}".split()).lower() == wanted:
                return candidate
        return None

    def install_lines(self) -> tuple[Instruction, ...]:
        """The RUN instructions that install packages (pip, uv, pip-sync, poetry, conda)."""
        return tuple(
            i for i in self.instructions if i.keyword == "RUN" and _INSTALLS.search(i.arguments)
        )


def read_dockerfile(path: Path) -> Dockerfile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"Dockerfile not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory, not a Dockerfile") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise UsageError(f"cannot read {path}: line {line} is not UTF-8 text") from None
    return Dockerfile(path=path, instructions=tuple(_instructions(text)))


def _instructions(text: str) -> list[Instruction]:
    """Logical instructions: a line ending in a backslash continues on the next one, and
    comment lines inside a continuation are dropped (the Dockerfile reference)."""
    found: list[Instruction] = []
    start: int | None = None
    parts: list[str] = []
    written: list[str] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if start is None and (not stripped or stripped.startswith("#")):
            continue
        if start is not None and stripped.startswith("#"):
            written.append(raw)
            continue
        if start is None:
            start = number
        written.append(raw)
        continued = stripped.endswith("\\")
        parts.append(stripped[:-1].strip() if continued else stripped)
        if not continued:
            found.append(_instruction(" ".join(p for p in parts if p), start, written))
            start, parts, written = None, [], []
    if start is not None:
        found.append(_instruction(" ".join(p for p in parts if p), start, written))
    return found


def _instruction(logical: str, line: int, written: list[str]) -> Instruction:
    keyword, _, arguments = logical.partition(" ")
    return Instruction(
        keyword=keyword.upper(), arguments=arguments.strip(), line=line, text="\n".join(written)
    )


def _substitute(word: str, values: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match["braced"] or match["bare"]
        value = values.get(name, "")
        if match["op"] == "-":
            return value or match["word"]
        if match["op"] == "+":
            return match["word"] if value else ""
        return value

    return _VARIABLE.sub(replace, word)
