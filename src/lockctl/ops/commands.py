"""One frozen dataclass per command: what the user asked for, and the request ``ops`` takes.

The command line builds these straight from argparse (an option's ``dest`` is the field's
name; an option not given keeps the field's default, which is the one place each default is
written). Nothing here imports more than the standard library and the small option values of
the layers below, so ``lockctl --help`` and ``lockctl check`` stay light.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from lockctl.defaults import MAX_REQUESTS, RUN_TIMEOUT
from lockctl.index.settings import IndexOptions

if TYPE_CHECKING:
    from lockctl.index.fetcher import FetchPolicy
    from lockctl.tracing import Tracer

__all__ = [
    "CheckCommand",
    "Command",
    "CompileCommand",
    "DriftCommand",
    "DriftKind",
    "IndexRequest",
    "InputsCommand",
    "MetadataCommand",
    "OverrideCommand",
    "ReconcileCommand",
    "VerifyCommand",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexRequest:
    """Which indexes to ask and how: the index options of a command.

    ``options`` are the command line's; ``config_options`` the project's ``[tool.lockctl]``,
    a layer below them (pip's order: configuration, command line, then requirement files).
    """

    options: IndexOptions = field(default_factory=IndexOptions)
    config_options: IndexOptions = field(default_factory=IndexOptions)
    cache_dir: Path | None = None
    offline: bool = False
    refresh: bool = False
    refresh_projects: frozenset[str] = frozenset()  # refetch these pages (--upgrade-package)
    allow_build: bool = False
    max_requests: int = MAX_REQUESTS
    timeout: float = RUN_TIMEOUT  # seconds the whole run may spend waiting on indexes
    policy: FetchPolicy | None = None  # timeouts and retries; None: the fetcher's defaults
    tracer: Tracer | None = None  # where the run's requests and waits are counted (-v, --timings)
    linger: bool = False  # the process exits after the run: the client closes in the background


@dataclass(frozen=True, slots=True, kw_only=True)
class CompileCommand:
    """``lockctl compile [IN...]``: every option, with pip-compile's meaning where it has one."""

    inputs: tuple[Path, ...] = ()  # none: every lock of the project
    output_file: Path | None = None
    python_version: str | None = None
    platform: str | None = None
    from_dockerfile: Path | None = None
    build_args: tuple[tuple[str, str], ...] = ()  # for ARG defaults in --from-dockerfile's FROM
    stage: str | None = None  # --target: the Dockerfile stage whose FROM decides the target
    constraints: tuple[Path, ...] = ()  # -c FILE, as a "-c FILE" line in every input
    extras: tuple[str, ...] = ()  # --extra NAME of a pyproject.toml/setup.cfg/setup.py input
    all_extras: bool = False
    overrides: tuple[str, ...] = ()
    override_files: tuple[Path, ...] = ()
    upgrade: bool = False
    upgrade_packages: tuple[str, ...] = ()  # NAME or NAME==VERSION
    pre: bool = False
    exclude_newer: str | None = None  # a date, an RFC 3339 timestamp or a duration (7d)
    generate_hashes: bool = False
    strip_extras: bool = True
    # pip-compile's output switches (lockfiles.LockWriteOptions says what each one writes).
    emit_index_url: bool = True
    emit_find_links: bool = True
    emit_trusted_host: bool = True
    emit_options: bool = True
    header: bool = True
    annotate: bool = True
    annotation_style: Literal["split", "line"] = "split"
    allow_unsafe: bool = True  # pip-tools 8's default; --no-allow-unsafe names them unpinned
    unsafe_packages: tuple[str, ...] = ()  # --unsafe-package: replaces pip-tools' set
    newline: Literal["lf", "crlf", "native", "preserve"] = "preserve"
    dry_run: bool = False
    json_output: Path | None = None
    timings: Path | None = None  # a Chrome-trace JSON of the run's requests and resolver steps
    format: Literal["txt", "pylock"] = "txt"
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)
    index: IndexRequest = field(default_factory=IndexRequest)
    command_line: str = "lockctl compile"  # for the lock header, credentials redacted


