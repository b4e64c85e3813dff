"""Benchmark: the core metadata of ~100 real releases of a data-science stack, cold and warm.

What is measured
    The releases are the pins that ``uv pip compile`` finds for the stack
    (``benchmarks/stacks/datascience.in`` by default) for CPython 3.11 on
    x86_64 manylinux_2_28, sorted by name, the first ``--releases`` of them (default 100).
    Compiling them is setup and is not timed.

    Each round then runs three subprocesses, in this order:

    ``uv-cold``       ``uv pip compile`` of the whole stack with a fresh, empty ``UV_CACHE_DIR``:
                      the reference. It resolves, so it reads pages and metadata of every pin
                      (and of any candidate it backtracks over).
    ``lockctl-first`` ``_fetch_metadata.py`` with a fresh, empty ``LOCKCTL_CACHE_DIR``: the project
                      page of every pin, one file per release, and its metadata, in parallel;
                      being the first run, it also asks pip for its default index (about 0.4 s,
                      remembered per pip version).
    ``lockctl-cold``  the same with an empty index cache, pip's default index already known.
    ``lockctl-warm``  the same again on the cache the cold run just filled.

    For each run: wall time (``time.perf_counter`` around ``Popen`` .. ``os.wait4``), peak
    resident memory (``ru_maxrss`` from ``os.wait4``: the largest of the process and of any
    child it waited for, such as the ``pip install --help`` lockctl runs to learn pip's default
    index on a first run; a maximum, not a sum), the size of the cache it left, and for lockctl
    the HTTP requests made and body bytes received (``HttpFetcher.stats``). The table shows
    medians over ``--rounds``.

Targets (from the issue): lockctl-cold within 2x of uv-cold; lockctl-warm under 0.3 s.

Every child runs hermetically against pip's default index: ``PIP_CONFIG_FILE`` is
``os.devnull``, the ``PIP_*``/``UV_*`` index variables are removed, uv gets ``--no-config``.

Usage::

    python benchmarks/metadata.py [--rounds 5] [--stack FILE] [--releases 100] [--json OUT]

Exit status: 0 both targets met, 1 a target missed or lockctl failed to read some metadata,
2 bad arguments, 3 the index could not be reached.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
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
    uv_executable,
)

__all__ = ["Measurement", "main"]

HERE = Path(__file__).resolve().parent
CHILD = HERE / "_fetch_metadata.py"
DEFAULT_STACK = HERE / "stacks" / "datascience.in"

TARGET_PYTHON = "3.11"
TARGET_PLATFORM = "x86_64-manylinux_2_28"
COLD_RATIO_TARGET = 2.0
WARM_SECONDS_TARGET = 0.3


@dataclass(frozen=True, slots=True, kw_only=True)
class Measurement:
    """One subprocess run."""

    wall_s: float
    peak_rss_kib: int
    cache_bytes: int
    requests: int | None = None  # lockctl only: uv does not report these
    bytes_received: int | None = None


# -- running children -------------------------------------------------------------------------


def uv_compile_command(uv: str, stack: Path) -> list[str]:
    return [
        uv,
        "pip",
        "compile",
        "--no-config",
        "--python-version",
        TARGET_PYTHON,
        "--python-platform",
        TARGET_PLATFORM,
        "--no-header",
        "--no-annotate",
        "--quiet",
        str(stack),
    ]


# -- the three kinds of run -------------------------------------------------------------------


def compile_pins(uv: str, stack: Path, workdir: Path) -> list[str]:
    """Setup: the stack's pins as sorted ``name==version`` lines, from ``uv pip compile``."""
    cache = Path(tempfile.mkdtemp(prefix="uv-setup-", dir=workdir))
    env = hermetic_environment(UV_CACHE_DIR=str(cache))
    finished = run_measured(uv_compile_command(uv, stack), env)
    if finished.returncode != 0:
        raise BenchmarkAborted(
            f"uv pip compile failed (is the index reachable?):\n{tail(finished.stderr)}",
            exit_code=EXIT_INDEX,
        )
    shutil.rmtree(cache, ignore_errors=True)
    pins = [
        line.split(";", 1)[0].strip()
        for line in finished.stdout.splitlines()
        if "==" in line and not line.lstrip().startswith("#")
    ]
    return sorted(pins, key=str.lower)


