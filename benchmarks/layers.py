"""Benchmark: a project of three layered locks compiled together, against its top layer alone.

What is measured
    A three-layer project built from the data-science stack: ``requirements-core.in`` (the
    numerical base: numpy, pandas, scipy, pyarrow), ``requirements-ml.in`` (``-r`` core, the
    rest of the stack, and ``numpy<2.3``, a cap on a shared dependency that decides the core
    lock's pin too), and ``requirements-all.in`` (``-r`` ml, and the web stack). Each round,
    with an empty cache (cold) and no previous locks:

    ``project``  ``lockctl compile`` in the project: the three locks resolved together;
    ``top``      ``lockctl compile requirements-all.in -o top.txt`` outside any project: one
                 resolution of the top layer alone, which needs the same index pages.

    The issue's target: the project within 1.2x of the top layer alone (one resolution's worth
    of index traffic, not three). Before the rounds, one untimed run of each warms whatever
    proxy sits between this machine and the index; the order of the two alternates.

Usage::

    python benchmarks/layers.py [--rounds 5] [--json OUT]

Exit status: 0 target met, 1 missed or a run failed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _harness import (
    EXIT_FAILED,
    EXIT_OK,
    compile_lockctl_bytecode,
    hermetic_environment,
    run_measured,
    tail,
)

HERE = Path(__file__).resolve().parent
TARGET_RATIO = 1.2
CORE = ("numpy", "pandas", "scipy", "pyarrow")


def _stack(name: str) -> list[str]:
    lines = (HERE / "stacks" / f"{name}.in").read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not line.startswith("#")]


def build_project(root: Path) -> None:
    science = _stack("datascience")
    (root / "requirements-core.in").write_text("\n".join(CORE) + "\n", encoding="utf-8")
    rest = [line for line in science if line not in CORE]
    ml = ["-r requirements-core.in", *rest, "numpy<2.3"]
    (root / "requirements-ml.in").write_text("\n".join(ml) + "\n", encoding="utf-8")
    full = ["-r requirements-ml.in", *_stack("web")]
    (root / "requirements-all.in").write_text("\n".join(full) + "\n", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n',
        encoding="utf-8",
    )


def run_once(kind: str, work: Path) -> tuple[float, int]:
    """Wall seconds and pins written, in a fresh copy of the project with an empty cache."""
    project = Path(tempfile.mkdtemp(dir=work))
    build_project(project)
    env = hermetic_environment(LOCKCTL_CACHE_DIR=str(project / "cache"))
    argv = [sys.executable, "-m", "lockctl", "-q", "compile"]
    if kind == "top":
        (project / "pyproject.toml").unlink()
        argv += ["requirements-all.in", "-o", "top.txt"]
        argv += ["--python-version", "3.11", "--platform", "linux_x86_64"]
    finished = run_measured(argv, env, cwd=project)
    if finished.returncode != 0:
        raise SystemExit(f"{kind} failed ({finished.returncode}):\n{tail(finished.stderr)}")
    lock = project / ("top.txt" if kind == "top" else "requirements-all.txt")
    pins = sum(1 for line in lock.read_text().splitlines() if "==" in line and line[0] != "#")
    return finished.wall_s, pins


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args()
    compile_lockctl_bytecode()
    times: dict[str, list[float]] = {"project": [], "top": []}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        for kind in times:  # untimed: warm the proxy
            run_once(kind, work)
        pins: dict[str, int] = {}
        for round_number in range(args.rounds):
            order = list(times) if round_number % 2 == 0 else list(reversed(times))
            for kind in order:
                wall, pins[kind] = run_once(kind, work)
                times[kind].append(wall)
                print(f"round {round_number + 1}/{args.rounds}: {kind} {wall:.2f}s", flush=True)
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    ratio = medians["project"] / medians["top"]
    print(
        f"\nmedians of {args.rounds} cold rounds, 3 locks against the top layer alone "
        f"({pins['top']} pins)"
    )
    print(f"  project (3 locks together)  {medians['project']:.2f} s")
    print(f"  top layer alone             {medians['top']:.2f} s")
    verdict = "PASS" if ratio <= TARGET_RATIO else "MISS"
    print(f"{verdict} project / top <= {TARGET_RATIO}: {ratio:.2f}")
    if args.json is not None:
        args.json.write_text(json.dumps({"medians": medians, "ratio": ratio, "pins": pins}))
    return EXIT_OK if ratio <= TARGET_RATIO else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
