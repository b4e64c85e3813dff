"""Run the peers (pip-compile and uv pip compile) as programs and read their pins back.

Both are test dependencies only. Each run is hermetic: no pip or uv configuration, its own
cache directory, the index given explicitly.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "PeerResult",
    "peer_environment",
    "read_pins",
    "run_lockctl",
    "run_pip_compile",
    "run_uv",
]

BIN = Path(sys.executable).parent
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerResult:
    tool: str
    returncode: int
    pins: dict[str, str]
    output: str  # the lock text (empty on failure)
    stderr: str


def read_pins(text: str) -> dict[str, str]:
    from packaging.utils import canonicalize_name

    return {str(canonicalize_name(name)): version for name, version in _PIN.findall(text)}


def peer_environment(cache: Path, **extra: str) -> dict[str, str]:
    """No pip or uv configuration and no custom compile command from this machine, lockctl's
    cache in ``cache``; ``extra`` on top (``CUSTOM_COMPILE_COMMAND``, another tool's cache)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PIP_", "UV_")) and key != "CUSTOM_COMPILE_COMMAND"
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["UV_NO_CONFIG"] = "1"
    env["LOCKCTL_CACHE_DIR"] = str(cache / "lockctl")
    env.update(extra)
    return env


def _run(tool: str, argv: Sequence[str], out: Path, cache: Path, timeout: float) -> PeerResult:
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env=peer_environment(cache),
        timeout=timeout,
        cwd=out.parent,
    )
    text = out.read_text(encoding="utf-8") if done.returncode == 0 and out.exists() else ""
    return PeerResult(
        tool=tool, returncode=done.returncode, pins=read_pins(text), output=text, stderr=done.stderr
    )


def run_pip_compile(
    inputs: Sequence[Path], *, index_url: str, out: Path, cache: Path, timeout: float = 900
) -> PeerResult:
    """pip-compile resolves for the interpreter it runs on: the tests' own Python."""
    argv = [
        str(BIN / "pip-compile"),
        "--quiet",
        "--no-header",
        "--allow-unsafe",
        "--strip-extras",
        "--index-url",
        index_url,
        "--cache-dir",
        str(cache / "pip-tools"),
        "--output-file",
        str(out),
        *map(str, inputs),
    ]
    return _run("pip-compile", argv, out, cache, timeout)


def run_uv(
    inputs: Sequence[Path],
    *,
    index_url: str,
    out: Path,
    cache: Path,
    python_version: str,
    timeout: float = 900,
) -> PeerResult:
    argv = [
        str(BIN / "uv"),
        "pip",
        "compile",
        "--quiet",
        "--no-header",
        "--no-config",
        "--index-url",
        index_url,
        "--python-version",
        python_version,
        "--python-platform",
        "x86_64-unknown-linux-gnu",
        "--cache-dir",
        str(cache / "uv"),
        "--output-file",
        str(out),
        *map(str, inputs),
    ]
    return _run("uv", argv, out, cache, timeout)


def run_lockctl(
    inputs: Sequence[Path],
    *,
    index_url: str,
    out: Path,
    cache: Path,
    python_version: str,
    extra: Sequence[str] = (),
    timeout: float = 900,
) -> PeerResult:
    argv = [
        sys.executable,
        "-m",
        "lockctl",
        "-q",
        "compile",
        *map(str, inputs),
        "--index-url",
        index_url,
        "--python-version",
        python_version,
        "--platform",
        "linux_x86_64",
        "--output-file",
        str(out),
        *extra,
    ]
    return _run("lockctl", argv, out, cache, timeout)