def measure_uv(uv: str, stack: Path, workdir: Path) -> Measurement:
    cache = Path(tempfile.mkdtemp(prefix="uv-cold-", dir=workdir))
    finished = run_measured(
        uv_compile_command(uv, stack), hermetic_environment(UV_CACHE_DIR=str(cache))
    )
    if finished.returncode != 0:
        raise BenchmarkAborted(
            f"uv pip compile failed:\n{tail(finished.stderr)}", exit_code=EXIT_INDEX
        )
    measurement = Measurement(
        wall_s=finished.wall_s,
        peak_rss_kib=finished.peak_rss_kib,
        cache_bytes=directory_size(cache),
    )
    shutil.rmtree(cache, ignore_errors=True)
    return measurement


def measure_lockctl(pins_file: Path, cache: Path, *, expected: int) -> Measurement:
    env = hermetic_environment(LOCKCTL_CACHE_DIR=str(cache))
    finished = run_measured([sys.executable, str(CHILD), str(pins_file)], env)
    report = parse_child_report(finished)
    errors = report.get("errors") or []
    if finished.returncode != 0 or errors or report.get("releases") != expected:
        code = EXIT_INDEX if finished.returncode == EXIT_INDEX else EXIT_FAILED
        details = "\n".join(str(e) for e in errors[:10]) or tail(finished.stderr)
        raise BenchmarkAborted(
            f"lockctl did not read all metadata (exit {finished.returncode}):\n{details}",
            exit_code=code,
        )
    return Measurement(
        wall_s=finished.wall_s,
        peak_rss_kib=finished.peak_rss_kib,
        cache_bytes=directory_size(cache),
        requests=int(report["requests"]),
        bytes_received=int(report["bytes"]),
    )


def parse_child_report(finished: Finished) -> dict[str, Any]:
    lines = finished.stdout.strip().splitlines()
    try:
        report = json.loads(lines[-1]) if lines else {}
    except ValueError:
        report = {}
    if not isinstance(report, dict):
        report = {}
    return report


# -- report -----------------------------------------------------------------------------------

RUN_NAMES = ("uv-cold", "lockctl-first", "lockctl-cold", "lockctl-warm")


@dataclass(frozen=True, slots=True, kw_only=True)
class Summary:
    """Medians of each run kind, and the verdict against the targets."""

    medians: dict[str, dict[str, float | None]]
    cold_ratio: float
    warm_ratio: float
    cold_ok: bool
    warm_ok: bool


def summarize(runs: Mapping[str, Sequence[Measurement]]) -> Summary:
    medians: dict[str, dict[str, float | None]] = {}
    for name in RUN_NAMES:
        rows = runs[name]
        medians[name] = {
            "wall_s": statistics.median(m.wall_s for m in rows),
            "peak_mb": statistics.median(m.peak_rss_kib for m in rows) / 1024,
            "cache_mb": statistics.median(m.cache_bytes for m in rows) / 1e6,
            "requests": median_or_none([m.requests for m in rows]),
            "bytes_received": median_or_none([m.bytes_received for m in rows]),
        }
    uv_cold = medians["uv-cold"]["wall_s"] or float("nan")
    cold = medians["lockctl-cold"]["wall_s"] or float("nan")
    warm = medians["lockctl-warm"]["wall_s"] or float("nan")
    return Summary(
        medians=medians,
        cold_ratio=cold / uv_cold,
        warm_ratio=warm / uv_cold,
        cold_ok=cold <= COLD_RATIO_TARGET * uv_cold,
        warm_ok=warm < WARM_SECONDS_TARGET,
    )


def render(summary: Summary, *, rounds: int, releases: int, uv_pins: int) -> str:
    header = (
        f"{'run':<14}{'wall s':>9}{'peak MB':>10}{'cache MB':>10}{'MB recv':>10}{'requests':>10}"
    )
    lines = [
        f"metadata of {releases} releases ({uv_pins} pins in the stack), "
        f"median of {rounds} rounds, {os.cpu_count()} CPUs",
        "",
        header,
        "-" * len(header),
    ]
    for name in RUN_NAMES:
        m = summary.medians[name]
        received = m["bytes_received"]
        lines.append(
            f"{name:<14}{format_number(m['wall_s'], '.3f'):>9}"
            f"{format_number(m['peak_mb'], '.1f'):>10}"
            f"{format_number(m['cache_mb'], '.1f'):>10}"
            f"{format_number(None if received is None else received / 1e6, '.1f'):>10}"
            f"{format_number(m['requests'], '.0f'):>10}"
        )
    warm_s = summary.medians["lockctl-warm"]["wall_s"] or float("nan")
    first_ratio = (summary.medians["lockctl-first"]["wall_s"] or float("nan")) / (
        summary.medians["uv-cold"]["wall_s"] or float("nan")
    )
    lines += [
        "",
        f"lockctl-cold / uv-cold: {summary.cold_ratio:.2f}x   "
        f"(target <= {COLD_RATIO_TARGET:.1f}x)  {'PASS' if summary.cold_ok else 'FAIL'}",
        f"lockctl-first / uv-cold: {first_ratio:.2f}x   (a first run also asks pip for its "
        "default index, once per pip version)",
        f"lockctl-warm / uv-cold: {summary.warm_ratio:.2f}x",
        f"lockctl-warm: {warm_s:.3f} s   "
        f"(target < {WARM_SECONDS_TARGET} s)  {'PASS' if summary.warm_ok else 'FAIL'}",
    ]
    return "\n".join(lines)


