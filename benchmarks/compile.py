"""Benchmark: ``lockctl compile`` against ``uv pip compile`` and ``pip-compile``, cold and warm.

What is measured
    Each tool compiles the same real stacks (``benchmarks/stacks/*.in``: ``small``, about 10
    pins; ``web``, about 40; ``datascience``, about 120, where the newest releases fit
    together; ``ml``, about 100, a framework layer over ``ml-core.in`` that caps numpy,
    pyarrow and pydantic below their newest releases and pins older data libraries, so that
    the resolver rejects dozens of releases of datasets, fastapi and others before one fits)
    into a lock for one target, CPython 3.11 on x86_64 Linux. pip-compile can only resolve for
    the interpreter that runs it, so it runs on this virtualenv's Python 3.11; the others are
    told ``--python-version 3.11`` and the matching platform. The commands::

        python -m lockctl -v compile STACK.in -o OUT --python-version 3.11 \\
            --platform linux_x86_64                      (LOCKCTL_CACHE_DIR=CACHE)
        uv pip compile --no-config -q STACK.in -o OUT --python-version 3.11 \\
            --python-platform x86_64-unknown-linux-gnu   (UV_CACHE_DIR=CACHE)
        pip-compile -q --allow-unsafe --strip-extras --cache-dir CACHE -o OUT STACK.in
                                 (PIP_CACHE_DIR=CACHE/pip, XDG_CACHE_HOME=CACHE)

    Run kinds, per tool and round:

    ``cold``   a fresh, empty cache directory and no OUT file.
    ``warm``   right after ``cold``: the same cache directory and its OUT file present, which is
               the "previous lock" that all three tools reuse as preferences.
    ``cold-lock``  after ``warm``: a fresh, empty cache directory, with the OUT file present
               (a CI machine with the committed lock and no cache).
    ``first``  lockctl only, before its ``cold``: an entirely empty cache. lockctl remembers
               pip's default index in its cache (learned from ``pip install --help``, about
               0.4 s, once per pip version); its ``cold`` run gets only that one
               ``pip-default-index-*.txt`` file copied in, as ``benchmarks/metadata.py`` does.

    Before the timed rounds of a stack, one untimed ``uv pip compile`` warms whatever proxy sits
    between this machine and the index, so that no tool pays for being first; then each round
    runs every tool (cold, then warm), the order of the tools rotating from round to round.
    pip-compile is slow on big stacks (it downloads whole wheels when the index offers no
    PEP 658 metadata), so it runs only in the first ``--rounds-pip-compile`` rounds (default 1).

    For each run: wall time (``time.perf_counter`` around ``Popen`` .. ``os.wait4``), peak
    resident memory (``ru_maxrss`` from ``os.wait4``: the largest of the process and of any
    child it waited for), the size of the cache directory afterwards, and the number of pins in
    OUT. For lockctl also the serial round trips from the figures line ``-v`` ends with:
    metadata fetches that began only when the resolver asked for them, each a round trip it
    sat through. The tables show medians; the ratios are of medians.

Targets (issue 15), judged on every stack:
    lockctl-cold and lockctl-cold-lock at most 1.0x uv under the same conditions; lockctl-warm
    under 0.3 s on stacks of 100 pins or more; lockctl's peak memory (the largest median of
    its run kinds) under 150 MB; at most 5 serial round trips in any lockctl run. On the
    ``datascience`` stack also lockctl-cold at least 10x faster than pip-compile-cold (an
    earlier issue's). Whether lockctl's pins equal uv's is reported, not judged.

Every child runs hermetically against pip's default index: ``PIP_CONFIG_FILE`` is
``os.devnull``, the ``PIP_*``/``UV_*`` index variables are removed, uv gets ``--no-config``.

Usage::

    python benchmarks/compile.py [--stack NAME]... [--rounds 3] [--rounds-pip-compile 1]
                                 [--tools lockctl,uv,pip-compile] [--timeout 1800] [--json OUT]

Exit status: 0 every target that could be judged was met, 1 a target missed or a tool failed,
2 bad arguments, 3 the index could not be reached (uv failed, or lockctl exited with 3).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
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
    directory_size,
    format_number,
    hermetic_environment,
    median_or_none,
    run_measured,
    tail,
    tool_executable,
    uv_executable,
)
from packaging.utils import canonicalize_name

__all__ = ["Run", "main"]

HERE = Path(__file__).resolve().parent
STACKS = HERE / "stacks"
DEFAULT_STACKS = ("small", "web", "datascience", "ml")
TOOLS = ("lockctl", "uv", "pip-compile")

TARGET_PYTHON = "3.11"
LOCKCTL_PLATFORM = "linux_x86_64"
UV_PLATFORM = "x86_64-unknown-linux-gnu"

PIP_COMPILE_STACK = "datascience"
PIP_COMPILE_SPEEDUP_TARGET = 10.0
UV_RATIO_TARGET = 1.0  # lockctl-cold / uv-cold and lockctl-cold-lock / uv-cold-lock
WARM_SECONDS_TARGET = 0.3
WARM_MIN_PINS = 100  # the warm target is for stacks of this many pins or more
PEAK_MB_TARGET = 150.0
SERIAL_TARGET = 5

RUN_KINDS: dict[str, tuple[str, ...]] = {
    "uv": ("cold", "warm", "cold-lock"),
    "lockctl": ("first", "cold", "warm", "cold-lock"),
    "pip-compile": ("cold", "warm"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    """One measured compile."""

    wall_s: float
    peak_rss_kib: int
    cache_bytes: int
    pins: int
    serial: int | None = None  # lockctl only: serial metadata round trips (its -v figures)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invocation:
    argv: list[str]
    env: dict[str, str]


class ToolFailed(Exception):
    """One tool could not compile a stack; the other tools carry on."""

    def __init__(self, message: str, *, index_unreachable: bool) -> None:
        super().__init__(message)
        self.index_unreachable = index_unreachable


@dataclass(slots=True, kw_only=True)
class StackResult:
    """Everything measured on one stack."""

    name: str
    runs: dict[str, list[Run]] = field(default_factory=dict)  # "lockctl-cold" -> rounds
    pins: dict[str, frozenset[str]] = field(default_factory=dict)  # tool -> its last cold lock
    failures: dict[str, str] = field(default_factory=dict)  # tool -> message
    index_unreachable: bool = False


# -- the commands -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Executables:
    uv: str
    pip_compile: str | None


def invocation(tool: str, exe: Executables, stack: Path, out: Path, cache: Path) -> Invocation:
    if tool == "lockctl":
        # -v: the run ends with its line of figures (serial round trips among them).
        argv = [sys.executable, "-m", "lockctl", "-v", "compile", str(stack), "-o", str(out)]
        argv += ["--python-version", TARGET_PYTHON, "--platform", LOCKCTL_PLATFORM]
        return Invocation(argv=argv, env=hermetic_environment(LOCKCTL_CACHE_DIR=str(cache)))
    if tool == "uv":
        argv = [exe.uv, "pip", "compile", "--no-config", "-q", str(stack), "-o", str(out)]
        argv += ["--python-version", TARGET_PYTHON, "--python-platform", UV_PLATFORM]
        return Invocation(argv=argv, env=hermetic_environment(UV_CACHE_DIR=str(cache)))
    assert tool == "pip-compile" and exe.pip_compile is not None
    argv = [exe.pip_compile, "-q", "--allow-unsafe", "--strip-extras", "--cache-dir", str(cache)]
    argv += ["-o", str(out), str(stack)]
    # pip-compile runs pip in-process: its HTTP and wheel caches follow PIP_CACHE_DIR.
    env = hermetic_environment(PIP_CACHE_DIR=str(cache / "pip"), XDG_CACHE_HOME=str(cache))
    return Invocation(argv=argv, env=env)


def read_pins(lock: Path) -> frozenset[str]:
    """``name==version`` of every requirement line of a pip-tools style lock, names normalized.

    Comments, options (``--index-url``) and continuation lines (``--hash``) are skipped;
    markers and extras are dropped.
    """
    pins: set[str] = set()
    for line in lock.read_text(encoding="utf-8").splitlines():
        if not line or line[0].isspace() or line.startswith(("#", "-")):
            continue
        requirement = line.split(";", 1)[0].split(" \\", 1)[0].strip()
        name, separator, version = requirement.partition("==")
        if separator:
            pins.add(f"{canonicalize_name(name.split('[', 1)[0])}=={version.strip()}")
    return frozenset(pins)


# -- measuring --------------------------------------------------------------------------------


def measure(
    tool: str,
    kind: str,
    exe: Executables,
    stack: Path,
    *,
    out: Path,
    cache: Path,
    timeout: float,
) -> tuple[Run, frozenset[str]]:
    call = invocation(tool, exe, stack, out, cache)
    finished = run_measured(call.argv, call.env, cwd=out.parent, timeout=timeout)
    if finished.returncode != 0 or finished.timed_out or not out.is_file():
        raise ToolFailed(
            describe_failure(tool, kind, finished),
            index_unreachable=tool == "uv" or (tool == "lockctl" and finished.returncode == 3),
        )
    pins = read_pins(out)
    run = Run(
        wall_s=finished.wall_s,
        peak_rss_kib=finished.peak_rss_kib,
        cache_bytes=directory_size(cache),
        pins=len(pins),
        serial=serial_round_trips(finished.stderr) if tool == "lockctl" else None,
    )
    return run, pins


_SERIAL = re.compile(r"^figures: .*? (\d+) serial;", re.MULTILINE)


def serial_round_trips(stderr: str) -> int | None:
    """The serial round trips from lockctl's ``-v`` figures line (None: no such line)."""
    found = _SERIAL.search(stderr)
    return int(found.group(1)) if found else None


