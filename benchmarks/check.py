"""Benchmark: ``lockctl check`` on a project whose locks are in sync, against compiling again.

What is measured
    Set-up, not timed: a project of five locks in a temporary directory. ``requirements-base.in``
    holds the ``datascience`` and ``web`` stacks of ``benchmarks/stacks`` and ``rich``; four
    layers (``test``, ``docs``, ``aws``, ``lint``) each include it with ``-r`` and add a project
    or two, so that every lock pins about 150 releases. ``[tool.lockctl]`` in its pyproject.toml
    names the target, CPython 3.11 on x86_64 Linux, and ``lockctl compile`` locks it for real
    against the default index (it needs the network; that also warms whatever proxy sits
    before the index). Then nothing changes, and each round runs, in a rotating order:

    ``lockctl-check``          ``lockctl check`` (the console script, no arguments, as the
                               pre-commit hook runs it) in the project: all five locks, offline.
    ``lockctl-check-changed``  the same after one layer's input gained a requirement (the file is
                               put back afterwards): check then also explains the change, from its
                               cache, still offline. For information; no target.
    ``uv-compile-diff``        what a project without lockctl does: for each lock, copy it to a
                               temporary file, ``uv pip compile --no-config -q IN -o TMP
                               --python-version 3.11 --python-platform x86_64-unknown-linux-gnu``
                               (the copy's pins are uv's preferences), and compare TMP with the
                               lock. The files differ in their headers and ``# via`` lines whatever
                               happens, so they are compared by their pins (``name==version``).
    ``pip-compile-diff``       the same with ``pip-compile -q --allow-unsafe --strip-extras``, in
                               the first ``--rounds-pip-compile`` rounds only (default 1): it is
                               slow. It resolves for this interpreter (3.11.x), not for 3.11.

    uv and pip-compile each keep one cache directory for the whole run, filled by one untimed
    run of each before the rounds: a developer who compiles again has a warm cache. One untimed
    ``lockctl check`` warms the file system cache. lockctl is byte-compiled first, as
    ``pip install`` leaves it.

    For each run: the wall time of the whole sequence (for the compilers: the five compiles and
    comparisons), the largest peak resident memory of its processes (``ru_maxrss`` from
    ``os.wait4``), and its verdict: every lock in sync, or not. The table shows medians; the
    ratios are of medians.

Target (from the issue): with nothing changed, ``lockctl check`` of 5 locks of about 150 pins
takes under 0.15 s of wall time. A ``lockctl check`` that does not say "in sync" with nothing
changed, or says so after the change, fails the run.

Every child runs hermetically against pip's default index: ``PIP_CONFIG_FILE`` is
``os.devnull``, the ``PIP_*``/``UV_*`` index variables are removed, uv gets ``--no-config``.

Usage::

    python benchmarks/check.py [--rounds 10] [--rounds-pip-compile 1]
                               [--tools lockctl,uv,pip-compile] [--timeout 1800] [--json OUT]

Exit status: 0 the target was met, 1 it was missed or a tool failed or check gave a wrong
answer, 2 bad arguments, 3 the index could not be reached (the set-up compile or uv failed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _harness import (
    EXIT_FAILED,
    EXIT_INDEX,
    EXIT_OK,
    BenchmarkAborted,
    Finished,
    compile_lockctl_bytecode,
    format_number,
    hermetic_environment,
    median_or_none,
    run_measured,
    tail,
    tool_executable,
    uv_executable,
)
from compile import LOCKCTL_PLATFORM, TARGET_PYTHON, UV_PLATFORM, read_pins

__all__ = ["Run", "main"]

STACKS = Path(__file__).resolve().parent / "stacks"
BASE_STACKS = ("datascience", "web")
BASE_EXTRAS = ("rich",)
# Each layer includes requirements-base.in and adds these.
LAYERS: dict[str, tuple[str, ...]] = {
    "test": ("pytest", "hypothesis"),
    "docs": ("sphinx",),
    "aws": ("boto3",),
    "lint": ("mypy", "black"),
}
CHANGED_LAYER, ADDED_REQUIREMENT = "aws", "tqdm"

TOOLS = ("lockctl", "uv", "pip-compile")
RUNS: dict[str, tuple[str, ...]] = {  # tool -> its run kinds
    "lockctl": ("lockctl-check", "lockctl-check-changed"),
    "uv": ("uv-compile-diff",),
    "pip-compile": ("pip-compile-diff",),
}
TARGET_RUN = "lockctl-check"
TARGET_SECONDS = 0.15


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One measured run: a check, or compiling every lock again and comparing."""

    wall_s: float
    peak_rss_kib: int
    in_sync: bool
    differences: dict[str, str] = field(default_factory=dict)  # lock -> how its pins differ


