"""Direct references: lockctl's lock against the real pip-compile's, byte for byte.

The same ``.in`` file (a wheel by http URL, with and without a ``#sha256=`` fragment, a
``file:`` wheel, a marker, a relative ``file:`` URL, which pip-tools writes without the name),
the same loopback index for the dependencies, with and without ``--generate-hashes``. Both run
as programs, hermetically; every URL is built at run time.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from tests.differential.peers import BIN, peer_environment
from tests.support.dists import make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

pytestmark = pytest.mark.slow

ALPHA = make_wheel("alpha", "1.0", requires_dist=["beta>=1", "gamma; python_version < '3'"])
PYTHON = ".".join(platform.python_version_tuple()[:2])


def _compile(tool: str, workdir: Path, index_url: str, extra: list[str]) -> str:
    out = workdir / f"{tool}.txt"
    common = ["--no-header", "--no-emit-index-url", "--strip-extras", "--index-url", index_url]
    if tool == "pip-compile":
        argv = [str(BIN / "pip-compile"), "--quiet", "--allow-unsafe", *common]
        argv += ["--cache-dir", str(workdir / "cache" / "pip-tools")]
    else:
        argv = [sys.executable, "-m", "lockctl", "-q", "compile", *common]
        argv += ["--python-version", PYTHON, "--platform", "linux_x86_64"]
    argv += [*extra, "--output-file", str(out), "requirements.in"]
    done = subprocess.run(
        argv,
        cwd=workdir,
        env=peer_environment(workdir / "cache"),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, f"{tool} failed:\n{done.stderr}"
    return out.read_text(encoding="utf-8")


@pytest.fixture
def index(index_server: IndexServer) -> IndexServer:
    index_server.add(make_wheel("beta", "1.0"))
    index_server.add(make_wheel("beta", "2.0", requires_dist=["delta<2"]))
    index_server.add(make_wheel("delta", "1.5"))
    index_server.add(make_wheel("delta", "2.5"))
    return index_server


# pip-compile 7.6.2 fails on a relative file: URL with --generate-hashes (it hashes the path
# as if it were absolute), so that case is compared without hashes only.
CASES = [
    *(
        (kind, hashes)
        for kind in ("http", "http-sha256", "file", "file-marker")
        for hashes in (False, True)
    ),
    ("file-relative", False),
]


@pytest.mark.parametrize(("kind", "hashes"), CASES, ids=[f"{k}-{h}" for k, h in CASES])
def test_direct_references_are_written_as_pip_compile_writes_them(
    kind: str,
    hashes: bool,
    index: IndexServer,
    make_index: IndexFactory,
    tmp_path: Path,
) -> None:
    if kind.startswith("http"):
        files = make_index()
        files.add(ALPHA)
        url = files.file_url(ALPHA.filename)
        if kind == "http-sha256":
            url += f"#sha256={ALPHA.sha256}"
    else:
        wheel = tmp_path / "wheels" / ALPHA.filename
        wheel.parent.mkdir()
        wheel.write_bytes(ALPHA.content)
        url = wheel.as_uri()
        if kind == "file-relative":  # pip-tools writes the URL alone, without the name
            url = f"file:{wheel.relative_to(tmp_path).as_posix()}"
    line = f"alpha @ {url}"
    if kind == "file-marker":
        line += " ; python_version >= '3'"
    (tmp_path / "requirements.in").write_text(f"{line}\nbeta<3\n")
    extra = ["--generate-hashes"] if hashes else []

    expected = _compile("pip-compile", tmp_path, index.simple_url, extra)
    actual = _compile("lockctl", tmp_path, index.simple_url, extra)

    assert f"{url}\n" in expected or f"{url} " in expected  # the case is what it says it is
    assert actual == expected
