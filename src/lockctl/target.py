"""The environment a lock is compiled for: its Python and its platform, not the host's.

Markers (PEP 508) are evaluated against ``TargetEnvironment.markers()`` and wheels are chosen
by ``TargetEnvironment.tags()``, so a lock compiled on a laptop for a Linux container pins
what the container will install.
"""

from __future__ import annotations

import platform as host_platform
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from packaging.tags import Tag

    from lockctl.dockerfile import Stage

from lockctl.errors import UsageError

__all__ = ["PLATFORMS", "PlatformSpec", "TargetEnvironment"]

# The newest C library a target is assumed to have. glibc 2.36 is Debian 12's (the python:X.Y
# images' base before Debian 13; 13 has 2.41): a lock for 2.36 installs on both. musl 1.2 is
# every supported Alpine's (python:X.Y-alpine). macOS 14 is the oldest macOS Apple still
# updates, so a lock for it installs on every supported Mac.
_GLIBC = (2, 36)
_MUSL = (1, 2)
_MACOS = (14, 0)
# PEP 600's aliases for the PEP 513/571/599 tags, and the machines each was defined for.
_LEGACY_MANYLINUX = {
    (2, 17): (
        "manylinux2014",
        {"x86_64", "i686", "aarch64", "armv7l", "ppc64", "ppc64le", "s390x"},
    ),
    (2, 12): ("manylinux2010", {"x86_64", "i686"}),
    (2, 5): ("manylinux1", {"x86_64", "i686"}),
}


class PlatformSpec(NamedTuple):
    """A named target platform: its PEP 508 marker values and its wheel platform tags."""

    sys_platform: str
    platform_system: str
    platform_machine: str
    os_name: str
    wheel_platforms: tuple[str, ...]  # best first, in the order pip prefers them


def _manylinux(arch: str) -> Iterator[str]:
    """PEP 600: every glibc from the target's down to the oldest manylinux defined for the
    machine (2.5 on x86, 2.17 elsewhere), each legacy alias right after its 2_X tag: the
    order packaging.tags (and so pip) prefers them in."""
    oldest = 5 if arch in ("x86_64", "i686") else 17
    major, newest = _GLIBC
    for minor in range(newest, oldest - 1, -1):
        yield f"manylinux_{major}_{minor}_{arch}"
        legacy, machines = _LEGACY_MANYLINUX.get((major, minor), ("", set()))
        if arch in machines:
            yield f"{legacy}_{arch}"


def _linux(arch: str, *, musl: bool) -> tuple[str, ...]:
    """The native tag first (packaging 26.3 orders it before manylinux, pip 26.3 too), then
    PEP 600 manylinux for glibc or PEP 656 musllinux (1_Y down to 1_0) for musl."""
    if musl:
        major, newest = _MUSL
        policy = tuple(f"musllinux_{major}_{minor}_{arch}" for minor in range(newest, -1, -1))
    else:
        policy = tuple(_manylinux(arch))
    return (f"linux_{arch}", *policy)


def _macos(arch: str) -> tuple[str, ...]:
    """pip's macOS rules (packaging.tags.mac_platforms): every macOS from the target's down
    to 11 with the arch's binary formats, then 10.16 to 10.4: all formats for x86_64, and for
    arm64 only universal2 (whose x86_64 half may support a 10.x macOS)."""
    formats = {
        "arm64": ("arm64", "universal2"),
        "x86_64": ("x86_64", "intel", "fat64", "fat3", "universal2", "universal"),
    }[arch]
    older = formats if arch == "x86_64" else ("universal2",)
    return (
        *(f"macosx_{major}_0_{form}" for major in range(_MACOS[0], 10, -1) for form in formats),
        *(f"macosx_10_{minor}_{form}" for minor in range(16, 3, -1) for form in older),
    )


# Named platforms. A musl Linux is a platform of its own (not a libc option on linux_*): the
# name is what --platform, [tool.lockctl] platform and a lock's digest record, and one word
# keeps each of them a single value.
PLATFORMS: dict[str, PlatformSpec] = {
    "linux_x86_64": PlatformSpec("linux", "Linux", "x86_64", "posix", _linux("x86_64", musl=False)),
    "linux_aarch64": PlatformSpec(
        "linux", "Linux", "aarch64", "posix", _linux("aarch64", musl=False)
    ),
    "linux_x86_64_musl": PlatformSpec(
        "linux", "Linux", "x86_64", "posix", _linux("x86_64", musl=True)
    ),
    "linux_aarch64_musl": PlatformSpec(
        "linux", "Linux", "aarch64", "posix", _linux("aarch64", musl=True)
    ),
    "macos_arm64": PlatformSpec("darwin", "Darwin", "arm64", "posix", _macos("arm64")),
    "macos_x86_64": PlatformSpec("darwin", "Darwin", "x86_64", "posix", _macos("x86_64")),
    "windows_amd64": PlatformSpec("win32", "Windows", "AMD64", "nt", ("win_amd64",)),
    "windows_arm64": PlatformSpec("win32", "Windows", "ARM64", "nt", ("win_arm64",)),
}

