"""What every benchmark in this directory shares: a hermetic environment, measured subprocesses.

``hermetic_environment`` points pip, uv and lockctl at pip's default index whatever the caller's
configuration says: ``PIP_CONFIG_FILE`` is ``os.devnull`` (pip then reads no configuration file
at all) and the ``PIP_*``/``UV_*`` variables that would name another index are removed. uv gets
``--no-config`` on its command line from each benchmark.

``run_measured`` times one subprocess with ``time.perf_counter`` around ``Popen`` .. ``os.wait4``
and takes its peak resident memory from the ``ru_maxrss`` that ``wait4`` returns. On Linux that
is the largest resident set of the process *or* of any descendant it waited for (a maximum, not
a sum): a short ``pip install --help`` child counts only if it grew larger than its parent.

``compile_lockctl_bytecode`` byte-compiles lockctl's modules before anything is timed, as
``pip install`` does for an installed package. An editable checkout in an environment with
``PYTHONDONTWRITEBYTECODE`` set would otherwise compile about a hundred modules from source on
every run, which is a cost no installed lockctl pays.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "EXIT_FAILED",
    "EXIT_INDEX",
    "EXIT_OK",
    "EXIT_USAGE",
    "INDEX_VARIABLES",
    "BenchmarkAborted",
    "Finished",
    "compile_lockctl_bytecode",
    "directory_size",
    "format_number",
    "hermetic_environment",
    "median_or_none",
    "run_measured",
    "tail",
    "tool_executable",
    "uv_executable",
]

# Variables that would point a tool at another index than its default one.
INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_NO_INDEX",
    "UV_CONFIG_FILE",
    "UV_OFFLINE",
)

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INDEX = 0, 1, 2, 3


class BenchmarkAborted(Exception):
    """A run went wrong in a way that makes its figures meaningless."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True, slots=True, kw_only=True)
class Finished:
    """A subprocess that has exited, with its output."""

    returncode: int
    wall_s: float
    peak_rss_kib: int
    stdout: str
    stderr: str
    timed_out: bool = False


def compile_lockctl_bytecode() -> None:
    """Write the ``.pyc`` files of the lockctl package that the benchmarks run."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("lockctl")
    if spec is None or not spec.submodule_search_locations:
        raise BenchmarkAborted("lockctl is not installed in this environment", exit_code=EXIT_USAGE)
    for location in spec.submodule_search_locations:
        compileall.compile_dir(location, quiet=1)


def hermetic_environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in INDEX_VARIABLES}
    env["PIP_CONFIG_FILE"] = os.devnull
    env.update(overrides)
    return env


def run_measured(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    cwd: Path | None = None,
    timeout: float | None = None,
) -> Finished:
    """Run ``argv``; wall time and the peak RSS of that process from ``os.wait4``.

    Output goes to temporary files, not pipes: nobody reads a pipe while ``wait4`` blocks.
    After ``timeout`` seconds the process is killed and the result says ``timed_out``; a timer
    thread does that, so that ``wait4`` still blocks and the wall time stays exact.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(argv, stdout=out, stderr=err, env=dict(env), cwd=cwd)
        expired = threading.Event()

        def kill() -> None:
            # os.kill, not Popen.kill: that one polls, and could reap the child before wait4.
            # A zombie ignores the signal; its pid cannot be reused until wait4 reaps it.
            expired.set()
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)

        timer = threading.Timer(timeout, kill) if timeout is not None else None
        if timer is not None:
            timer.start()
        try:
            _pid, status, usage = os.wait4(process.pid, 0)
        except BaseException:  # Ctrl-C or the like: leave no child behind
            process.kill()
            process.wait()
            raise
        finally:
            if timer is not None:
                timer.cancel()
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not reap it again
        out.seek(0)
        err.seek(0)
        return Finished(
            returncode=process.returncode,
            wall_s=wall,
            peak_rss_kib=usage.ru_maxrss,  # KiB on Linux
            stdout=out.read().decode(errors="replace"),
            stderr=err.read().decode(errors="replace"),
            timed_out=expired.is_set(),
        )


def tool_executable(name: str, *, install: str) -> str:
    """``name`` next to this interpreter (the project's virtualenv), else the one on PATH."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        raise BenchmarkAborted(f"{name} is not installed ({install})", exit_code=EXIT_USAGE)
    return found


def uv_executable() -> str:
    return tool_executable("uv", install="pip install uv")


def directory_size(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and not p.is_symlink())


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def median_or_none(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def format_number(value: float | None, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)
