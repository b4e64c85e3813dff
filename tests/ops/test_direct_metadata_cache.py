"""A direct reference's metadata between runs: kept when its URL names the file's sha256,
fetched again otherwise. The artifacts are served by a loopback server, which counts the
requests; the lock's other pins come from a loopback index."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_sdist, make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")
ALPHA = make_wheel("alpha", "1.0", requires_dist=["beta>=1"])


@pytest.fixture
def index(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    index_server.add(make_wheel("beta", "1.0"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CUSTOM_COMPILE_COMMAND", raising=False)
    return index_server


@pytest.fixture
def files(make_index: IndexFactory) -> IndexServer:
    return make_index()


def compile_(index: IndexServer, line: str, *argv: str) -> str:
    Path("requirements.in").write_text(f"-i {index.simple_url}\n{line}\n")
    assert main(["-q", "compile", "requirements.in", "--no-header", *TARGET, *argv]) == 0
    return Path("requirements.txt").read_text()


def test_a_second_compile_makes_no_request_for_a_hashed_wheel_url(
    index: IndexServer, files: IndexServer
) -> None:
    files.add(ALPHA)
    url = f"{files.file_url(ALPHA.filename)}#sha256={ALPHA.sha256}"
    first = compile_(index, f"alpha @ {url}", "--generate-hashes")
    fetched = files.count(f"/files/{ALPHA.filename}")
    assert fetched >= 1
    Path("requirements.txt").unlink()
    second = compile_(index, f"alpha @ {url}", "--generate-hashes")
    assert files.count(f"/files/{ALPHA.filename}") == fetched  # answered by the cache
    assert second == first  # the same lock, the same --hash line
    assert f"--hash=sha256:{ALPHA.sha256}" in second
    # and offline too: nothing to fetch
    Path("requirements.txt").unlink()
    assert compile_(index, f"alpha @ {url}", "--generate-hashes", "--offline") == first


def test_a_hashed_sdist_url_is_kept_too(index: IndexServer, files: IndexServer) -> None:
    gamma = make_sdist("gamma", "2.0", requires_dist=["beta<2"])
    files.add(gamma)
    url = f"{files.file_url(gamma.filename)}#sha256={gamma.sha256}"
    compile_(index, f"gamma @ {url}")
    fetched = files.count(f"/files/{gamma.filename}")
    compile_(index, f"gamma @ {url}")
    assert files.count(f"/files/{gamma.filename}") == fetched


def test_a_url_without_its_hash_is_fetched_again(index: IndexServer, files: IndexServer) -> None:
    # What a URL serves may change: without the hash, the file is read again each run.
    files.add(ALPHA)
    url = files.file_url(ALPHA.filename)
    compile_(index, f"alpha @ {url}")
    fetched = files.count(f"/files/{ALPHA.filename}")
    compile_(index, f"alpha @ {url}")
    assert files.count(f"/files/{ALPHA.filename}") > fetched


def test_a_wrong_hash_is_not_answered_from_the_cache(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    files.add(ALPHA)
    good = f"{files.file_url(ALPHA.filename)}#sha256={ALPHA.sha256}"
    compile_(index, f"alpha @ {good}")
    wrong = hashlib.sha256(b"another file").hexdigest()
    Path("requirements.in").write_text(
        f"-i {index.simple_url}\nalpha @ {files.file_url(ALPHA.filename)}#sha256={wrong}\n"
    )
    capsys.readouterr()
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 3
    assert "does not match the hash in its URL" in capsys.readouterr().err