def describe_failure(tool: str, kind: str, finished: Finished) -> str:
    if finished.timed_out:
        what = f"timed out after {finished.wall_s:.0f} s"
    elif finished.returncode != 0:
        what = f"exited with {finished.returncode}"
    else:
        what = "exited with 0 but wrote no lock"
    output = tail(finished.stderr or finished.stdout)
    # The report may be written to a file: no path of this machine in it.
    for path, shown in ((HERE, "benchmarks"), (tempfile.gettempdir(), "<tmp>"), (Path.home(), "~")):
        output = output.replace(str(path), shown)
    return f"{tool}-{kind} {what}" + (f":\n{output}" if output else "")


def measure_tool(
    tool: str, exe: Executables, stack: Path, *, round_dir: Path, timeout: float
) -> tuple[dict[str, Run], frozenset[str]]:
    """One round of one tool: ``first`` (lockctl only), ``cold``, ``warm``, ``cold-lock``; and
    the cold pins."""
    runs: dict[str, Run] = {}
    cache = round_dir / "cache"
    cache.mkdir(parents=True)
    remembered: list[Path] = []
    if tool == "lockctl":
        first = round_dir / "first"
        (first / "cache").mkdir(parents=True)
        runs["first"], _ = measure(
            tool,
            "first",
            exe,
            stack,
            out=first / "lock.txt",
            cache=first / "cache",
            timeout=timeout,
        )
        for found in (first / "cache").glob("pip-default-index-*.txt"):
            remembered.append(round_dir / found.name)
            shutil.copy(found, round_dir / found.name)
            shutil.copy(found, cache / found.name)
        shutil.rmtree(first, ignore_errors=True)
    out = round_dir / "lock.txt"
    runs["cold"], pins = measure(tool, "cold", exe, stack, out=out, cache=cache, timeout=timeout)
    runs["warm"], warm_pins = measure(
        tool, "warm", exe, stack, out=out, cache=cache, timeout=timeout
    )
    if warm_pins != pins:
        print(f"  note: {tool}-warm wrote other pins than {tool}-cold", file=sys.stderr)
    if "cold-lock" not in RUN_KINDS[tool]:
        return runs, pins
    fresh = round_dir / "cache-lock"
    fresh.mkdir()
    for found in remembered:
        shutil.copy(found, fresh / found.name)
    runs["cold-lock"], lock_pins = measure(
        tool, "cold-lock", exe, stack, out=out, cache=fresh, timeout=timeout
    )
    if lock_pins != pins:
        print(f"  note: {tool}-cold-lock wrote other pins than {tool}-cold", file=sys.stderr)
    return runs, pins


