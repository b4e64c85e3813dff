"""A local project's metadata from its own build backend, only with ``--allow-build``.

``setup.py`` (and a ``pyproject.toml`` whose dependencies are ``dynamic``) declares its
dependencies by running code. pip-compile builds the project's metadata
(``prepare_metadata_for_build_wheel``, PEP 517) in an isolated build environment; lockctl asks
the real pip to do exactly that, as a program (``pip install --dry-run --no-deps --report``:
pip prepares the metadata of a local directory through its backend in an isolated
environment whose build requirements come from the run's indexes), and reads the
``metadata`` of pip's installation report. As ``lockctl.index.sdist`` does for sdists, the
caller reaches here only when the user allowed builds.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from lockctl.errors import ToolFailure
from lockctl.index import IndexSettings, default_cache_dir
from lockctl.ops.commands import IndexRequest
from lockctl.ops.inputs import ProjectBuilder
from lockctl.ops.pipreport import PIP
from lockctl.reqfile.project_input import ProjectInput, project_from_metadata
from lockctl.urls import redact_text

__all__ = ["build_project", "project_builder"]

_BUILD_TIMEOUT = 600.0  # seconds: a backend installing its build requirements is slow
_SHOWN_LINES = 8


def build_project(
    directory: Path,
    shown: Path,
    settings: IndexSettings,
    *,
    offline: bool = False,
    pip: Sequence[str] = PIP,
) -> ProjectInput:
    """The project in ``directory`` as its built metadata says; ``shown`` names it in ``# via``."""
    with tempfile.TemporaryDirectory(prefix="lockctl-project-") as scratch:
        report = Path(scratch) / "report.json"
        argv = [
            *pip,
            "install",
            "--dry-run",
            "--no-deps",
            "--ignore-installed",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--report",
            str(report),
            *(["--no-index"] if offline else _index_options(settings)),
            str(directory.absolute()),
        ]
        shown_argv = tuple(redact_text(word) for word in argv)
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, check=False, timeout=_BUILD_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ToolFailure(
                f"building the metadata of {shown} with pip failed: {exc}", command=shown_argv
            ) from None
        if done.returncode != 0 or not report.is_file():
            tail = _last_words(done.stderr)
            raise ToolFailure(
                f"building the metadata of {shown} failed (its build backend, run by pip)",
                command=shown_argv,
                output=redact_text(tail),
            )
        return _from_report(json.loads(report.read_text(encoding="utf-8")), shown, shown_argv)


def _last_words(stderr: str) -> str:
    """The backend's own last lines: pip frames them, ending with ``[end of output]``, and
    follows with its notes, which say nothing about this project."""
    lines = [line.strip() for line in stderr.strip().splitlines()]
    if "[end of output]" in lines:
        end = len(lines) - 1 - lines[::-1].index("[end of output]")
        lines = lines[:end]
    return "\n".join(line for line in lines[-_SHOWN_LINES:] if line) or "no output"


def _from_report(report: Any, shown: Path, argv: tuple[str, ...]) -> ProjectInput:
    installs = report.get("install") if isinstance(report, dict) else None
    if not isinstance(installs, list) or len(installs) != 1:
        raise ToolFailure(f"pip's report on {shown} lists no single project", command=argv)
    metadata = installs[0].get("metadata", {}) if isinstance(installs[0], dict) else {}
    name = str(metadata.get("name", ""))
    requires: list[Requirement] = []
    for text in metadata.get("requires_dist", []) or []:
        try:
            requires.append(Requirement(str(text)))
        except InvalidRequirement as exc:
            raise ToolFailure(
                f"{shown}'s built metadata has an invalid Requires-Dist {text!r}: {exc}",
                command=argv,
            ) from None
    extras = [str(extra) for extra in metadata.get("provides_extra", []) or []]
    return project_from_metadata(shown, name, requires, extras)


def _index_options(settings: IndexSettings) -> list[str]:
    """The run's indexes, for the build requirements of the isolated environment."""
    options: list[str] = []
    if settings.index_url is None:
        options.append("--no-index")
    elif not settings.index_is_default:
        options += ["--index-url", settings.index_url.secret]
    for url in settings.extra_index_urls:
        options += ["--extra-index-url", url.secret]
    for link in settings.find_links:
        options += ["--find-links", link.secret]
    for host in settings.trusted_hosts:
        options += ["--trusted-host", host]
    return options


def project_builder(request: IndexRequest) -> ProjectBuilder | None:
    """The builder ``read_inputs`` may use: None unless the user allowed builds."""
    if not request.allow_build:
        return None

    def build(directory: Path, shown: Path) -> ProjectInput:
        cache_dir = request.cache_dir or default_cache_dir()
        settings = IndexSettings.from_pip(
            request.config_options, request.options, cache_dir=cache_dir
        )
        return build_project(directory, shown, settings, offline=request.offline)

    return build
