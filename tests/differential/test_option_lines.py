"""The real pip-compile and ``lockctl compile``, run with the same arguments on the same inputs
against the loopback index, write the same lock byte for byte: the option lines (index URLs
as given, find-links paths as paths, trusted hosts), the header, annotations, line endings.

Both run with ``CUSTOM_COMPILE_COMMAND`` set, so the header's command line is the same text;
the one line normalised away is lockctl's own ``# lockctl:`` digest line (and the ``#`` after
it), which ``lockctl check`` reads. Each case's pins must agree too, or the comparison would
say nothing about the option lines.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.differential.peers import BIN, peer_environment, read_pins
from tests.support.dists import DistFile, make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

pytestmark = pytest.mark.slow

HEADER_COMMAND = "make requirements"
DISTS = (
    make_wheel("app", "1.0", requires_dist=["lib>=1", "setuptools"]),
    make_wheel("lib", "1.0"),
    make_wheel("lib", "1.1"),
    make_wheel("tool", "2.0", requires_dist=["lib"]),
    make_wheel("setuptools", "70.0"),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Run:
    returncode: int
    lock: bytes  # the file written, or standard output with -o -
    stderr: str


def _run(program: Sequence[str], argv: Sequence[str], work: Path, out: str) -> Run:
    done = subprocess.run(
        [*program, *argv],
        capture_output=True,
        check=False,
        env=peer_environment(
            work.parent / "cache",
            CUSTOM_COMPILE_COMMAND=HEADER_COMMAND,
            PIP_TOOLS_CACHE_DIR=str(work.parent / "cache" / "pip-tools"),
        ),
        cwd=work,
        timeout=600,
    )
    lock = done.stdout if out == "-" else (work / out).read_bytes() if done.returncode == 0 else b""
    return Run(returncode=done.returncode, lock=lock, stderr=done.stderr.decode())


def _without_digest(text: bytes) -> bytes:
    lines = text.splitlines(keepends=True)
    for at, line in enumerate(lines):
        if line.startswith(b"# lockctl: "):
            del lines[at : at + 2]
            break
    return b"".join(lines)


def _both(
    work: Path, inputs: Mapping[str, str | bytes], argv: Sequence[str], *, out: str
) -> tuple[Run, Run]:
    """pip-compile, then lockctl compile, each on a fresh copy of ``inputs`` in ``work``."""
    results: list[Run] = []
    for program in (
        [str(BIN / "pip-compile"), "--quiet", "--strip-extras"],
        [sys.executable, "-m", "lockctl", "compile", "--quiet", "--strip-extras"],
    ):
        for name, content in inputs.items():
            path = work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content if isinstance(content, bytes) else content.encode())
        if out != "-":
            (work / out).unlink(missing_ok=True)
        results.append(_run(program, argv, work, out))
    return results[0], results[1]


def _same_lock(work: Path, inputs: Mapping[str, str | bytes], *argv: str, out: str) -> bytes:
    theirs, ours = _both(work, inputs, argv, out=out)
    assert theirs.returncode == 0, theirs.stderr
    assert ours.returncode == 0, ours.stderr
    assert read_pins(theirs.lock.decode()), "pip-compile pinned nothing: a case that says nothing"
    assert read_pins(ours.lock.decode()) == read_pins(theirs.lock.decode())
    assert _without_digest(ours.lock).decode() == theirs.lock.decode()
    assert _without_digest(ours.lock) == theirs.lock  # line endings too
    return theirs.lock


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    for dist in DISTS:
        index_server.add(dist)
    return index_server


def _wheels(folder: Path, dists: Sequence[DistFile] = DISTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for dist in dists:
        (folder / dist.filename).write_bytes(dist.content)
    return folder


REQ = {"requirements.in": "app\ntool\n"}


def test_index_urls_are_written_as_given(
    work: Path, index: IndexServer, make_index: IndexFactory
) -> None:
    other = make_index()
    bare = other.simple_url.rstrip("/")
    lock = _same_lock(
        work,
        REQ,
        "--index-url",
        index.simple_url,
        "--extra-index-url",
        bare,
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )
    assert f"--index-url {index.simple_url}\n--extra-index-url {bare}\n\n".encode() in lock


def test_an_index_without_a_slash_and_an_extra_equal_to_it(work: Path, index: IndexServer) -> None:
    bare = index.simple_url.rstrip("/")
    lock = _same_lock(
        work,
        REQ,
        "-i",
        bare,
        "--extra-index-url",
        bare,
        "--extra-index-url",
        index.simple_url,
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )
    # pip-compile dedups the exact strings only: the slashed one is another index to it.
    assert f"--index-url {bare}\n--extra-index-url {index.simple_url}\n\n".encode() in lock


def test_find_links_paths_trusted_hosts_and_line_annotations(
    work: Path, index: IndexServer
) -> None:
    _wheels(work / "wheels")
    lock = _same_lock(
        work,
        REQ,
        "--index-url",
        index.simple_url,
        "--find-links",
        "wheels/",
        "-f",
        "./wheels",
        "--trusted-host",
        f"127.0.0.1:{index.port}",
        "--trusted-host",
        "127.0.0.1",
        "--annotation-style",
        "line",
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )
    assert (
        f"--find-links wheels/\n--find-links ./wheels\n--trusted-host 127.0.0.1:{index.port}\n"
        "--trusted-host 127.0.0.1\n\napp==1.0                  # via -r requirements.in\n"
    ).encode() in lock


@pytest.mark.parametrize(
    "switches",
    [
        ("--no-emit-index-url",),
        ("--no-emit-find-links",),
        ("--no-emit-trusted-host",),
        ("--no-emit-options",),
        ("--no-emit-index-url", "--no-emit-find-links", "--emit-trusted-host"),
        ("--no-header", "--no-annotate"),
    ],
)
def test_emit_switches(work: Path, index: IndexServer, switches: tuple[str, ...]) -> None:
    _wheels(work / "wheels")
    _same_lock(
        work,
        REQ,
        "-i",
        index.simple_url,
        "-f",
        "wheels",
        "--trusted-host",
        "127.0.0.1",
        "--allow-unsafe",
        *switches,
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )


def test_options_inside_the_input(work: Path, index: IndexServer, make_index: IndexFactory) -> None:
    other = make_index()
    inputs = {
        "requirements.in": (
            f"--index-url {index.simple_url.rstrip('/')}\n"
            f"--extra-index-url {other.simple_url}\n"
            "--trusted-host 127.0.0.1\n"
            "app\ntool\n"
        )
    }
    _same_lock(work, inputs, "--allow-unsafe", "requirements.in", out="requirements.txt")


def test_constraints_unsafe_packages_and_no_allow_unsafe(work: Path, index: IndexServer) -> None:
    inputs = {**REQ, "constraints.txt": "lib<1.1\n"}
    lock = _same_lock(
        work,
        inputs,
        "-i",
        index.simple_url,
        "-c",
        "constraints.txt",
        "--no-allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )
    assert b"lib==1.0\n    # via\n    #   -c constraints.txt\n" in lock
    assert lock.endswith(b"unsafe in a requirements file:\n# setuptools\n")
    _same_lock(
        work,
        inputs,
        "-i",
        index.simple_url,
        "--unsafe-package",
        "lib",
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )


@pytest.mark.parametrize("newline", ["LF", "CRLF", "preserve"])
def test_newline(work: Path, index: IndexServer, newline: str) -> None:
    inputs = {"requirements.in": b"app\r\ntool\r\n"}
    lock = _same_lock(
        work,
        inputs,
        "-i",
        index.simple_url,
        "--newline",
        newline,
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )
    assert (b"\r\n" in lock) == (newline != "LF")


def test_output_to_stdout_hashes_and_pip_args(work: Path, index: IndexServer) -> None:
    _same_lock(
        work,
        REQ,
        "--generate-hashes",
        "--pip-args",
        f"--index-url {index.simple_url}",
        "--allow-unsafe",
        "requirements.in",
        "-o",
        "-",
        out="-",
    )
    assert not (work / "requirements.txt").exists()


def test_find_links_only(work: Path) -> None:
    _wheels(work / "wheels")
    _same_lock(
        work,
        REQ,
        "--no-index",
        "-f",
        "wheels",
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        out="requirements.txt",
    )


def test_pip_tools_config_in_pyproject(work: Path, index: IndexServer) -> None:
    inputs = {
        **REQ,
        "pyproject.toml": (
            "[tool.pip-tools]\n"
            f"index-url = '{index.simple_url}'\n"
            "annotation-style = 'line'\n"
            "allow-unsafe = true\n"
            "generate-hashes = true\n"
        ),
    }
    lock = _same_lock(work, inputs, "requirements.in", out="requirements.txt")
    assert b"# via -r requirements.in\n" in lock and b"--hash=sha256:" in lock


def test_an_output_that_is_the_input_is_refused_by_both(work: Path, index: IndexServer) -> None:
    theirs, ours = _both(
        work, REQ, ["-i", index.simple_url, "-o", "requirements.in", "requirements.in"], out="-"
    )
    assert theirs.returncode == ours.returncode == 2
    assert "requirements.in" in ours.stderr and "Traceback" not in ours.stderr
    assert (work / "requirements.in").read_text() == REQ["requirements.in"]


def test_find_links_inside_an_input_in_a_folder(work: Path, index: IndexServer) -> None:
    # pip makes a find-links path of a requirements file absolute, from the file's folder.
    _wheels(work / "sub" / "wheels")
    inputs = {"sub/requirements.in": "-f wheels\n-f ../sub/wheels\napp\n"}
    lock = _same_lock(
        work,
        inputs,
        "-i",
        index.simple_url,
        "--allow-unsafe",
        "-o",
        "requirements.txt",
        "sub/requirements.in",
        out="requirements.txt",
    )
    assert f"--find-links {work / 'sub' / 'wheels'}\n".encode() in lock
