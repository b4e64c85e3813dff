"""Benchmark: ``lockctl verify`` of a 100-package lock, cold and warm, beside a plain
``docker build`` of the same install.

What is measured
    A loopback index (the test suite's server, ``tests/support``) serves 100 generated wheels
    of ``--size-kib`` each: hermetic and repeatable, so the figures are the engine's and
    pip's, not a proxy's. Lock A pins 10 roots (``# via -r requirements.in``), each requiring
    9 of the 90 other pins; lock B is lock A with one dependency moved to its next release.
    The lock goes into the local base image (``lockctl-test-base:bookworm``). Each round:

    ``lockctl cold``  ``lockctl verify A`` after ``lockctl verify --clear-cache`` (untimed):
                      every wheel downloaded;
    ``lockctl warm``  ``lockctl verify B`` right after: the wheelhouse has 99 of the wheels;
    ``docker cold``   ``docker build --no-cache`` of ``lock_only_dockerfile`` for A (the same
                      pip install, with pip's cache off, as a Dockerfile would have it);
    ``docker warm``   ``docker build`` for B right after, the builder's layer cache kept: the
                      lock's COPY changed, so its RUN runs again and downloads every wheel.

    Beside each time, the bytes of wheels the index served during that run: on a loopback
    index a download is nearly free, so the times show each tool's own cost, and the bytes
    show what a one-pin change costs on a real network (lockctl warm: one wheel).

    lockctl's time is the whole verification (the install layer, ``pip check``, ``pip
    inspect``, the import of the 10 roots, and cleanup); docker's is the build alone. The
    builds use the classic builder (``DOCKER_BUILDKIT=0``): that is what Debian's docker.io
    20.10 and the docker SDK drive. lockctl and docker take turns going first; one untimed
    run of each comes first; the figures are medians of the rounds.

Usage::

    python benchmarks/verify.py [--rounds 5] [--size-kib 256] [--json OUT]

Needs a Docker engine and the base image (``scripts/docker-engine.sh``). Exit status: 0, or 1
when a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from _harness import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    BenchmarkAborted,
    compile_lockctl_bytecode,
    hermetic_environment,
    run_measured,
    tail,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.support: the index

from lockctl.verify.dockerfile import LOCK_IN_CONTEXT, lock_only_dockerfile
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

BASE_IMAGE = os.environ.get("LOCKCTL_TEST_BASE_IMAGE", "lockctl-test-base:bookworm")
PACKAGES, ROOTS = 100, 10
_BENCH_LABEL = "lockctl.run=benchmark-verify"  # on the images docker build makes here
_TAG = "lockctl-benchmark:verify"
_CHANGED = f"vbench-{PACKAGES - 1:03d}"  # the one pin lock B moves


def name(number: int) -> str:
    return f"vbench-{number:03d}"


def serve_wheels(size_kib: int) -> IndexServer:
    """The 100 packages at 1.0, and the changed one at 1.1 too."""
    server = IndexServer().start()
    per_root = (PACKAGES - ROOTS) // ROOTS
    for number in range(PACKAGES):
        requires = []
        if number < ROOTS:
            first = ROOTS + number * per_root
            requires = [f"{name(dep)}>=1.0" for dep in range(first, first + per_root)]
        for version in ("1.0", "1.1") if name(number) == _CHANGED else ("1.0",):
            server.add(
                make_wheel(name(number), version, requires_dist=requires, padding=size_kib * 1024)
            )
    return server


def write_lock(path: Path, *, changed: bool) -> Path:
    per_root = (PACKAGES - ROOTS) // ROOTS
    lines: list[str] = []
    for number in range(PACKAGES):
        version = "1.1" if changed and name(number) == _CHANGED else "1.0"
        via = "-r requirements.in" if number < ROOTS else name((number - ROOTS) // per_root)
        lines += [f"{name(number)}=={version}", f"    # via {via}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_checked(argv: list[str], env: dict[str, str], what: str, *, cwd: Path) -> float:
    finished = run_measured(argv, env, cwd=cwd, timeout=1800)
    if finished.returncode != EXIT_OK:
        raise BenchmarkAborted(
            f"{what} failed ({finished.returncode}):\n{tail(finished.stderr)}",
            exit_code=EXIT_FAILED,
        )
    return finished.wall_s


Measured = tuple[float, int]  # seconds, bytes of wheels served


class Runs:
    def __init__(self, root: Path, index: IndexServer) -> None:
        self.root = root
        self.index = index
        self.index_url = index.simple_url
        self.lock_a = write_lock(root / "a" / LOCK_IN_CONTEXT, changed=False)
        self.lock_b = write_lock(root / "b" / LOCK_IN_CONTEXT, changed=True)
        dockerfile = lock_only_dockerfile(
            BASE_IMAGE,
            run_id=_BENCH_LABEL.partition("=")[2],
            require_hashes=False,
            pip_environment=(("PIP_INDEX_URL", self.index_url),),
        )
        for lock in (self.lock_a, self.lock_b):
            (lock.parent / "Dockerfile").write_text(dockerfile, encoding="utf-8")
        self.env = hermetic_environment(DOCKER_BUILDKIT="0")

    def measured(self, argv: list[str], what: str) -> Measured:
        served = self.index.bytes_sent("/files/*")
        seconds = run_checked(argv, self.env, what, cwd=self.root)
        return seconds, self.index.bytes_sent("/files/*") - served

    def lockctl(self, lock: Path) -> Measured:
        argv = [sys.executable, "-m", "lockctl", "-q", "verify", "--base-image", BASE_IMAGE]
        argv += ["-i", self.index_url, str(lock)]
        return self.measured(argv, f"lockctl verify {lock.parent.name}")

    def clear_cache(self) -> None:
        argv = [sys.executable, "-m", "lockctl", "-q", "verify", "--clear-cache"]
        run_checked(argv, self.env, "lockctl verify --clear-cache", cwd=self.root)

    def docker_build(self, lock: Path, *, no_cache: bool) -> Measured:
        argv = ["docker", "build", "-q", "--network", "host", "-t", _TAG]
        argv += ["--no-cache", str(lock.parent)] if no_cache else [str(lock.parent)]
        return self.measured(argv, f"docker build {lock.parent.name}")

    def remove_images(self) -> None:
        """What this benchmark's builds made: the tagged image, then anything labelled."""
        subprocess.run(["docker", "rmi", "-f", _TAG], capture_output=True, check=False)
        listed = subprocess.run(
            ["docker", "images", "-aq", "--filter", f"label={_BENCH_LABEL}"],
            capture_output=True,
            text=True,
            check=False,
        )
        for image in dict.fromkeys(listed.stdout.split()):
            subprocess.run(["docker", "rmi", "-f", image], capture_output=True, check=False)