def warm_up(exe: Executables, stack: Path, workdir: Path) -> None:
    """An untimed uv compile: the index (or a proxy before it) has now seen every page."""
    scratch = Path(tempfile.mkdtemp(prefix="warm-up-", dir=workdir))
    call = invocation("uv", exe, stack, scratch / "lock.txt", scratch / "cache")
    finished = run_measured(call.argv, call.env, cwd=scratch, timeout=600)
    shutil.rmtree(scratch, ignore_errors=True)
    if finished.returncode != 0:
        raise BenchmarkAborted(
            f"uv pip compile of {stack.name} failed (is the index reachable?):\n"
            f"{tail(finished.stderr)}",
            exit_code=EXIT_INDEX,
        )


def run_stack(
    stack: Path,
    tools: Sequence[str],
    exe: Executables,
    *,
    rounds: int,
    rounds_pip_compile: int,
    timeout: float,
    workdir: Path,
) -> StackResult:
    result = StackResult(name=stack.stem)
    for tool in tools:
        for kind in RUN_KINDS[tool]:
            result.runs[f"{tool}-{kind}"] = []
    warm_up(exe, stack, workdir)
    for number in range(rounds):
        order = [*tools[number % len(tools) :], *tools[: number % len(tools)]]
        for tool in order:
            if tool in result.failures or (tool == "pip-compile" and number >= rounds_pip_compile):
                continue
            round_dir = Path(tempfile.mkdtemp(prefix=f"{stack.stem}-{tool}-", dir=workdir))
            try:
                runs, pins = measure_tool(tool, exe, stack, round_dir=round_dir, timeout=timeout)
            except ToolFailed as exc:
                result.failures[tool] = str(exc)
                result.index_unreachable |= exc.index_unreachable
                print(f"  {exc}", file=sys.stderr)
                if tool == "uv":  # the reference failing means the index did
                    raise BenchmarkAborted(str(exc), exit_code=EXIT_INDEX) from None
                continue
            finally:
                shutil.rmtree(round_dir, ignore_errors=True)
            for kind, run in runs.items():
                result.runs[f"{tool}-{kind}"].append(run)
            result.pins[tool] = pins
        walls = "  ".join(
            f"{name} {rows[-1].wall_s:.2f}s"
            for name, rows in result.runs.items()
            if len(rows) == number + 1
        )
        print(f"{stack.stem} round {number + 1}/{rounds}: {walls}", file=sys.stderr)
    return result


