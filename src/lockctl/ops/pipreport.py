"""Ask the real pip what it installs from a lock: ``pip install --dry-run --report``.

pip runs as a program, never imported (its ``_internal`` API breaks between releases), for
the target rather than for this machine: ``--python-version``, every ``--platform`` tag the
target accepts, ``--implementation cp``, ``--abi`` and ``--only-binary=:all:``, so no
interpreter of the target is needed. ``--dry-run --ignore-installed --target`` keeps it from
touching any environment; ``--report`` (pip's documented installation report, version 1)
says what it would install. pip adds what a lock forgot and refuses a lock that contradicts
itself: a refusal is a finding (``PipOutcome.error``), while pip missing or crashing is a
``ToolFailure``.

``PipDryRun`` starts pip in the background, so it works while lockctl resolves; leaving the
``with`` block ends a pip that is still running.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.errors import ToolFailure
from lockctl.index import IndexSettings
from lockctl.target import PLATFORMS, TargetEnvironment
from lockctl.urls import redact_text

__all__ = ["PIP", "PipDryRun", "PipOutcome", "PipPackage", "pip_install_argv"]

PIP: tuple[str, ...] = (sys.executable, "-m", "pip")  # the pip of the interpreter lockctl runs on
_ERROR_LINES = 20  # of a refusal: pip's explanation is a few lines; its progress is not wanted
_FAILURE_LINES = 10
_EXIT_ERROR = 1  # pip's ERROR status: what a resolution failure exits with (2 is a crash)


@dataclass(frozen=True, slots=True, kw_only=True)
class PipPackage:
    """One entry of the report's ``install`` list."""

    name: NormalizedName
    version: Version
    requested: bool  # named in the lock (as opposed to added by pip)
    requires_dist: tuple[Requirement, ...] = ()  # markers not evaluated


@dataclass(frozen=True, slots=True, kw_only=True)
class PipOutcome:
    """What pip did with the lock: the packages it would install, or why it refused.

    ``command`` is the command as shown to people (credentials redacted); ``environment``
    the marker environment pip reported, for evaluating ``requires_dist``.
    """

    command: tuple[str, ...]
    packages: tuple[PipPackage, ...] = ()
    error: tuple[str, ...] = ()  # pip's own last error lines, when it cannot install the lock
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error

    def versions(self) -> dict[NormalizedName, Version]:
        return {package.name: package.version for package in self.packages}

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "command": list(self.command),
            "error": list(self.error),
            "install": [
                {"name": p.name, "version": str(p.version), "requested": p.requested}
                for p in self.packages
            ],
        }


def pip_install_argv(
    lock: Path,
    target: TargetEnvironment,
    settings: IndexSettings,
    *,
    report: Path,
    scratch: Path,
    pip: Sequence[str] = PIP,
    secret: bool = True,
) -> list[str]:
    """The pip command; ``secret=False`` gives the form to show (credentials redacted)."""
    major, minor = target.python_version.release[:2]
    argv = [*pip, "install", "--dry-run", "--ignore-installed", "--report", str(report)]
    argv += ["--python-version", str(target.python_version)]
    for tag in PLATFORMS[target.platform][4]:
        argv += ["--platform", tag]
    argv += ["--implementation", "cp", "--abi", f"cp{major}{minor}", "--only-binary=:all:"]
    argv += ["--target", str(scratch), "--disable-pip-version-check", "--no-input"]
    argv += _index_options(settings, secret=secret)
    return [*argv, "-r", str(lock)]


def _index_options(settings: IndexSettings, *, secret: bool) -> list[str]:
    """The indexes lockctl resolved for this run, in pip's own options."""
    options: list[str] = []
    if settings.index_url is None:
        options.append("--no-index")
    elif not settings.index_is_default:
        options += ["--index-url", _shown(settings.index_url.secret, secret)]
    for url in settings.extra_index_urls:
        options += ["--extra-index-url", _shown(url.secret, secret)]
    for link in settings.find_links:
        options += ["--find-links", _shown(link.secret, secret)]
    for host in settings.trusted_hosts:
        options += ["--trusted-host", host]
    return options


def _shown(url: str, secret: bool) -> str:
    return url if secret else redact_text(url)