def one_round(runs: Runs, *, lockctl_first: bool) -> dict[str, Measured]:
    def lockctl() -> dict[str, Measured]:
        runs.clear_cache()
        return {
            "lockctl cold": runs.lockctl(runs.lock_a),
            "lockctl warm": runs.lockctl(runs.lock_b),
        }

    def docker() -> dict[str, Measured]:
        try:
            cold = runs.docker_build(runs.lock_a, no_cache=True)
            return {
                "docker cold": cold,
                "docker warm": runs.docker_build(runs.lock_b, no_cache=False),
            }
        finally:
            runs.remove_images()

    order: list[Callable[[], dict[str, Measured]]] = [lockctl, docker]
    times: dict[str, Measured] = {}
    for measure in order if lockctl_first else reversed(order):
        times.update(measure())
    return times


def check_engine() -> None:
    found = subprocess.run(
        ["docker", "image", "inspect", BASE_IMAGE], capture_output=True, check=False
    )
    if found.returncode != 0:
        raise BenchmarkAborted(
            f"no engine answers, or it lacks {BASE_IMAGE}: run scripts/docker-engine.sh",
            exit_code=EXIT_USAGE,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-kib", type=int, default=256, help="each wheel's size")
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args()
    try:
        check_engine()
        compile_lockctl_bytecode()
        times: dict[str, list[float]] = {}
        served: dict[str, int] = {}
        with tempfile.TemporaryDirectory() as scratch, serve_wheels(args.size_kib) as index:
            runs = Runs(Path(scratch), index)
            one_round(runs, lockctl_first=True)  # untimed: the page cache, the engine warm
            for number in range(args.rounds):
                for kind, (seconds, sent) in one_round(runs, lockctl_first=number % 2 == 1).items():
                    times.setdefault(kind, []).append(seconds)
                    served[kind] = sent  # the same every round
                shown = "  ".join(f"{kind} {values[-1]:.2f}s" for kind, values in times.items())
                print(f"round {number + 1}/{args.rounds}: {shown}", flush=True)
            runs.clear_cache()
    except BenchmarkAborted as exc:
        print(exc, file=sys.stderr)
        return exc.exit_code
    medians = {kind: statistics.median(values) for kind, values in sorted(times.items())}
    print(
        f"\nverify of a {PACKAGES}-package lock ({args.size_kib} KiB wheels, loopback index), "
        f"medians of {args.rounds} rounds"
    )
    for kind, seconds in medians.items():
        print(f"  {kind:<14} {seconds:6.2f} s   {served[kind] / 2**20:7.1f} MiB of wheels served")
    if args.json is not None:
        document = {"medians": medians, "served_bytes": served, "rounds": args.rounds}
        args.json.write_text(json.dumps({**document, "size_kib": args.size_kib}), encoding="utf-8")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