class ToolFailed(Exception):
    def __init__(self, message: str, *, index_unreachable: bool = False) -> None:
        super().__init__(message)
        self.index_unreachable = index_unreachable


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    root: Path
    inputs: tuple[Path, ...]  # requirements-*.in, each locked into the .txt beside it
    cache: Path  # lockctl's, shared by compile and check

    @property
    def locks(self) -> tuple[Path, ...]:
        return tuple(path.with_suffix(".txt") for path in self.inputs)


@dataclass(frozen=True, slots=True, kw_only=True)
class Executables:
    lockctl: str
    uv: str | None
    pip_compile: str | None


# -- the project ------------------------------------------------------------------------------


def stack_requirements(name: str) -> list[str]:
    lines = (STACKS / f"{name}.in").read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def write_project(root: Path, cache: Path) -> Project:
    base = sorted({r for name in BASE_STACKS for r in stack_requirements(name)} | {*BASE_EXTRAS})
    stacks = " and ".join(f"{name}.in" for name in BASE_STACKS)
    files = {"base": [f"# benchmarks/stacks/{stacks}, and {', '.join(BASE_EXTRAS)}", *base]}
    files |= {layer: ["-r requirements-base.in", *extra] for layer, extra in LAYERS.items()}
    inputs = []
    for layer, lines in files.items():
        path = root / f"requirements-{layer}.in"
        path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
        inputs.append(path)
    (root / "pyproject.toml").write_text(
        f'[tool.lockctl]\npython-version = "{TARGET_PYTHON}"\nplatform = "{LOCKCTL_PLATFORM}"\n',
        encoding="utf-8",
    )
    return Project(root=root, inputs=tuple(inputs), cache=cache)


def lock_project(project: Project, timeout: float) -> float:
    """``lockctl compile`` of every lock, for real: the set-up. Its wall time, for the record."""
    argv = [sys.executable, "-m", "lockctl", "-q", "compile"]
    env = hermetic_environment(LOCKCTL_CACHE_DIR=str(project.cache))
    finished = run_measured(argv, env, cwd=project.root, timeout=timeout)
    missing = [lock.name for lock in project.locks if not lock.is_file()]
    if finished.returncode != 0 or finished.timed_out or missing:
        raise BenchmarkAborted(
            f"the set-up lockctl compile failed:\n{describe(finished)}",
            exit_code=EXIT_INDEX if finished.returncode == 3 else EXIT_FAILED,
        )
    return finished.wall_s


# -- the runs ---------------------------------------------------------------------------------


def describe(finished: Finished) -> str:
    if finished.timed_out:
        what = f"timed out after {finished.wall_s:.0f} s"
    else:
        what = f"exited with {finished.returncode}"
    output = tail(finished.stderr or finished.stdout)
    for path, shown in ((tempfile.gettempdir(), "<tmp>"), (Path.home(), "~")):
        output = output.replace(str(path), shown)  # the report may be shared: no machine paths
    return what + (f":\n{output}" if output else "")


def run_check(project: Project, exe: Executables, *, timeout: float) -> Run:
    env = hermetic_environment(LOCKCTL_CACHE_DIR=str(project.cache))
    finished = run_measured([exe.lockctl, "check"], env, cwd=project.root, timeout=timeout)
    if finished.timed_out or finished.returncode not in (0, 1):
        raise ToolFailed(f"lockctl check {describe(finished)}")
    return Run(
        wall_s=finished.wall_s,
        peak_rss_kib=finished.peak_rss_kib,
        in_sync=finished.returncode == 0,
    )


def run_check_changed(project: Project, exe: Executables, *, timeout: float) -> Run:
    changed = project.root / f"requirements-{CHANGED_LAYER}.in"
    original = changed.read_bytes()
    changed.write_bytes(original + f"{ADDED_REQUIREMENT}\n".encode())
    try:
        return run_check(project, exe, timeout=timeout)
    finally:
        changed.write_bytes(original)