# -- summary ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    target: str
    value: str
    passed: bool | None  # None: could not be judged (a tool not run)


def medians(result: StackResult) -> dict[str, dict[str, float | None]]:
    table: dict[str, dict[str, float | None]] = {}
    for name, rows in result.runs.items():
        table[name] = {
            "rounds": len(rows),
            "wall_s": median_or_none([r.wall_s for r in rows]),
            "peak_mb": median_or_none([r.peak_rss_kib / 1024 for r in rows]),
            "cache_mb": median_or_none([r.cache_bytes / 1e6 for r in rows]),
            "pins": median_or_none([r.pins for r in rows]),
            "serial_max": max((r.serial for r in rows if r.serial is not None), default=None),
        }
    return table


def ratio(table: Mapping[str, Mapping[str, float | None]], top: str, bottom: str) -> float | None:
    numerator = table.get(top, {}).get("wall_s")
    denominator = table.get(bottom, {}).get("wall_s")
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ratios(table: Mapping[str, Mapping[str, float | None]]) -> dict[str, float | None]:
    return {
        f"lockctl/{other} {kind}": ratio(table, f"lockctl-{kind}", f"{other}-{kind}")
        for other in ("uv", "pip-compile")
        for kind in ("cold", "warm", "cold-lock")
        if f"{other}-{kind}" in table
    } | {"lockctl-first/uv cold": ratio(table, "lockctl-first", "uv-cold")}


