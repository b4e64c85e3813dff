"""The install script of lock-only mode: a standalone program that runs inside the container.

Its source is sent as ``python -c SOURCE WHEELHOUSE LOCK [--require-hashes]`` (as the probe
is), so it imports only the standard library and keeps to syntax that Python 3.8 reads.
``lockctl.verify.lockinstall`` says why lock-only mode keeps a wheelhouse; this is how:

1. A run folder gets hard links to the wheelhouse's wheels of the lock's pins (matched by
   the wheel file name's project and version, PEP 427/PEP 503), so pip sees only those,
   however many wheels the wheelhouse has gathered.
2. ``pip download --no-deps --only-binary=:all: -d RUN -r LOCK``: the index still says which
   file each pin gets, and pip downloads it only when the run folder lacks a file of that
   name (with hashes, of that hash too): pip's download-folder check.
3. ``pip install --no-deps --no-index --find-links RUN -r LOCK``: the files pip just checked.
4. The wheels the run added for ``name==version`` pins are linked into the wheelhouse (a
   ``name @ URL`` pin's file came from no index): a hard link appears whole or not at all,
   so parallel runs (``verify --jobs``, or two CI jobs on one engine) never see half a
   file, and two runs linking the same wheel at once leave one whole file (the second link
   finds it there). Where the volume refuses hard links, the wheel is copied under a
   temporary name in the same folder and renamed (rename(2) is atomic within a folder).
   pip never writes into a file it finds in its download folder (it copies a download
   there only when the name is free, and removes one whose hash is wrong before fetching
   it again), so the run folder's links never change the wheelhouse's files.

A pin without a wheel for the image (an sdist to build), or a download that fails, falls
back to the plain ``pip install --no-deps -r LOCK``, whose own errors are then the report.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["main"]

_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*===?\s*([^\s;\\#]+)")
_STALE_RUN = 2 * 3600  # seconds: the folder of a run that was killed
_TEMPORARY = ".copy."  # a wheel being copied in: never a name ``_link`` takes (no .whl)


def main(argv: list[str]) -> int:
    wheelhouse, lock, hashes = Path(argv[1]), Path(argv[2]), argv[3:]
    wheelhouse.mkdir(parents=True, exist_ok=True)
    _sweep(wheelhouse)
    run = Path(tempfile.mkdtemp(prefix=".run.", dir=wheelhouse))
    pins = _pins(lock)
    try:
        _link(wheelhouse, run, pins)
        pip = [sys.executable, "-m", "pip"]
        download = ["download", "--no-deps", "--only-binary=:all:", *hashes, "-d", str(run)]
        if subprocess.call([*pip, *download, "-r", str(lock)]) != 0:
            message = "a pin has no wheel for this image, or the download failed"
            print(f"lockctl: {message}: plain pip install", flush=True)
            return subprocess.call([*pip, "install", "--no-deps", *hashes, "-r", str(lock)])
        install = ["install", "--no-deps", "--no-index", "--find-links", str(run), *hashes]
        status = subprocess.call([*pip, *install, "-r", str(lock)])
        _link(run, wheelhouse, pins)  # not a ``name @ URL`` pin's file: it is no index's
        return status
    finally:
        shutil.rmtree(run, ignore_errors=True)


def _pins(lock: Path) -> set[tuple[str, str]]:
    """(project, version) of every ``name==version`` line, names normalized (PEP 503)."""
    with lock.open(encoding="utf-8", errors="replace") as file:
        found = (_PIN.match(line) for line in file)
        return {(_normal(m.group(1)), m.group(2)) for m in found if m}


def _link(source: Path, target: Path, pins: set[tuple[str, str]]) -> None:
    """Put ``source``'s wheels of ``pins`` into ``target`` (hard links, else copies)."""
    for path in source.iterdir():
        parts = path.name.split("-")  # PEP 427: name-version(-build)?-python-abi-platform.whl
        if path.suffix != ".whl" or len(parts) < 5:
            continue
        if (_normal(parts[0]), parts[1]) not in pins:
            continue
        _place(path, target / path.name)


def _place(path: Path, target: Path) -> None:
    """``path`` at ``target``, whole or not at all; a file already there stays (another run
    placed it: the same file of the same index)."""
    try:
        os.link(path, target)
        return
    except FileExistsError:
        return
    except OSError:
        pass  # no hard links on this volume: a copy, renamed into place
    try:
        descriptor, name = tempfile.mkstemp(prefix=_TEMPORARY, dir=target.parent)
    except OSError:
        return  # nothing written: pip downloads it
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as copy, path.open("rb") as source:
            shutil.copyfileobj(source, copy)
        if not target.exists():  # one that appeared meanwhile is the same file: either will do
            temporary.replace(target)
    except OSError:
        pass  # not written back: a later run downloads it again
    finally:
        with contextlib.suppress(OSError):
            temporary.unlink()  # gone after the rename


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _sweep(wheelhouse: Path) -> None:
    """The run folders and temporary copies of runs that were killed."""
    for path in [*wheelhouse.glob(".run.*"), *wheelhouse.glob(_TEMPORARY + "*")]:
        with contextlib.suppress(OSError):
            if time.time() - path.stat().st_mtime > _STALE_RUN:
                if path.is_dir():
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    path.unlink()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
