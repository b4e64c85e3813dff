"""Turn ``.in`` files, ``--override`` texts and override files into root requirements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName

from lockctl.errors import RequirementsFileError, UsageError
from lockctl.reqfile import IncludeEntry, RequirementsFile, parse_file
from lockctl.resolver import Origin, RootRequirement

__all__ = ["CompileInputs", "included_files", "parse_overrides", "read_inputs"]


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileInputs:
    files: tuple[RequirementsFile, ...]
    roots: tuple[RootRequirement, ...]  # requirements and -c constraints, in file order
    pre: bool  # a --pre line in any input file


def read_inputs(paths: Sequence[Path], constraints: Sequence[Path] = ()) -> CompileInputs:
    """The requirements of ``paths`` and, as constraints, of ``constraints`` (``-c FILE`` on
    the command line: pip-compile reads them as pip's ``-c``, so the lock says ``# via -c
    FILE`` as it does for a ``-c`` line inside an input)."""
    files = tuple(parse_file(path) for path in paths)
    constraint_files = tuple(parse_file(path) for path in constraints)
    roots: list[RootRequirement] = []
    tagged = [(parsed, False) for parsed in files] + [(p, True) for p in constraint_files]
    for parsed, as_constraint in tagged:
        for located in parsed.iter_requirements(constraints=True):
            entry = located.entry
            if entry.requirement is None or entry.editable:
                raise RequirementsFileError(
                    "editable requirements cannot be compiled yet",
                    span=entry.source.span(),
                    hint="list the project's own dependencies instead, or pin it by name",
                )
            roots.append(
                RootRequirement(
                    requirement=entry.requirement,
                    origin=Origin(line=entry.source, via=located.via),
                    kind="constraint" if as_constraint or located.constraint else "requirement",
                )
            )
    files += constraint_files  # their options count, and check's digest covers them
    pre = any(located.entry.name == "pre" for parsed in files for located in parsed.iter_options())
    return CompileInputs(files=files, roots=tuple(roots), pre=pre)


def parse_overrides(texts: Iterable[str], files: Iterable[Path]) -> tuple[RootRequirement, ...]:
    """``--override`` texts and the requirements of ``--override-file`` files, validated.

    Two overrides that pin the same project to different exact versions can never both hold:
    that is a usage error, reported before any resolution starts.
    """
    overrides: list[RootRequirement] = []
    for text in texts:
        try:
            requirement = Requirement(text)
        except InvalidRequirement as exc:
            raise UsageError(
                f"--override {text!r} is not a valid requirement: {str(exc).splitlines()[0]}",
                hint="write it as in a requirements file, for example 'rich>=13.9.4'",
            ) from None
        overrides.append(
            RootRequirement(requirement=requirement, origin=Origin(line=None), kind="override")
        )
    for path in files:
        for located in parse_file(path).iter_requirements():
            entry = located.entry
            if entry.requirement is None:
                raise RequirementsFileError(
                    "an override needs a project name", span=entry.source.span()
                )
            overrides.append(
                RootRequirement(
                    requirement=entry.requirement,
                    origin=Origin(line=entry.source, via=located.via),
                    kind="override",
                )
            )
    _reject_contradictions(overrides)
    return tuple(overrides)


def _reject_contradictions(overrides: Sequence[RootRequirement]) -> None:
    exact: dict[NormalizedName, RootRequirement] = {}
    for override in overrides:
        pins = [s.version for s in override.requirement.specifier if s.operator in ("==", "===")]
        if len(pins) != 1 or override.requirement.marker is not None:
            continue
        earlier = exact.setdefault(override.name, override)
        if earlier is not override and str(earlier.requirement.specifier) != str(
            override.requirement.specifier
        ):
            raise UsageError(
                f"conflicting overrides for {override.name}: {earlier.requirement} "
                f"({earlier.origin.describe()}) and {override.requirement} "
                f"({override.origin.describe()})",
                hint="keep one of them",
            )


def included_files(parsed: RequirementsFile) -> Iterator[Path]:
    """The file and every file it includes with ``-r``/``-c``, depth first, as named."""
    yield parsed.path
    for entry in parsed.entries:
        if isinstance(entry, IncludeEntry):
            yield from included_files(entry.file)
