"""What pip itself would use as its index: its configuration files, its environment, its default.

lockctl never names a registry host. The built-in default index is read from pip at run time
(``pip install --help`` prints it as ``(default URL)``) and remembered per pip version. pip's
configuration files are read the way pip reads them (``pip config`` documents the places):
global, then user, then site, then ``PIP_CONFIG_FILE``; ``[global]`` first, then ``[install]``;
``PIP_CONFIG_FILE=os.devnull`` turns them all off.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lockctl.errors import ToolFailure

__all__ = ["PipSetting", "pip_config_settings", "pip_default_index_url"]

_DEFAULT_IN_HELP = re.compile(r"Package Index \(default\s+(\S+?)\)")
_KEYS = ("index-url", "extra-index-url", "find-links", "no-index", "trusted-host", "cert")


def pip_default_index_url(cache_dir: Path) -> str:
    """pip's built-in default index URL, as the installed pip reports it.

    Remembered per installed pip: the key is where pip's package is and when it was written,
    so upgrading pip asks again. (Not importlib.metadata: importing it costs 40 ms a run.)
    """
    remembered = cache_dir / f"pip-default-index-{_pip_identity()}.txt"
    try:
        return remembered.read_text(encoding="utf-8").strip()
    except OSError:
        pass
    url = _ask_pip()
    try:
        remembered.parent.mkdir(parents=True, exist_ok=True)
        remembered.write_text(url, encoding="utf-8")
    except OSError:
        pass
    return url


def _pip_identity() -> str:
    import hashlib
    import importlib.util

    spec = importlib.util.find_spec("pip")
    if spec is None or spec.origin is None:
        return "path"
    try:
        stamp = Path(spec.origin).stat().st_mtime_ns
    except OSError:
        return "path"
    return hashlib.sha256(f"{spec.origin}:{stamp}".encode()).hexdigest()[:16]


def _ask_pip() -> str:
    import subprocess

    command = (*_pip(), "install", "--help")
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PIP_CONFIG_FILE": os.devnull},
    )
    match = _DEFAULT_IN_HELP.search(" ".join(result.stdout.split()))
    if match is None:
        raise ToolFailure(
            "could not read pip's default index from 'pip install --help'",
            command=command,
            output=_last_lines(result.stdout + result.stderr),
            hint=_PASS_AN_INDEX,
        )
    return match.group(1)


def _pip() -> tuple[str, ...]:
    """How to run pip: this interpreter's own, else the first ``pip`` on ``PATH``."""
    import importlib.util
    import shutil

    if importlib.util.find_spec("pip") is not None:
        return (sys.executable, "-m", "pip")
    found = shutil.which("pip") or shutil.which("pip3")
    if found is None:
        raise ToolFailure(
            "pip is not installed, so lockctl cannot learn pip's default index",
            command=("pip", "install", "--help"),
            hint=_PASS_AN_INDEX,
        )
    return (found,)


_PASS_AN_INDEX = "pass --index-url or set PIP_INDEX_URL"


def _last_lines(output: str, count: int = 10) -> str:
    return "\n".join(output.strip().splitlines()[-count:])


def _config_files(environ: Mapping[str, str]) -> list[Path]:
    explicit = environ.get("PIP_CONFIG_FILE")
    if explicit == os.devnull:
        return []
    xdg_dirs = environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs if d]
    files.append(Path("/etc/pip.conf"))
    home = _home(environ)
    if home is not None:
        files.append(home / ".pip" / "pip.conf")
    config_home = environ.get("XDG_CONFIG_HOME") or (
        None if home is None else str(home / ".config")
    )
    if config_home:
        files.append(Path(config_home) / "pip" / "pip.conf")
    files.append(Path(sys.prefix) / "pip.conf")
    if explicit:
        files.append(Path(explicit))
    return files


def _home(environ: Mapping[str, str]) -> Path | None:
    """``$HOME``, else the user's home from the password database; None when there is none."""
    if environ.get("HOME"):
        return Path(environ["HOME"])
    try:
        return Path.home()
    except (RuntimeError, KeyError, OSError):  # no HOME and no password entry (containers)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class PipSetting:
    """One setting of pip's configuration files, and the file that gave it (for messages)."""

    value: str
    file: Path


def pip_config_settings(environ: Mapping[str, str] | None = None) -> dict[str, PipSetting]:
    """The index-related settings of pip's configuration files, later files winning."""
    import configparser

    env = os.environ if environ is None else environ
    settings: dict[str, PipSetting] = {}
    for path in _config_files(env):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # pip reports these; lockctl only needs what it can read
        for section in ("global", "install"):
            if parser.has_section(section):
                for key in _KEYS:
                    if parser.has_option(section, key):
                        settings[key] = PipSetting(value=parser.get(section, key), file=path)
    return settings