# The official image's tags: 3.12, 3.12.4, 3.13.0rc1, each with an optional variant
# (-slim, -alpine3.20, -slim-bookworm, -windowsservercore-ltsc2022).
_PYTHON_TAG = re.compile(r"(?P<version>\d+(?:\.\d+){0,2}(?:(?:a|b|rc)\d+)?)(?:-(?P<variant>.+))?")
# docker's --platform (os/arch[/variant]) -> the machine of lockctl's platform names
_DOCKER_MACHINES = {"amd64": "x86_64", "x86_64": "x86_64", "arm64": "aarch64", "aarch64": "aarch64"}


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
    def from_dockerfile(
        cls,
        path: Path,
        *,
        platform: str | None = None,
        build_args: Mapping[str, str] | None = None,
        stage: str | None = None,
        lock_name: str | None = None,
    ) -> TargetEnvironment:
        """The Python and platform of the image the lock is installed in.

        The Dockerfile is read as ``docker build`` reads it: global ``ARG`` defaults and
        ``build_args`` substituted in ``FROM``, the stage ``stage`` names (else the one that
        installs ``lock_name`` or another requirements file, else the last), a stage built
        from an earlier one taking its image, and ``FROM --platform=`` for the machine.
        ``platform`` (the command line's) wins over what the file says.
        """
        # Imported here: the command line loads this module for --help and --version.
        from lockctl.dockerfile import ImageReference, read_dockerfile

        chosen = read_dockerfile(path).stage_for_lock(build_args or {}, stage, lock_name)
        if chosen is None:
            raise UsageError(
                f"{path} has no FROM line to take the target Python from",
                hint="pass --python-version and --platform instead of --from-dockerfile",
            )
        where = f"{path} line {chosen.line}"
        image = ImageReference.parse(chosen.image)
        match = _PYTHON_TAG.fullmatch(image.tag or "")
        if image.name != "python" or match is None or "." not in match["version"]:
            raise UsageError(
                f"{where}: cannot tell the target Python from the image {chosen.image!r} "
                "(lockctl reads it from an image python:X.Y)",
                hint="pass --python-version X.Y and --platform NAME instead of --from-dockerfile",
            )
        chosen_platform = platform or _image_platform(chosen, match["variant"] or "", where)
        try:
            return cls.create(python_version=match["version"], platform=chosen_platform)
        except UsageError as error:  # say which file and line the bad version came from
            raise UsageError(f"{where}: {error.message}", hint=error.hint) from None

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

        platforms = list(PLATFORMS[self.platform].wheel_platforms)
        major, minor = self.python_version.release[:2]
        # The ABI is given: left out, packaging reads it from the running interpreter when
        # the versions agree (a debug or free-threaded build here is not the target's).
        return [
            *cpython_tags((major, minor), abis=[f"cp{major}{minor}"], platforms=platforms),
            *compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=platforms),
        ]

    def describe(self) -> str:
        return f"Python {self.python_minor} on {self.platform}"


def _image_platform(stage: Stage, variant: str, where: str) -> str:
    """The platform a python:X.Y image runs: its ``FROM --platform`` machine (amd64 when it
    gives none, docker's default here), musl for an Alpine variant, Windows for a Windows one."""
    if variant.startswith(("windowsservercore", "nanoserver")):
        return "windows_amd64"
    machine = "x86_64"
    if stage.platform is not None:
        os_name, _, arch = stage.platform.lower().partition("/")
        arch = arch.partition("/")[0]
        if os_name != "linux" or arch not in _DOCKER_MACHINES:
            linux = sorted(a for a in _DOCKER_MACHINES if a != "x86_64")
            raise UsageError(
                f"{where}: lockctl has no target platform for --platform={stage.platform}",
                hint=f"lockctl knows linux/{', linux/'.join(linux)}; or pass --platform NAME",
            )
        machine = _DOCKER_MACHINES[arch]
    libc = "_musl" if variant.startswith("alpine") else ""
    return f"linux_{machine}{libc}"


def _host_platform() -> str:
    machine = host_platform.machine().lower()
    if sys.platform.startswith("linux"):
        arch = "aarch64" if machine in ("aarch64", "arm64") else "x86_64"
        # The interpreter's multiarch triplet names its C library (x86_64-linux-musl).
        musl = getattr(sys.implementation, "_multiarch", "").endswith("musl")
        return f"linux_{arch}_musl" if musl else f"linux_{arch}"
    if sys.platform == "darwin":
        return "macos_arm64" if machine == "arm64" else "macos_x86_64"
    return "windows_arm64" if machine == "arm64" else "windows_amd64"