def judge(result: StackResult, table: Mapping[str, Mapping[str, float | None]]) -> list[Verdict]:
    """Issue 15's targets on one stack's medians (and the pip-compile one on its stack)."""
    lockctl_failed = "lockctl" in result.failures

    def verdict(
        target: str, value: float | None, limit: float, shown: str, *, inclusive: bool
    ) -> Verdict:
        target = f"{result.name}: {target}"
        if lockctl_failed:
            return Verdict(target=target, value="lockctl failed", passed=False)
        if value is None:
            return Verdict(target=target, value="not run", passed=None)
        passed = value <= limit if inclusive else value < limit
        return Verdict(target=target, value=format(value, shown), passed=passed)

    peaks = [table[k]["peak_mb"] for k in table if k.startswith("lockctl-")]
    peak = max((p for p in peaks if p is not None), default=None)
    serials = [table[k]["serial_max"] for k in table if k.startswith("lockctl-")]
    serial = max((s for s in serials if s is not None), default=None)
    verdicts = [
        verdict(
            f"lockctl-{kind} / uv-{kind} <= {UV_RATIO_TARGET}",
            ratio(table, f"lockctl-{kind}", f"uv-{kind}"),
            UV_RATIO_TARGET,
            ".2f",
            inclusive=True,
        )
        for kind in ("cold", "cold-lock")
    ]
    pins = table.get("lockctl-cold", {}).get("pins")
    if pins is not None and pins >= WARM_MIN_PINS:
        verdicts.append(
            verdict(
                f"lockctl-warm < {WARM_SECONDS_TARGET} s",
                table.get("lockctl-warm", {}).get("wall_s"),
                WARM_SECONDS_TARGET,
                ".3f",
                inclusive=False,
            )
        )
    verdicts += [
        verdict(
            f"lockctl peak memory < {PEAK_MB_TARGET:.0f} MB",
            peak,
            PEAK_MB_TARGET,
            ".1f",
            inclusive=False,
        ),
        verdict(
            f"lockctl serial round trips <= {SERIAL_TARGET} (any run)",
            serial,
            SERIAL_TARGET,
            ".0f",
            inclusive=True,
        ),
    ]
    if result.name == PIP_COMPILE_STACK:
        verdicts.append(
            verdict(
                f"lockctl-cold / pip-compile-cold <= {1 / PIP_COMPILE_SPEEDUP_TARGET:.2f} "
                f"({PIP_COMPILE_SPEEDUP_TARGET:.0f}x faster)",
                ratio(table, "lockctl-cold", "pip-compile-cold"),
                1 / PIP_COMPILE_SPEEDUP_TARGET,
                ".3f",
                inclusive=True,
            )
        )
    return verdicts


def pin_comparison(result: StackResult, tool: str, reference: str = "uv") -> str:
    """Whether two tools' cold locks pin the same releases, and where they differ."""
    pins, expected = result.pins.get(tool), result.pins.get(reference)
    if pins is None or expected is None:
        return f"{tool}'s pins vs {reference}'s: not compared (one of them did not run)"
    if pins == expected:
        return f"{tool}'s pins equal {reference}'s ({len(expected)})"
    only_tool, only_reference = sorted(pins - expected), sorted(expected - pins)
    return (
        f"{tool}'s pins differ from {reference}'s: {tool} only {', '.join(only_tool) or '-'}; "
        f"{reference} only {', '.join(only_reference) or '-'}"
    )


def render_stack(
    result: StackResult, table: Mapping[str, Mapping[str, float | None]], *, rounds: int
) -> str:
    header = (
        f"{'run':<18}{'rounds':>7}{'wall s':>9}{'peak MB':>9}{'cache MB':>10}{'pins':>6}"
        f"{'serial':>8}"
    )
    lines = [
        f"stack {result.name} ({result.name}.in), medians of the rounds shown (of {rounds}), "
        f"{os.cpu_count()} CPUs",
        header,
        "-" * len(header),
    ]
    for name, row in table.items():
        lines.append(
            f"{name:<18}{format_number(row['rounds'], '.0f'):>7}"
            f"{format_number(row['wall_s'], '.3f'):>9}"
            f"{format_number(row['peak_mb'], '.1f'):>9}"
            f"{format_number(row['cache_mb'], '.1f'):>10}"
            f"{format_number(row['pins'], '.0f'):>6}"
            f"{format_number(row['serial_max'], '.0f'):>8}"
        )
    lines.append("")
    for name, value in ratios(table).items():
        shown = "-" if value is None else f"{value:.3f}x"
        lines.append(f"{name:<26}{shown:>9}")
    lines.append(pin_comparison(result, "lockctl"))
    if "pip-compile" in result.pins:  # context: the two references need not agree either
        lines.append(pin_comparison(result, "pip-compile"))
    lines += [f"FAILED {tool}: {message}" for tool, message in result.failures.items()]
    return "\n".join(lines)


