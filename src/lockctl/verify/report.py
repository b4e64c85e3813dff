"""What ``lockctl verify`` finds, as values; ``lockctl.cli.verify_cmd`` words them.

A finding has a ``kind`` and its facts, and ``to_dict`` for ``--format json``. Every kind
fails the verification except ``overridden``: a requirement that pip check complains about
because the lock overrides it on purpose (its ``# override:`` comment says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .dockerfile import Instruction
from .runtime import BuildEvent, BuildFailure

__all__ = [
    "FINDING_KINDS",
    "BuildProgress",
    "CacheCleared",
    "Phase",
    "VerifyFinding",
    "VerifyReport",
]

FindingKind = Literal[
    "missing-dependency",  # pip check: name==version requires dependency, not installed
    "conflict",  # pip check: name==version requires requirement, installed is another version
    "overridden",  # such a conflict, on a project the lock overrides: not a failure
    "unsupported",  # pip check: name==version is not supported on this platform
    "pip-check",  # a pip check line lockctl does not know (line)
    "import-failed",  # importing module of distribution failed (error: its last line)
    "not-installed",  # a pin of the lock the image does not have (name, locked)
    "version-differs",  # a pin the image has at another version (name, locked, installed)
    "extra",  # the image has it, the lock does not, and the base image did not bring it
]
FINDING_KINDS: tuple[str, ...] = FindingKind.__args__  # type: ignore[attr-defined]
_DRIFT = ("not-installed", "version-differs", "extra")


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheCleared:
    """``--clear-cache``: the volume lockctl keeps between runs, and whether it was there."""

    volume: str
    where: str  # the engine, described
    removed: bool

    def to_dict(self) -> dict[str, Any]:
        return {"volume": self.volume, "where": self.where, "removed": self.removed}


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyFinding:
    kind: FindingKind
    name: str | None = None  # the distribution the finding is about
    version: str | None = None  # its installed version
    dependency: str | None = None  # what it requires (pip check)
    requirement: str | None = None  # the requirement pip check quotes
    installed: str | None = None  # the version installed of ``dependency`` or ``name``
    locked: str | None = None  # the version the lock pins
    module: str | None = None  # import-failed: the module
    error: str | None = None  # import-failed: the error's last line
    override: str | None = None  # overridden: the override requirement, as the lock says
    line: str | None = None  # pip check's own line

    @property
    def fails(self) -> bool:
        return self.kind != "overridden"

    @property
    def drift(self) -> bool:
        return self.kind in _DRIFT

    def to_dict(self) -> dict[str, Any]:
        facts: dict[str, Any] = {"kind": self.kind}
        for key in (
            "name",
            "version",
            "dependency",
            "requirement",
            "installed",
            "locked",
            "module",
            "error",
            "override",
            "line",
        ):
            value = getattr(self, key)
            if value is not None:
                facts[key] = value
        return facts


@dataclass(frozen=True, slots=True, kw_only=True)
class Phase:
    """Progress, for the CLI: a lock's verification has reached ``kind``."""

    kind: Literal["build", "base", "probe"]
    lock: Path
    subject: str  # the image or environment being built or looked at


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildProgress:
    """A build step or output line of one lock's sandbox: locks build in parallel, so each
    event names its lock."""

    lock: Path
    event: BuildEvent


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyReport:
    """One lock's verification."""

    lock: Path
    mode: Literal["lock-only", "project"]
    sandbox: Literal["container", "venv"]
    where: str  # the sandbox, described (the engine's address and where it came from)
    base_image: str | None = None
    dockerfile: Path | None = None
    python: str | None = None  # the Python in the sandbox
    pins: int = 0
    installed: int = 0
    imports_checked: int = 0
    findings: tuple[VerifyFinding, ...] = ()
    build_failure: BuildFailure | None = None
    failed_instruction: Instruction | None = None  # the project Dockerfile's failing line
    install_lines: tuple[Instruction, ...] = ()  # the project Dockerfile's, quoted on drift
    kept: str | None = None  # --keep: the image tag (or folder)
    leftovers: tuple[str, ...] = ()  # what cleanup could not remove
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.build_failure is None and not any(f.fails for f in self.findings)

    @property
    def drift(self) -> tuple[VerifyFinding, ...]:
        return tuple(f for f in self.findings if f.drift)

    def to_dict(self) -> dict[str, Any]:
        return {
            "lock": str(self.lock),
            "ok": self.ok,
            "mode": self.mode,
            "sandbox": self.sandbox,
            "where": self.where,
            "base_image": self.base_image,
            "dockerfile": str(self.dockerfile) if self.dockerfile is not None else None,
            "python": self.python,
            "pins": self.pins,
            "installed": self.installed,
            "imports_checked": self.imports_checked,
            "findings": [finding.to_dict() for finding in self.findings],
            "build_failure": self.build_failure.to_dict() if self.build_failure else None,
            "failed_instruction": (
                self.failed_instruction.to_dict() if self.failed_instruction else None
            ),
            "install_lines": [line.to_dict() for line in self.install_lines],
            "kept": self.kept,
            "leftovers": list(self.leftovers),
            "notes": list(self.notes),
        }