def to_json(
    summary: Summary,
    runs: Mapping[str, Sequence[Measurement]],
    *,
    stack: Path,
    pins: Sequence[str],
    uv_version: str,
) -> dict[str, Any]:
    return {
        "benchmark": "metadata",
        "stack": stack.name,  # a name, not a path of this machine
        "releases": list(pins),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.system(),
            "uv": uv_version,
        },
        "targets": {"cold_ratio_max": COLD_RATIO_TARGET, "warm_seconds_max": WARM_SECONDS_TARGET},
        "runs": {name: [asdict(m) for m in runs[name]] for name in RUN_NAMES},
        "medians": summary.medians,
        "cold_ratio": summary.cold_ratio,
        "warm_ratio": summary.warm_ratio,
        "cold_ok": summary.cold_ok,
        "warm_ok": summary.warm_ok,
    }


# -- main -------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5, help="rounds to run (default 5)")
    parser.add_argument("--stack", type=Path, default=DEFAULT_STACK, help="the .in file")
    parser.add_argument(
        "--releases", type=int, default=100, help="how many pins to fetch (default 100)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write results as JSON")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.releases < 1:
        parser.error("--rounds and --releases must be at least 1")
    if not args.stack.is_file():
        parser.error(f"no such stack file: {args.stack}")
    return args


def run_rounds(
    uv: str, stack: Path, pins_file: Path, *, rounds: int, releases: int, workdir: Path
) -> dict[str, list[Measurement]]:
    runs: dict[str, list[Measurement]] = {name: [] for name in RUN_NAMES}
    for number in range(1, rounds + 1):
        runs["uv-cold"].append(measure_uv(uv, stack, workdir))
        first = Path(tempfile.mkdtemp(prefix="lockctl-first-", dir=workdir))
        runs["lockctl-first"].append(measure_lockctl(pins_file, first, expected=releases))
        # A cold index cache on a machine where lockctl already learned pip's default index
        # (remembered per pip version): only that one small file is carried over.
        cache = Path(tempfile.mkdtemp(prefix="lockctl-", dir=workdir))
        for remembered in first.glob("pip-default-index-*.txt"):
            shutil.copy(remembered, cache / remembered.name)
        runs["lockctl-cold"].append(measure_lockctl(pins_file, cache, expected=releases))
        runs["lockctl-warm"].append(measure_lockctl(pins_file, cache, expected=releases))
        shutil.rmtree(first, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)
        walls = "  ".join(f"{name} {runs[name][-1].wall_s:.3f}s" for name in RUN_NAMES)
        print(f"round {number}/{rounds}: {walls}", file=sys.stderr)
    return runs


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        compile_lockctl_bytecode()
        uv = uv_executable()
        uv_version = subprocess.run(
            [uv, "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        with tempfile.TemporaryDirectory(prefix="lockctl-bench-") as scratch:
            workdir = Path(scratch)
            all_pins = compile_pins(uv, args.stack, workdir)
            pins = all_pins[: args.releases]
            pins_file = workdir / "pins.txt"
            pins_file.write_text("\n".join(pins) + "\n", encoding="utf-8")
            print(f"{len(all_pins)} pins; fetching metadata of {len(pins)}", file=sys.stderr)
            runs = run_rounds(
                uv, args.stack, pins_file, rounds=args.rounds, releases=len(pins), workdir=workdir
            )
    except BenchmarkAborted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code

    summary = summarize(runs)
    print(render(summary, rounds=args.rounds, releases=len(pins), uv_pins=len(all_pins)))
    if args.json is not None:
        document = to_json(summary, runs, stack=args.stack, pins=pins, uv_version=uv_version)
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return EXIT_OK if summary.cold_ok and summary.warm_ok else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