def render_verdicts(verdicts: Sequence[Verdict]) -> str:
    lines = ["targets:"]
    for v in verdicts:
        status = {True: "PASS", False: "FAIL", None: "NOT JUDGED"}[v.passed]
        lines.append(f"  {status:<10} {v.target}: {v.value}")
    return "\n".join(lines)


def stack_json(
    result: StackResult, table: Mapping[str, Mapping[str, float | None]]
) -> dict[str, Any]:
    uv, lockctl = result.pins.get("uv"), result.pins.get("lockctl")
    return {
        "file": f"{result.name}.in",  # a name, not a path of this machine
        "runs": {name: [asdict(r) for r in rows] for name, rows in result.runs.items()},
        "medians": dict(table),
        "ratios": ratios(table),
        "pins": {tool: sorted(pins) for tool, pins in result.pins.items()},
        "lockctl_pins_equal_uv": None if uv is None or lockctl is None else uv == lockctl,
        "failures": result.failures,
    }


def tool_versions(exe: Executables) -> dict[str, str]:
    commands = {"uv": [exe.uv, "--version"]}
    if exe.pip_compile is not None:
        commands["pip-compile"] = [exe.pip_compile, "--version"]
    return {
        tool: subprocess.run(argv, capture_output=True, text=True, check=False).stdout.strip()
        for tool, argv in commands.items()
    }


# -- main -------------------------------------------------------------------------------------


def stack_file(name: str) -> Path:
    """A name in ``benchmarks/stacks`` (``web``), or the path of an ``.in`` file."""
    path = Path(name)
    return path if path.suffix == ".in" and path.is_file() else STACKS / f"{name}.in"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument(
        "--stack",
        action="append",
        metavar="NAME",
        help=f"a stack in benchmarks/stacks, repeatable (default: {', '.join(DEFAULT_STACKS)})",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds to run (default 3)")
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
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown or not tools:
        parser.error(f"--tools: choose from {', '.join(TOOLS)} (got {args.tools!r})")
    args.tools = [t for t in TOOLS if t in tools]  # a fixed order: lockctl, uv, pip-compile
    args.stacks = [stack_file(name) for name in args.stack or DEFAULT_STACKS]
    missing = [str(s) for s in args.stacks if not s.is_file()]
    if missing:
        parser.error(f"no such stack: {', '.join(missing)}")
    return args


def exit_status(results: Sequence[StackResult], verdicts: Sequence[Verdict]) -> int:
    if any(r.index_unreachable for r in results):
        return EXIT_INDEX
    if any(r.failures for r in results) or any(v.passed is False for v in verdicts):
        return EXIT_FAILED
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    results: list[StackResult] = []
    try:
        compile_lockctl_bytecode()
        exe = Executables(
            uv=uv_executable(),
            pip_compile=tool_executable("pip-compile", install="pip install pip-tools")
            if "pip-compile" in args.tools
            else None,
        )
        with tempfile.TemporaryDirectory(prefix="lockctl-bench-") as scratch:
            for stack in args.stacks:
                print(f"{stack.stem}: {', '.join(args.tools)}", file=sys.stderr)
                results.append(
                    run_stack(
                        stack,
                        args.tools,
                        exe,
                        rounds=args.rounds,
                        rounds_pip_compile=min(args.rounds_pip_compile, args.rounds),
                        timeout=args.timeout,
                        workdir=Path(scratch),
                    )
                )
    except BenchmarkAborted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    tables = [medians(r) for r in results]
    verdicts: list[Verdict] = []
    for result, table in zip(results, tables, strict=True):
        print(render_stack(result, table, rounds=args.rounds), end="\n\n")
        if "lockctl" in args.tools:
            verdicts += judge(result, table)
    if verdicts:
        print(render_verdicts(verdicts))
    else:
        print("targets not judged: they need lockctl")

    if args.json is not None:
        document = {
            "benchmark": "compile",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "system": platform.system(),
                **tool_versions(exe),
            },
            "target": {"python": TARGET_PYTHON, "platform": LOCKCTL_PLATFORM},
            "rounds": args.rounds,
            "rounds_pip_compile": args.rounds_pip_compile,
            "stacks": {r.name: stack_json(r, t) for r, t in zip(results, tables, strict=True)},
            "verdicts": [asdict(v) for v in verdicts],
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return exit_status(results, verdicts)


if __name__ == "__main__":
    sys.exit(main())
