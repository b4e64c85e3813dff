"""Benchmark: ``lockctl drift`` over a project of five locks of about 150 pins each.

What is measured
    The project of ``benchmarks/check.py`` (a base of the data-science and web stacks and four
    layers that include it), locked once for real (not timed). Then, each round:

    ``cold``  ``lockctl drift`` with an empty cache (only pip's default index remembered): every
              page and the metadata drift reads come from the index;
    ``warm``  right after, the same cache: drift refreshes the pages (revalidated, mostly
              304s) and reads metadata from the cache, as a nightly job on a kept cache does.

    Medians of the rounds; before them, one untimed run warms whatever proxy sits between this
    machine and the index. drift's exit code 1 (drift found) is a success here.

Usage::

    python benchmarks/drift.py [--rounds 3] [--json OUT]

Exit status: 0, or 1 when a run failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
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
from check import Project, lock_project, write_project

_DRIFT_FOUND = 1


def run_drift(project: Project, cache: Path) -> float:
    argv = [sys.executable, "-m", "lockctl", "-q", "drift", "--format", "json"]
    env = hermetic_environment(LOCKCTL_CACHE_DIR=str(cache))
    finished = run_measured(argv, env, cwd=project.root, timeout=900)
    if finished.returncode not in (EXIT_OK, _DRIFT_FOUND):
        raise SystemExit(f"lockctl drift failed ({finished.returncode}):\n{tail(finished.stderr)}")
    return finished.wall_s


def fresh_cache(project: Project, scratch: Path) -> Path:
    """An empty cache but for pip's remembered default index (as benchmarks/compile.py does)."""
    cache = Path(tempfile.mkdtemp(dir=scratch))
    for remembered in project.cache.glob("pip-default-index-*.txt"):
        shutil.copy(remembered, cache)
    return cache


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args()
    compile_lockctl_bytecode()
    times: dict[str, list[float]] = {"cold": [], "warm": []}
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        (root / "project").mkdir()
        project = write_project(root / "project", root / "cache")
        lock_project(project, timeout=900)
        run_drift(project, fresh_cache(project, root))  # untimed: warm the proxy
        for round_number in range(args.rounds):
            cache = fresh_cache(project, root)
            times["cold"].append(run_drift(project, cache))
            times["warm"].append(run_drift(project, cache))
            print(
                f"round {round_number + 1}/{args.rounds}: cold {times['cold'][-1]:.2f}s  "
                f"warm {times['warm'][-1]:.2f}s",
                flush=True,
            )
        pins = sum(
            sum(1 for line in lock.read_text().splitlines() if "==" in line and line[0] != "#")
            for lock in project.locks
        )
    medians = {kind: statistics.median(values) for kind, values in times.items()}
    print(f"\nlockctl drift, 5 locks ({pins} pins in all), medians of {args.rounds} rounds")
    print(f"  cold (empty cache)           {medians['cold']:.2f} s")
    print(f"  warm (metadata cached)       {medians['warm']:.2f} s")
    if args.json is not None:
        args.json.write_text(json.dumps({"medians": medians, "pins": pins}), encoding="utf-8")
    return EXIT_OK if all(times.values()) else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
