"""What decided a lock, as digests: written into the lock by compile, compared by check.

A light module: it reads parsed requirement files and lock pins, never the resolver or the
index, so ``lockctl check`` answers offline and at once. The line's format is
``lockctl.lockfiles.digest``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lockctl.lockfiles.digest import LockDigest, digest_of
from lockctl.lockfiles.reader import LockedDirectPin, LockedPin
from lockctl.reqfile import IncludeEntry, OptionEntry, RequirementEntry, RequirementsFile
from lockctl.target import TargetEnvironment

__all__ = ["InputState", "input_files", "input_state", "lock_digest", "pins_digest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class InputState:
    """The digests of everything but the pins, for one lock."""

    target: str
    overrides: str
    options: str
    files: tuple[tuple[str, str], ...]  # (path relative to the lock's folder, digest)

    @property
    def inputs(self) -> str:
        return digest_of(
            [self.target, self.overrides, self.options, *(f"{p}:{d}" for p, d in self.files)]
        )


def input_state(
    files: Sequence[RequirementsFile],
    *,
    lock: Path,
    overrides: Iterable[str],
    target: TargetEnvironment,
    pre: bool,
) -> InputState:
    return InputState(
        target=f"{target.python_minor}/{target.platform}",
        overrides=digest_of(sorted(set(overrides))),
        options=digest_of([f"pre={pre}"]),
        files=tuple(
            (name, digest_of(_meaningful_lines(parsed), length=12))
            for name, parsed in input_files(files, lock=lock).items()
        ),
    )


def input_files(files: Sequence[RequirementsFile], *, lock: Path) -> dict[str, RequirementsFile]:
    """Every file of the include graph, first seen first, by its path from the lock's folder."""
    folder = lock.absolute().parent
    named: dict[str, RequirementsFile] = {}
    for parsed in _every_file(files):
        name = Path(os.path.relpath(parsed.path.absolute(), folder)).as_posix()
        named.setdefault(name, parsed)
    return named


def pins_digest(
    pins: Iterable[LockedPin],
    unpinned: Iterable[RequirementEntry] = (),
    direct: Iterable[LockedDirectPin] = (),
) -> str:
    """Name, version and hashes of every pin, in name order: what a hand edit changes.

    ``direct`` (``name @ URL``) and ``unpinned`` (``-e``, ...) are the lock's other
    requirement lines: they have no ``==`` version, so their text stands for them, after the
    pins; a lock without any has the digest ``lockfiles.quickscan`` computes.
    """
    lines = [
        f"{pin.name}=={pin.version} {' '.join(sorted(pin.hashes))}".rstrip()
        for pin in sorted(pins, key=lambda pin: pin.name)
    ]
    others = [
        f"{entry.editable_target if entry.editable else entry.requirement} "
        f"{' '.join(sorted(entry.hashes))}".rstrip()
        for entry in unpinned
    ]
    others += [f"{pin.requirement} {' '.join(sorted(pin.hashes))}".rstrip() for pin in direct]
    return digest_of([*lines, *sorted(others)])


def lock_digest(state: InputState, pins: str) -> LockDigest:
    """The digest line's values: ``state`` and the digest of the pins as written."""
    return LockDigest(
        target=state.target,
        inputs=state.inputs,
        overrides=state.overrides,
        options=state.options,
        pins=pins,
        files=state.files,
    )


def _every_file(files: Sequence[RequirementsFile]) -> Iterator[RequirementsFile]:
    for parsed in files:
        yield parsed
        for entry in parsed.entries:
            if isinstance(entry, IncludeEntry):
                yield from _every_file([entry.file])


def _meaningful_lines(parsed: RequirementsFile) -> Iterator[str]:
    """The lines that change a resolution, normalised: no comments, blank lines or spacing."""
    for entry in parsed.entries:
        if isinstance(entry, RequirementEntry):
            what = str(entry.requirement) if entry.requirement else str(entry.editable_target)
            what = f"-e {what}" if entry.editable else what
            options = " ".join(f"{name}={value}" for name, value in entry.options)
            yield f"req {what} {' '.join(sorted(entry.hashes))} {options}".rstrip()
        elif isinstance(entry, OptionEntry):
            yield f"opt {entry.name} {entry.value or ''}".rstrip()
        elif isinstance(entry, IncludeEntry):
            yield f"inc {entry.kind} {entry.target}"
