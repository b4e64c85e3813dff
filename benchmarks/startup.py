"""Benchmark: how long the command line takes to start, for commands that do no I/O.

What is measured
    The wall time of ``lockctl --version`` and ``lockctl --help`` (the console script next to
    each interpreter given), beside ``python -c pass`` on the same interpreter, which is the
    floor no Python program can go under. Each round runs every command of every interpreter
    once, in a rotating order; the table shows medians. lockctl is byte-compiled first, as
    ``pip install`` leaves it.

    ``--python`` may be given several times to compare installations in one run (for example
    a checkout before and after a change, each installed in its own virtualenv).

Usage::

    python benchmarks/startup.py [--rounds 30] [--python PYTHON]...

Exit status: 0, or 2 when an interpreter has no ``lockctl`` script beside it.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from _harness import EXIT_OK, EXIT_USAGE, hermetic_environment, run_measured


def _commands(python: str) -> dict[str, list[str]]:
    script = shutil.which("lockctl", path=str(Path(python).parent))
    if script is None:
        raise SystemExit(f"no lockctl script beside {python}")
    return {
        "python -c pass": [python, "-c", "pass"],
        "lockctl --version": [script, "--version"],
        "lockctl --help": [script, "--help"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--python", action="append", default=[], help="an interpreter to time")
    args = parser.parse_args()
    pythons = args.python or [sys.executable]
    try:
        commands = {python: _commands(python) for python in pythons}
    except SystemExit as missing:
        print(missing, file=sys.stderr)
        return EXIT_USAGE
    for python in pythons:  # byte-compile every lockctl, as an installed one would be
        subprocess.run(
            [
                python,
                "-c",
                "import compileall, lockctl; compileall.compile_dir(lockctl.__path__[0], quiet=1)",
            ],
            check=True,
        )
    env = hermetic_environment()
    runs = [
        (python, name, argv) for python, named in commands.items() for name, argv in named.items()
    ]
    times: dict[tuple[str, str], list[float]] = {(p, n): [] for p, n, _ in runs}
    for _ in range(3):  # untimed: warm the file cache
        for _python, _name, argv in runs:
            run_measured(argv, env)
    for round_number in range(args.rounds):
        shift = round_number % len(runs)
        for python, name, argv in runs[shift:] + runs[:shift]:
            finished = run_measured(argv, env)
            if finished.returncode != 0:
                print(f"{name} ({python}) failed: {finished.stderr}", file=sys.stderr)
                return EXIT_USAGE
            times[(python, name)].append(finished.wall_s)
    print(f"medians of {args.rounds} rounds, wall time in ms")
    for python in pythons:
        print(python)
        for name in commands[python]:
            print(f"  {name:<20} {statistics.median(times[(python, name)]) * 1000:7.1f}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
