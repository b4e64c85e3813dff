"""A Dockerfile as it is written: its instructions and stages, and the ``ARG`` values in ``FROM``.

The instructions keep their line numbers (continuations joined, comments dropped, as the
Dockerfile reference describes); the stages' ``FROM`` images have ``ARG`` values substituted
(``ARG BASE_IMAGE=python:3.11-slim`` / ``FROM ${BASE_IMAGE}``, overridden by ``--build-arg``).
``compile --from-dockerfile`` reads the target from it and ``verify`` the images and the
``RUN`` lines that install packages, so both share this one reader.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.errors import UsageError

__all__ = ["Dockerfile", "ImageReference", "Instruction", "Stage", "read_dockerfile"]

_VARIABLE = re.compile(r"\$(?:\{(?P<braced>\w+)(?::(?P<op>[-+])(?P<word>[^}]*))?\}|(?P<bare>\w+))")
_INSTALLS = re.compile(
    r"(?:\bpip[\d.]*|\bpython[\d.]*\s+-m\s+pip|\buv\s+pip)\s+install\b"
    r"|\bpip-sync\b|\buv\s+sync\b|\bpoetry\s+install\b|\bpipenv\s+(?:install|sync)\b"
    r"|\b(?:conda|mamba|micromamba)\s+install\b",
    re.IGNORECASE,
)
# The requirements file an install line reads: pip's -r/--requirement (also -rFILE and
# --requirement=FILE), or the positional files of pip-sync and uv pip sync.
_REQUIREMENT_OPTION = re.compile(r"(?:^|\s)(?:-r\s*|--requirement[\s=]+)(?P<file>[^\s;&|]+)")
_SYNC_FILES = re.compile(r"\b(?:pip-sync|uv\s+pip\s+sync)\b(?P<rest>[^;&|]*)")


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
    platform: str | None = None  # FROM --platform=..., after ARG substitution


@dataclass(frozen=True, slots=True, kw_only=True)
class ImageReference:
    """An image reference split as the Docker reference grammar has it:
    ``[registry[:port]/][path/]name[:tag][@digest]`` (distribution/reference)."""

    repository: str  # registry and path included: docker.io/library/python
    tag: str | None
    digest: str | None

    @property
    def name(self) -> str:
        """The last path component: ``python`` for every registry's copy of the image."""
        return self.repository.rpartition("/")[2]

    @classmethod
    def parse(cls, text: str) -> ImageReference:
        reference, _, digest = text.partition("@")
        # A colon after the last slash starts the tag; one before it is a registry's port.
        slash = reference.rfind("/")
        colon = reference.rfind(":")
        if colon > slash:
            return cls(
                repository=reference[:colon], tag=reference[colon + 1 :], digest=digest or None
            )
        return cls(repository=reference, tag=None, digest=digest or None)


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
                stages.append(_stage(instruction, values))
        return tuple(stages)

    def stage_for_lock(
        self, build_args: Mapping[str, str], target: str | None, lock_name: str | None = None
    ) -> Stage | None:
        """The stage whose Python the lock is for, with the image it really starts from.

        ``target`` (``docker build --target``) chooses; else the stage that installs the lock
        (a ``RUN pip install -r LOCK``), else one that installs any requirements file, else
        the final stage. A stage built ``FROM`` an earlier stage's name runs that stage's
        image, as ``docker build`` does; its own ``--platform`` is kept if it gives one.
        """
        stages = self.chosen_stages(build_args, target)
        if not stages:
            return None
        chosen = stages[-1]
        if target is None:
            chosen = self._installing_stage(stages, lock_name) or chosen
        by_name = {s.name.lower(): s for s in stages if s.name}
        for _ in stages:  # bounded: a cycle of names cannot loop forever
            earlier = by_name.get(chosen.image.lower())
            if earlier is None or earlier.line >= chosen.line:
                break
            chosen = Stage(
                image=earlier.image,
                name=chosen.name,
                line=earlier.line,
                platform=chosen.platform or earlier.platform,
            )
        return chosen

    def _installing_stage(self, stages: Sequence[Stage], lock_name: str | None) -> Stage | None:
        found: list[tuple[bool, Stage]] = []
        starts = [s.line for s in stages]
        for instruction in self.install_lines():
            files = _requirement_files(instruction.arguments)
            if not files:
                continue
            index = sum(1 for line in starts if line < instruction.line) - 1
            if index < 0:
                continue
            names_lock = lock_name is not None and any(Path(f).name == lock_name for f in files)
            found.append((names_lock, stages[index]))
        for wanted in (True, False):
            matching = [stage for names_lock, stage in found if names_lock is wanted]
            if matching:
                return matching[-1]
        return None

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


def _stage(instruction: Instruction, values: Mapping[str, str]) -> Stage:
    """``FROM [--platform=P] IMAGE [AS NAME]``, with the global ARG values substituted."""
    platform: str | None = None
    words: list[str] = []
    for word in instruction.arguments.split():
        if word.lower().startswith("--platform="):
            platform = _substitute(word.partition("=")[2], values) or None
        elif not word.startswith("--"):
            words.append(word)
    alias = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
    image = _substitute(words[0], values) if words else ""
    return Stage(image=image, name=alias, line=instruction.line, platform=platform)


def _requirement_files(arguments: str) -> list[str]:
    """The requirements files an install line reads (quotes dropped)."""
    files = [m["file"] for m in _REQUIREMENT_OPTION.finditer(arguments)]
    for sync in _SYNC_FILES.finditer(arguments):
        files += [w for w in sync["rest"].split() if not w.startswith("-")]
    return [f.strip("'\"") for f in files]


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