def compile_argv(tool: str, exe: Executables, source: Path, out: Path, cache: Path) -> list[str]:
    if tool == "uv":
        assert exe.uv is not None
        return [
            *(exe.uv, "pip", "compile", "--no-config", "-q", str(source), "-o", str(out)),
            *("--python-version", TARGET_PYTHON, "--python-platform", UV_PLATFORM),
        ]
    assert tool == "pip-compile" and exe.pip_compile is not None
    return [
        *(exe.pip_compile, "-q", "--allow-unsafe", "--strip-extras"),
        *("--cache-dir", str(cache), "-o", str(out), str(source)),
    ]


def compile_environment(tool: str, cache: Path) -> dict[str, str]:
    if tool == "uv":
        return hermetic_environment(UV_CACHE_DIR=str(cache))
    # pip-compile runs pip in-process: its HTTP and wheel caches follow PIP_CACHE_DIR.
    return hermetic_environment(PIP_CACHE_DIR=str(cache / "pip"), XDG_CACHE_HOME=str(cache))


def run_compile_diff(
    tool: str, project: Project, exe: Executables, *, cache: Path, scratch: Path, timeout: float
) -> Run:
    """Compile every lock again into a copy of it, and compare the pins with the lock."""
    env = compile_environment(tool, cache)
    differences: dict[str, str] = {}
    peak = 0
    start = time.perf_counter()
    for source, lock in zip(project.inputs, project.locks, strict=True):
        out = scratch / lock.name
        shutil.copyfile(lock, out)  # its pins are the compiler's preferences
        argv = compile_argv(tool, exe, source, out, cache)
        finished = run_measured(argv, env, cwd=project.root, timeout=timeout)
        if finished.returncode != 0 or finished.timed_out:
            raise ToolFailed(
                f"{tool} on {source.name} {describe(finished)}",
                index_unreachable=tool == "uv",  # the reference failing means the index did
            )
        peak = max(peak, finished.peak_rss_kib)
        compiled, locked = read_pins(out), read_pins(lock)
        if compiled != locked:
            differences[lock.name] = (
                f"{tool} only: {', '.join(sorted(compiled - locked)) or '-'}; "
                f"lock only: {', '.join(sorted(locked - compiled)) or '-'}"
            )
    wall = time.perf_counter() - start
    return Run(wall_s=wall, peak_rss_kib=peak, in_sync=not differences, differences=differences)


@dataclass(slots=True, kw_only=True)
class Results:
    runs: dict[str, list[Run]]  # run kind -> rounds
    failures: dict[str, str] = field(default_factory=dict)  # tool -> message
    index_unreachable: bool = False


def tool_of(kind: str) -> str:
    return next(tool for tool, kinds in RUNS.items() if kind in kinds)