class PipDryRun:
    """``with PipDryRun(...) as run: ...; outcome = run.outcome()``: pip in the background."""

    def __init__(
        self,
        lock: Path,
        target: TargetEnvironment,
        settings: IndexSettings,
        *,
        pip: Sequence[str] | None = None,
        timeout: float | None = None,
        cwd: Path | None = None,
    ) -> None:
        pip = PIP if pip is None else pip  # read at call time: tests may point it elsewhere
        self._scratch = tempfile.TemporaryDirectory(prefix="lockctl-pip-")
        root = Path(self._scratch.name)
        self._report = root / "report.json"
        scratch = root / "target"
        self._argv = pip_install_argv(
            lock, target, settings, report=self._report, scratch=scratch, pip=pip
        )
        shown = pip_install_argv(
            lock, target, settings, report=self._report, scratch=scratch, pip=pip, secret=False
        )
        self.command = tuple(shown)
        self._timeout = timeout
        self._cwd = cwd  # where a relative LOCK is found
        self._output: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 (closed in __exit__)
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> PipDryRun:
        try:
            # The output goes to a file, not a pipe: nobody reads it until pip has finished.
            self._process = subprocess.Popen(
                self._argv,
                stdout=self._output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self._cwd,
            )
        except OSError as error:
            self._close()
            raise ToolFailure(
                f"pip could not be run: {error.strerror or error}",
                command=self.command,
                hint="install pip for the Python that runs lockctl",
            ) from None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        self._close()

    def _close(self) -> None:
        self._output.close()
        self._scratch.cleanup()

    def outcome(self) -> PipOutcome:
        """Wait for pip; its report, or its refusal. Raise ``ToolFailure`` if pip failed."""
        process = self._process
        assert process is not None, "outcome() is for inside the with block"
        try:
            code = process.wait(timeout=self._timeout)
        except subprocess.TimeoutExpired:
            raise ToolFailure(
                f"pip did not finish within {self._timeout:.0f} seconds",
                command=self.command,
                output=self._last_lines(),
            ) from None
        output = self._read_output()
        if code == 0:
            return self._read_report(output)
        lines = output.splitlines()
        if code == _EXIT_ERROR and _pip_refused(lines):
            return PipOutcome(command=self.command, error=_refusal(lines))
        raise ToolFailure(
            _failure_message(code, lines), command=self.command, output=self._last_lines()
        )

    def _read_output(self) -> str:
        self._output.seek(0)
        return redact_text(self._output.read().decode("utf-8", errors="replace"))

    def _last_lines(self) -> str:
        lines = [line for line in self._read_output().splitlines() if line.strip()]
        return "\n".join(lines[-_FAILURE_LINES:])

    def _read_report(self, output: str) -> PipOutcome:
        try:
            data = json.loads(self._report.read_text(encoding="utf-8"))
            packages = tuple(_package(entry) for entry in data["install"])
            environment = {str(k): str(v) for k, v in data.get("environment", {}).items()}
        except (OSError, ValueError, KeyError, TypeError, InvalidVersion) as error:
            raise ToolFailure(
                f"pip finished, but its report could not be read: {error}",
                command=self.command,
                output=self._last_lines(),
            ) from None
        return PipOutcome(command=self.command, packages=packages, environment=environment)


def _package(entry: dict[str, Any]) -> PipPackage:
    metadata = entry["metadata"]
    requires: list[Requirement] = []
    for text in metadata.get("requires_dist") or ():
        try:
            requires.append(Requirement(text))
        except InvalidRequirement:
            continue  # pip installed it anyway; lockctl only uses these to name who asked
    return PipPackage(
        name=canonicalize_name(metadata["name"]),
        version=Version(metadata["version"]),
        requested=bool(entry.get("requested")),
        requires_dist=tuple(requires),
    )


def _pip_refused(lines: Sequence[str]) -> bool:
    """pip said why it cannot install (its ``ERROR:`` lines), rather than crashing."""
    crashed = any(line.startswith("Traceback (most recent call last)") for line in lines)
    return not crashed and any(line.startswith("ERROR:") for line in lines)


def _refusal(lines: Sequence[str]) -> tuple[str, ...]:
    """pip's explanation: its conflict report and its ``ERROR:`` lines, with what is
    indented under them; its progress lines (Collecting, Downloading) are left out."""
    kept: list[str] = []
    inside = False
    for line in lines:
        text = line.rstrip()
        if text.startswith(("ERROR:", "The conflict is caused by:")):
            inside = True
            kept.append(text)
        elif inside and text.startswith((" ", "\t")) and text.strip():
            kept.append(text)
        else:
            inside = False
    return tuple(kept[-_ERROR_LINES:])


def _failure_message(code: int, lines: Sequence[str]) -> str:
    if any("No module named pip" in line for line in lines):
        return "pip is not installed for this Python"
    return f"pip failed (exit status {code})"
