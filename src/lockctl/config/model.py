"""What ``[tool.lockctl]`` says, as values: no TOML and no raw dicts leave this package.

Every setting is None (or empty) when the file does not give it, so the CLI can lay its own
options over the file's (CLI wins) without guessing which values were defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name

__all__ = ["LockEntry", "OverrideEntry", "ProjectConfig"]


@dataclass(frozen=True, slots=True, kw_only=True)
class OverrideEntry:
    """One override: it replaces every requirement on its project, direct or transitive."""

    requirement: Requirement
    reason: str | None
    line: int
    file: Path

    @property
    def name(self) -> NormalizedName:
        return canonicalize_name(self.requirement.name)


@dataclass(frozen=True, slots=True, kw_only=True)
class LockEntry:
    """One ``.in`` file and the lock compiled from it; paths are absolute."""

    input: Path
    output: Path
    overrides: tuple[OverrideEntry, ...] = ()  # this lock's own, on top of the global ones
    group: str | None = None  # locks installed together share versions, as layers do
    line: int | None = None  # of its [[tool.lockctl.lock]] table; None when discovered


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectConfig:
    path: Path  # the pyproject.toml (it may not exist: see default_config)
    root: Path  # its directory: relative paths in the file are relative to it
    python_version: str | None = None
    platform: str | None = None  # a key of lockctl.target.PLATFORMS
    dockerfile: Path | None = None
    base_image: str | None = None  # what verify installs a lock into (below --base-image)
    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    no_index: bool | None = None
    generate_hashes: bool | None = None
    overrides: tuple[OverrideEntry, ...] = ()
    locks: tuple[LockEntry, ...] = ()
    discovered: bool = False  # locks were found by the requirements*.in glob, not listed

    def lock_for(self, output: Path) -> LockEntry | None:
        """The lock that writes ``output`` (an absolute path), if any."""
        return next((lock for lock in self.locks if lock.output == output), None)

    def overrides_for(self, lock: LockEntry) -> tuple[OverrideEntry, ...]:
        """The overrides that apply to ``lock``: its own win over global ones on one project."""
        own = {entry.name for entry in lock.overrides}
        kept = tuple(entry for entry in self.overrides if entry.name not in own)
        return kept + lock.overrides