def measure(kind: str, project: Project, exe: Executables, *, workdir: Path, timeout: float) -> Run:
    if kind == "lockctl-check":
        return run_check(project, exe, timeout=timeout)
    if kind == "lockctl-check-changed":
        return run_check_changed(project, exe, timeout=timeout)
    tool = tool_of(kind)
    scratch = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=workdir))
    try:
        return run_compile_diff(
            tool, project, exe, cache=workdir / f"{tool}-cache", scratch=scratch, timeout=timeout
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def run_rounds(
    project: Project,
    tools: Sequence[str],
    exe: Executables,
    *,
    rounds: int,
    rounds_pip_compile: int,
    workdir: Path,
    timeout: float,
) -> Results:
    kinds = [kind for tool in tools for kind in RUNS[tool]]
    results = Results(runs={kind: [] for kind in kinds})
    for kind in ("lockctl-check", "uv-compile-diff", "pip-compile-diff"):  # untimed warm-ups
        if kind in kinds:
            print(f"warming up: {kind}", file=sys.stderr)
            attempt(results, kind, project, exe, workdir=workdir, timeout=timeout)
    for number in range(rounds):
        shift = number % len(kinds)
        for kind in kinds[shift:] + kinds[:shift]:
            if kind == "pip-compile-diff" and number >= rounds_pip_compile:
                continue
            run = attempt(results, kind, project, exe, workdir=workdir, timeout=timeout)
            if run is not None:
                results.runs[kind].append(run)
        walls = "  ".join(
            f"{kind} {rows[-1].wall_s:.3f}s"
            for kind, rows in results.runs.items()
            if len(rows) == number + 1
        )
        print(f"round {number + 1}/{rounds}: {walls}", file=sys.stderr)
    return results


def attempt(
    results: Results,
    kind: str,
    project: Project,
    exe: Executables,
    *,
    workdir: Path,
    timeout: float,
) -> Run | None:
    """One run; a tool that failed once is not run again, and the reference failing aborts."""
    tool = tool_of(kind)
    if tool in results.failures:
        return None
    try:
        return measure(kind, project, exe, workdir=workdir, timeout=timeout)
    except ToolFailed as exc:
        print(f"  {exc}", file=sys.stderr)
        results.failures[tool] = str(exc)
        results.index_unreachable |= exc.index_unreachable
        return None


# -- summary ----------------------------------------------------------------------------------


def medians(results: Results) -> dict[str, dict[str, float | None]]:
    return {
        kind: {
            "rounds": len(rows),
            "wall_s": median_or_none([r.wall_s for r in rows]),
            "peak_mb": median_or_none([r.peak_rss_kib / 1024 for r in rows]),
        }
        for kind, rows in results.runs.items()
    }


def ratios(table: Mapping[str, Mapping[str, float | None]]) -> dict[str, float | None]:
    reference = table.get(TARGET_RUN, {}).get("wall_s")
    found: dict[str, float | None] = {}
    for kind in ("uv-compile-diff", "pip-compile-diff", "lockctl-check-changed"):
        wall = table.get(kind, {}).get("wall_s")
        found[f"{kind} / {TARGET_RUN}"] = (
            None if wall is None or not reference else wall / reference
        )
    return found


def verdict_of(kind: str, rows: Sequence[Run]) -> str:
    """What the runs concluded, and whether that is right (nothing changed, but for one)."""
    if not rows:
        return "-"
    expected = kind != "lockctl-check-changed"
    if all(r.in_sync == expected for r in rows):
        return "in sync" if expected else "out of sync (right)"
    wrong = sum(r.in_sync != expected for r in rows)
    return f"{'WRONG' if kind.startswith('lockctl') else 'differs'} in {wrong} of {len(rows)}"


def wrong_answers(results: Results) -> list[str]:
    """lockctl check runs whose answer was wrong: that makes their times meaningless."""
    return [
        kind
        for kind, rows in results.runs.items()
        if kind.startswith("lockctl") and verdict_of(kind, rows).startswith("WRONG")
    ]


def target_met(table: Mapping[str, Mapping[str, float | None]]) -> bool | None:
    wall = table.get(TARGET_RUN, {}).get("wall_s")
    return None if wall is None else wall < TARGET_SECONDS


def render(
    results: Results,
    table: Mapping[str, Mapping[str, float | None]],
    pins: Mapping[str, int],
    *,
    rounds: int,
) -> str:
    locks = ", ".join(f"{name} {count}" for name, count in pins.items())
    header = f"{'run':<24}{'rounds':>7}{'wall s':>9}{'peak MB':>9}  verdict"
    lines = [
        f"{len(pins)} locks (pins: {locks}); medians of the rounds shown (of {rounds}), "
        f"{os.cpu_count()} CPUs",
        header,
        "-" * (len(header) + 12),
    ]
    for kind, row in table.items():
        lines.append(
            f"{kind:<24}{format_number(row['rounds'], '.0f'):>7}"
            f"{format_number(row['wall_s'], '.3f'):>9}"
            f"{format_number(row['peak_mb'], '.1f'):>9}  {verdict_of(kind, results.runs[kind])}"
        )
    lines.append("")
    for name, value in ratios(table).items():
        lines.append(f"{name:<42}{'-' if value is None else f'{value:.1f}x':>9}")
    for kind, rows in results.runs.items():
        for lock, difference in (rows[-1].differences if rows else {}).items():
            lines.append(f"{kind}, {lock}: {difference}")
    lines += [f"FAILED {tool}: {message}" for tool, message in results.failures.items()]
    wall = table.get(TARGET_RUN, {}).get("wall_s")
    status = {True: "PASS", False: "FAIL", None: "NOT JUDGED"}[target_met(table)]
    if wrong_answers(results):
        status = "FAIL (a wrong answer)"
    lines.append(
        f"target: {TARGET_RUN} of {len(pins)} locks, nothing changed, < {TARGET_SECONDS} s: "
        f"{status} ({format_number(wall, '.3f')} s)"
    )
    return "\n".join(lines)


def tool_versions(exe: Executables) -> dict[str, str]:
    commands = {"lockctl": [exe.lockctl, "--version"]}
    if exe.uv is not None:
        commands["uv"] = [exe.uv, "--version"]
    if exe.pip_compile is not None:
        commands["pip-compile"] = [exe.pip_compile, "--version"]
    return {
        tool: subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
        for tool, argv in commands.items()
    }


def document(
    results: Results,
    table: Mapping[str, Mapping[str, float | None]],
    pins: Mapping[str, int],
    exe: Executables,
    args: argparse.Namespace,
    *,
    setup_s: float,
) -> dict[str, Any]:
    return {
        "benchmark": "check",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.system(),
            **tool_versions(exe),
        },
        "target": {"python": TARGET_PYTHON, "platform": LOCKCTL_PLATFORM},
        "rounds": args.rounds,
        "rounds_pip_compile": args.rounds_pip_compile,
        "project": {
            "locks": dict(pins),  # names, not paths of this machine
            "layers": {layer: list(extra) for layer, extra in LAYERS.items()},
            "changed": f"requirements-{CHANGED_LAYER}.in + {ADDED_REQUIREMENT}",
            "setup_compile_s": setup_s,
        },
        "runs": {kind: [asdict(r) for r in rows] for kind, rows in results.runs.items()},
        "medians": dict(table),
        "ratios": ratios(table),
        "target_seconds": TARGET_SECONDS,
        "target_met": target_met(table),
        "wrong_answers": wrong_answers(results),
        "failures": results.failures,
    }


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10, help="rounds to run (default 10)")
    parser.add_argument(
        "--rounds-pip-compile",
        type=int,
        default=1,
        metavar="N",
        help="run pip-compile in the first N rounds only (default 1)",
    )
    parser.add_argument(
        "--tools",
        default=",".join(TOOLS),
        help=f"comma-separated tools to time (default {','.join(TOOLS)})",
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a run is killed (1800)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write results as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.rounds_pip_compile < 1 or args.timeout <= 0:
        parser.error("--rounds, --rounds-pip-compile and --timeout must be positive")
    tools = {t.strip() for t in args.tools.split(",") if t.strip()}
    if not tools or not tools <= set(TOOLS):
        parser.error(f"--tools: choose from {', '.join(TOOLS)} (got {args.tools!r})")
    args.tools = [t for t in TOOLS if t in tools]
    return args


def executables(tools: Sequence[str]) -> Executables:
    return Executables(
        lockctl=tool_executable("lockctl", install="pip install -e ."),
        uv=uv_executable() if "uv" in tools else None,
        pip_compile=tool_executable("pip-compile", install="pip install pip-tools")
        if "pip-compile" in tools
        else None,
    )


def exit_status(results: Results, table: Mapping[str, Mapping[str, float | None]]) -> int:
    if results.index_unreachable:
        return EXIT_INDEX
    if results.failures or wrong_answers(results) or target_met(table) is False:
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        compile_lockctl_bytecode()
        exe = executables(args.tools)
        with tempfile.TemporaryDirectory(prefix="lockctl-bench-check-") as scratch:
            workdir = Path(scratch)
            (workdir / "project").mkdir()
            project = write_project(workdir / "project", workdir / "lockctl-cache")
            print("set-up: lockctl compile of the project (not timed)", file=sys.stderr)
            setup_s = lock_project(project, args.timeout)
            pins = {lock.name: len(read_pins(lock)) for lock in project.locks}
            results = run_rounds(
                project,
                args.tools,
                exe,
                rounds=args.rounds,
                rounds_pip_compile=min(args.rounds_pip_compile, args.rounds),
                workdir=workdir,
                timeout=args.timeout,
            )
    except BenchmarkAborted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    table = medians(results)
    print(render(results, table, pins, rounds=args.rounds))
    if args.json is not None:
        report = document(results, table, pins, exe, args, setup_s=setup_s)
        args.json.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return exit_status(results, table)


if __name__ == "__main__":
    sys.exit(main())
