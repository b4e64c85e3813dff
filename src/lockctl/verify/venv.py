"""``--sandbox venv``: the lock installed into a throwaway virtual environment, no engine.

The environment is made without pip (``python -m venv --without-pip``: seconds faster, and
nothing in it but the lock), and the running pip drives it through ``pip --python`` (pip
22.3 and newer). It proves what a container proves when the running Python is the target's
X.Y and the machine is the target's platform: ``ops.verify`` checks the first, and the
report says which Python it ran.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from packaging.utils import NormalizedName

from lockctl.errors import ToolFailure

from .runtime import FAILED_STEP_LINES, BuildEvent, BuildFailure, BuildOutput, BuildStep, Deadline
from .sandbox import PROBE_SOURCE, ProbeRequest, ProbeResult

__all__ = ["VenvSandbox"]

_STEPS = 2
_POLL = 0.2  # seconds between looks at the deadline
_POSIX = sys.platform != "win32"


class VenvSandbox:
    def __init__(
        self,
        lock: Path,
        *,
        require_hashes: bool,
        environment: Mapping[str, str],
        keep: bool = False,
        python: str = sys.executable,
    ) -> None:
        self._lock = lock
        self._require_hashes = require_hashes
        self._environment = dict(environment)
        self._keep = keep
        self._python = python
        self._root: Path | None = None  # made by prepare, removed by close

    @property
    def _venv(self) -> Path:
        assert self._root is not None, "prepare() first"
        return self._root / "venv"

    @property
    def description(self) -> str:
        return f"a throwaway virtual environment of {self._python}"

    @property
    def kept(self) -> str | None:
        return str(self._venv) if self._keep and self._root is not None else None

    @property
    def _venv_python(self) -> Path:
        scripts = "Scripts" if sys.platform == "win32" else "bin"
        return self._venv / scripts / ("python.exe" if sys.platform == "win32" else "python")

    @property
    def _pip(self) -> list[str]:
        return [self._python, "-m", "pip", "--python", str(self._venv_python)]

    def prepare(
        self, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuildFailure | None:
        self._root = Path(tempfile.mkdtemp(prefix="lockctl-verify-"))
        create = [self._python, "-m", "venv", "--without-pip", str(self._venv)]
        install = [*self._pip, "install", "--no-deps", "--disable-pip-version-check"]
        install += ["--require-hashes"] if self._require_hashes else []
        install += ["-r", str(self._lock)]
        for number, argv in enumerate((create, install), start=1):
            step = BuildStep(number=number, total=_STEPS, instruction=_shown(argv))
            on_event(step)
            done = self._run(argv, deadline)
            lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
            for line in lines:
                on_event(BuildOutput(line=line))
            if done.returncode != 0:
                return BuildFailure(
                    step=step,
                    message=f"{_shown(argv[:3])} exited with {done.returncode}",
                    log=tuple(lines[-FAILED_STEP_LINES:]),
                )
        return None

    def probe(self, request: ProbeRequest, *, deadline: Deadline) -> ProbeResult:
        argv = [str(self._venv_python), "-c", PROBE_SOURCE, request.to_json(self._pip)]
        done = self._run(argv, deadline)
        try:
            return ProbeResult.from_json(done.stdout)
        except (ValueError, KeyError, TypeError):
            raise ToolFailure(
                "the probe did not answer in the virtual environment",
                command=(str(self._venv_python), "-c", "<lockctl's probe>"),
                output="\n".join(done.stderr.splitlines()[-10:]),
            ) from None

    def base_distributions(self, *, deadline: Deadline) -> frozenset[NormalizedName] | None:
        return frozenset()  # --without-pip: the environment starts empty

    def close(self) -> tuple[str, ...]:
        if self._root is None or self._keep:
            return ()
        shutil.rmtree(self._root, ignore_errors=True)
        return (f"folder {self._root}",) if self._root.exists() else ()

    def _run(self, argv: Sequence[str], deadline: Deadline) -> subprocess.CompletedProcess[str]:
        """``argv``, stopped (killed) at the deadline or when it is cancelled: locks verified
        in parallel learn of Ctrl-C and SIGTERM that way (``Deadline``)."""
        try:
            process = subprocess.Popen(
                list(argv),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env=self._environment,
                # pip --python runs a second pip inside the venv, which holds the pipes: a
                # group of its own, killed whole (``_kill``).
                start_new_session=_POSIX,
            )
        except OSError as exc:
            raise ToolFailure(
                f"cannot run {argv[0]}: {exc.strerror}", command=tuple(argv)
            ) from None
        with process:
            while True:
                try:
                    stdout, stderr = process.communicate(timeout=_POLL)
                    break
                except subprocess.TimeoutExpired:
                    if deadline.expired:
                        _kill(process)
                        process.communicate()
                        raise ToolFailure(
                            f"ran past the time allowed ({deadline.seconds:g}s)",
                            command=(argv[0], *argv[1:3]),
                        ) from None
                except BaseException:  # Ctrl-C in the main thread: pip goes too
                    _kill(process)
                    raise
        return subprocess.CompletedProcess(list(argv), process.returncode, stdout, stderr)


def _kill(process: subprocess.Popen[str]) -> None:
    """The process and what it started (its own session on POSIX)."""
    if not _POSIX:
        process.kill()
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _shown(argv: Sequence[str]) -> str:
    return " ".join(argv)
