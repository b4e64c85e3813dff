"""The probe: a standalone script that runs inside the sandbox, on the target's Python.

Its source is sent as ``python -c SOURCE REQUEST`` (into a container, or a throwaway virtual
environment), so it imports only the standard library and keeps to syntax that Python 3.8
reads. It runs ``pip check`` and ``pip inspect`` (pip's documented inspection report,
version 1) with the pip it is given, then imports the top-level modules of the root
requirements, each in a fresh interpreter with a timeout, and prints one JSON document.

The request (JSON): ``pip`` (the pip command; null: this Python's ``-m pip``), ``roots``
(distribution names whose modules to import), ``imports`` (bool), ``timeout`` (seconds per
import). The answer: ``python``, ``pip_check`` (``status``, ``lines``), ``inspect``
(``ok``, ``error``, ``environment``, ``installed``: name, version, requested) and
``imports`` (``distribution``, ``module``, ``ok``, ``error``: the error's last line).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from typing import Any

__all__ = ["main"]

_PIP_TIMEOUT = 600  # seconds for pip check and pip inspect
_SKIPPED_TOP_LEVEL = {"test", "tests", "testing", "docs", "examples", "benchmarks"}


def main(argv: list[str]) -> int:
    request = json.loads(argv[1]) if len(argv) > 1 else {}
    pip = request.get("pip") or [sys.executable, "-m", "pip"]
    checked, inspected = _pip_reports(pip)
    answer: dict[str, Any] = {
        "python": platform.python_version(),
        "pip_check": checked,
        "inspect": inspected,
        "imports": [],
    }
    if request.get("imports", True):
        timeout = float(request.get("timeout", 60))
        answer["imports"] = [
            result for name in request.get("roots", []) for result in _import_checks(name, timeout)
        ]
    sys.stdout.write(json.dumps(answer) + "\n")
    return 0


def _environment() -> dict[str, str]:
    return dict(os.environ, PIP_DISABLE_PIP_VERSION_CHECK="1", PYTHONIOENCODING="utf-8")


def _start(argv: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(),
        cwd=tempfile.gettempdir(),  # a folder of the project must not shadow a module
    )


def _pip_reports(pip: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``pip check`` and ``pip inspect`` at once: pip takes seconds just to start."""
    check = inspect = None
    try:
        check = _start([*pip, "check"])
        inspect = _start([*pip, "inspect"])
        check_out, check_err = check.communicate(timeout=_PIP_TIMEOUT)
        inspect_out, inspect_err = inspect.communicate(timeout=_PIP_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        for process in (check, inspect):
            if process is not None:
                process.kill()
        failed = {"status": -1, "lines": [], "error": str(exc)}
        return failed, _from_metadata(f"pip failed: {exc}")
    lines = [line.strip() for line in check_out.splitlines() if line.strip()]
    checked = {"status": check.returncode, "lines": lines, "error": _last_line(check_err)}
    return checked, _inspected(inspect.returncode, inspect_out, inspect_err)


def _inspected(status: int, out: str, err: str) -> dict[str, Any]:
    try:
        report = json.loads(out) if status == 0 else None
    except ValueError:
        report = None
    if not isinstance(report, dict):
        return _from_metadata(f"pip inspect failed: {_last_line(err) or status}")
    installed = []
    for item in report.get("installed", []):
        metadata = item.get("metadata", {})
        installed.append(
            {
                "name": metadata.get("name", ""),
                "version": metadata.get("version", ""),
                "requested": bool(item.get("requested", False)),
            }
        )
    return {
        "ok": True,
        "error": "",
        "environment": report.get("environment", {}),
        "installed": installed,
    }


def _from_metadata(error: str) -> dict[str, Any]:
    """pip older than 22.2 has no ``inspect``: this Python's own view of what is installed."""
    from importlib import metadata

    installed = [
        {"name": d.metadata["Name"] or "", "version": d.version, "requested": False}
        for d in metadata.distributions()
    ]
    return {"ok": False, "error": error, "environment": {}, "installed": installed}


def _import_checks(distribution: str, timeout: float) -> list[dict[str, Any]]:
    modules = _top_level_modules(distribution)
    if modules is None:
        result = {"distribution": distribution, "module": "", "ok": False}
        result["error"] = "the distribution is not installed"
        return [result]
    return [_import(distribution, module, timeout) for module in modules]


def _import(distribution: str, module: str, timeout: float) -> dict[str, Any]:
    result: dict[str, Any] = {"distribution": distribution, "module": module, "ok": True}
    process = _start([sys.executable, "-c", "import " + module])
    try:
        _, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        result.update(ok=False, error=f"the import did not finish in {timeout:g}s")
        return result
    if process.returncode != 0:
        result.update(ok=False, error=_last_line(err) or f"exit {process.returncode}")
    return result


def _top_level_modules(distribution: str) -> list[str] | None:
    """From ``top_level.txt`` (setuptools writes it), else the first parts of RECORD's paths."""
    from importlib import metadata

    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        return None
    names = (dist.read_text("top_level.txt") or "").split()
    if not names:
        for path in dist.files or []:
            name = _module_of(path.parts)
            if name:
                names.append(name)
    found = [n for n in dict.fromkeys(names) if n.isidentifier() and n not in _SKIPPED_TOP_LEVEL]
    public = [name for name in found if not name.startswith("_")]
    return public or found


def _module_of(parts: tuple[str, ...]) -> str:
    if not parts:
        return ""
    first = parts[0]
    if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".data")):
        return ""
    if len(parts) > 1:
        return first
    if first.endswith(".py"):
        return first[:-3]
    if first.endswith((".so", ".pyd")):
        return first.split(".")[0]
    return ""


def _last_line(text: str) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else ""


if __name__ == "__main__":
    sys.exit(main(sys.argv))
