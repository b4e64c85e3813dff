"""The environment a lock is compiled for: its Python and its platform, not the host's.

Markers (PEP 508) are evaluated against ``TargetEnvironment.markers()`` and wheels are chosen
by ``TargetEnvironment.tags()``, so a lock compiled on a laptop for a Linux container pins
what the container will install.
"""

from __future__ import annotations

import platform as host_platform
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from packaging.tags import Tag

from lockctl.errors import UsageError

__all__ = ["PLATFORMS", "TargetEnvironment"]

# name -> (sys_platform, platform_system, platform_machine, os_name, wheel platform tags best first)
_MANYLINUX = tuple(f"manylinux_2_{minor}" for minor in range(36, 16, -1))
PLATFORMS: dict[str, tuple[str, str, str, str, tuple[str, ...]]] = {
    "linux_x86_64": (
        "linux",
        "Linux",
        "x86_64",
        "posix",
        (
            *(f"{m}_x86_64" for m in _MANYLINUX),
            "manylinux2014_x86_64",
            "manylinux2010_x86_64",
            "manylinux1_x86_64",
            "linux_x86_64",
        ),
    ),
    "linux_aarch64": (
        "linux",
        "Linux",
        "aarch64",
        "posix",
        (*(f"{m}_aarch64" for m in _MANYLINUX), "manylinux2014_aarch64", "linux_aarch64"),
    ),
    "macos_arm64": (
        "darwin",
        "Darwin",
        "arm64",
        "posix",
        tuple(
            f"macosx_{major}_0_{arch}"
            for major in range(14, 10, -1)
            for arch in ("arm64", "universal2")
        ),
    ),
    "macos_x86_64": (
        "darwin",
        "Darwin",
        "x86_64",
        "posix",
        tuple(
            f"macosx_{major}_{minor}_{arch}"
            for major, minor in [(14, 0), (13, 0), (12, 0), (11, 0)]
            + [(10, m) for m in range(15, 8, -1)]
            for arch in ("x86_64", "universal2", "intel")
        ),
    ),
    "windows_amd64": ("win32", "Windows", "AMD64", "nt", ("win_amd64",)),
}

_FROM_PYTHON = re.compile(
    # [ \t]*, not \s*: \s crosses line ends, and each blank line of a run would re-read the
    # rest of the run (quadratic on a Dockerfile of many blank lines).
    r"^[ \t]*FROM[ \t]+(?:--platform=(?P<platform>\S+)[ \t]+)?(?:\S+/)?"
    r"python:(?P<version>\d+\.\d+(?:\.\d+)?)",
    re.IGNORECASE | re.MULTILINE,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetEnvironment:
    python_version: Version  # at least major.minor; a missing micro counts as .0 for markers
    platform: str  # a key of PLATFORMS

    @classmethod
    def create(
        cls, *, python_version: str | None = None, platform: str | None = None
    ) -> TargetEnvironment:
        """From user text (CLI or config); None means "the machine lockctl runs on"."""
        if python_version is not None and not python_version.strip():
            # An unset shell variable ("--python-version $PY") must not mean this machine's.
            raise UsageError(
                "the Python version is empty", hint="write it as 3.11, or leave the option out"
            )
        version_text = python_version or host_platform.python_version()
        try:
            version = Version(version_text)
        except InvalidVersion:
            raise UsageError(
                f"{version_text!r} is not a Python version", hint="write it as 3.11 or 3.11.9"
            ) from None
        if len(version.release) < 2 or version.release[0] != 3:
            raise UsageError(f"{version_text!r} is not a Python 3 version", hint="e.g. 3.11")
        chosen = platform or _host_platform()
        if chosen not in PLATFORMS:
            raise UsageError(
                f"unknown platform {chosen!r}", hint=f"one of: {', '.join(sorted(PLATFORMS))}"
            )
        return cls(python_version=version, platform=chosen)

    @classmethod
    def from_dockerfile(cls, path: Path, *, platform: str | None = None) -> TargetEnvironment:
        """The Python of the first ``FROM python:X.Y...`` line; Linux, the image's machine."""
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror}") from None
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise UsageError(
                f"cannot read {path}: line {line} is not UTF-8 text",
                hint="save the Dockerfile as UTF-8, or pass --python-version and --platform",
            ) from None
        match = _FROM_PYTHON.search(text)
        if match is None:
            raise UsageError(
                f"{path} has no 'FROM python:X.Y' line to take the target Python from",
                hint="pass --python-version and --platform instead",
            )
        docker_platform = match["platform"] or ""
        arch = "linux_aarch64" if docker_platform.endswith(("arm64", "aarch64")) else "linux_x86_64"
        try:
            return cls.create(python_version=match["version"], platform=platform or arch)
        except UsageError as error:  # say which file the bad version came from
            line = text[: match.start()].count("\n") + 1
            raise UsageError(f"{path} line {line}: {error.message}", hint=error.hint) from None

    @property
    def python_full_version(self) -> str:
        release = (*self.python_version.release, 0, 0)[:3]
        return ".".join(str(part) for part in release)

    @property
    def python_minor(self) -> str:
        major, minor = self.python_version.release[:2]
        return f"{major}.{minor}"

    def markers(self) -> dict[str, str]:
        """PEP 508 marker variables for CPython on the target platform."""
        sys_platform, system, machine, os_name, _ = PLATFORMS[self.platform]
        return {
            "implementation_name": "cpython",
            "implementation_version": self.python_full_version,
            "os_name": os_name,
            "platform_machine": machine,
            "platform_python_implementation": "CPython",
            "platform_release": "",
            "platform_system": system,
            "platform_version": "",
            "python_full_version": self.python_full_version,
            "python_version": self.python_minor,
            "sys_platform": sys_platform,
        }

    def tags(self) -> list[Tag]:
        """Wheel tags the target accepts, best first (the order pip prefers them in)."""
        # Imported here: only resolving needs packaging.tags (and the logging it imports),
        # and every start of the command line would pay for it (benchmarks/startup.py).
        from packaging.tags import compatible_tags, cpython_tags

        platforms = list(PLATFORMS[self.platform][4])
        major, minor = self.python_version.release[:2]
        return [
            *cpython_tags((major, minor), platforms=platforms),
            *compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=platforms),
        ]

    def describe(self) -> str:
        return f"Python {self.python_minor} on {self.platform}"


def _host_platform() -> str:
    machine = host_platform.machine().lower()
    if sys.platform.startswith("linux"):
        return "linux_aarch64" if machine in ("aarch64", "arm64") else "linux_x86_64"
    if sys.platform == "darwin":
        return "macos_arm64" if machine == "arm64" else "macos_x86_64"
    return "windows_amd64"