@dataclass(frozen=True, slots=True, kw_only=True)
class InputsCommand:
    """``lockctl inputs FILE...``: every requirement of the files, with where it came from."""

    files: tuple[Path, ...]
    constraints: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataCommand:
    """``lockctl metadata [REQ...] [-r FILE]``: newest matching release and its dependencies."""

    requirements: tuple[str, ...] = ()
    files: tuple[Path, ...] = ()
    index: IndexRequest = field(default_factory=IndexRequest)
    python_version: str | None = None
    as_json: bool = False
    show_extras: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideCommand:
    """``lockctl override add|remove|list``: edit the overrides in pyproject.toml."""

    action: Literal["add", "remove", "list"]
    value: str | None = None  # the requirement to add, or the project to remove
    lock: str | None = None  # the output of the lock whose own overrides to edit; None: global
    reason: str | None = None
    pyproject: Path | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckCommand:
    """``lockctl check [LOCK...]``: is each lock still what its inputs compile to? Offline.

    No locks: every lock of the project. ``online`` fetches metadata the cache lacks;
    ``fix`` runs the compile that brings the locks back in sync.
    """

    locks: tuple[Path, ...] = ()
    online: bool = False
    fix: bool = False
    format: Literal["text", "json"] = "text"
    index: IndexRequest = field(default_factory=IndexRequest)  # for --online and --fix


@dataclass(frozen=True, slots=True, kw_only=True)
class ReconcileCommand:
    """``lockctl reconcile LOCK``: a (hand-patched) lock beside what pip and lockctl resolve.

    ``input`` is the lock's ``.in`` file (default: the project's lock entry for LOCK, else
    LOCK with ``.in``); ``write`` rewrites the lock into the smallest honest one.
    """

    lock: Path
    input: Path | None = None
    write: bool = False
    format: Literal["text", "json"] = "text"
    python_version: str | None = None
    platform: str | None = None
    from_dockerfile: Path | None = None
    overrides: tuple[str, ...] = ()
    index: IndexRequest = field(default_factory=IndexRequest)


DriftKind = Literal["unresolvable", "vulnerable", "yanked", "gone", "blocked", "outdated"]
DRIFT_KINDS: tuple[DriftKind, ...] = (
    "unresolvable",
    "vulnerable",
    "yanked",
    "gone",
    "blocked",
    "outdated",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftCommand:
    """``lockctl drift [LOCK...]``: what changed on the index since each lock was written.

    No locks: every lock of the project. ``advisories`` are OSV files or folders;
    ``fail_on`` the kinds of finding that make the exit code 1; ``update`` writes refreshed
    locks through compile; ``exclude_newer`` ignores releases younger than a date or a
    duration (``7d``).
    """

    locks: tuple[Path, ...] = ()
    advisories: tuple[Path, ...] = ()
    fail_on: tuple[DriftKind, ...] = DRIFT_KINDS
    format: Literal["table", "markdown", "json"] = "table"
    output: Path | None = None
    update: bool = False
    exclude_newer: str | None = None
    index: IndexRequest = field(default_factory=IndexRequest)


VERIFY_TIMEOUT = 1800.0  # seconds for a whole verify run: builds download and install


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyCommand:
    """``lockctl verify LOCK...``: install each lock in a throwaway container and check it.

    Lock-only mode (no ``dockerfile``): lockctl installs the lock with ``--no-deps`` into
    ``base_image`` (default: ``[tool.lockctl] base-image``, else the ``FROM`` of the project's
    Dockerfile), in one layer, reusing the wheels it kept (``clear_cache`` removes them).
    Project mode (``dockerfile``, one LOCK): the project's own Dockerfile is built and what
    it installed is compared with the lock. ``sandbox="venv"`` installs the
    lock into a throwaway virtual environment of the running Python instead.
    """

    locks: tuple[Path, ...]
    dockerfile: Path | None = None
    context: Path | None = None  # default: the Dockerfile's folder
    build_args: tuple[tuple[str, str], ...] = ()  # --build-arg K=V, split by the parser
    target: str | None = None  # the build stage to build
    base_image: str | None = None
    python_version: str | None = None  # the target's, for --sandbox venv
    sandbox: Literal["container", "venv"] = "container"
    import_check: bool = True
    keep: bool = False
    format: Literal["text", "json"] = "text"
    timeout: float = VERIFY_TIMEOUT
    index_url: str | None = None  # for pip inside the sandbox; default: the lock's, else pip's
    extra_index_urls: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    clear_cache: bool = False  # remove the wheel cache lockctl keeps on the engine, first
    jobs: int = field(default_factory=lambda: os.cpu_count() or 2)  # locks verified at once


Command = (
    CompileCommand
    | DriftCommand
    | InputsCommand
    | MetadataCommand
    | OverrideCommand
    | CheckCommand
    | ReconcileCommand
    | VerifyCommand
)
