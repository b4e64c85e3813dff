"""The bad-input corpus (issue 14) through the real command line, one subprocess per case.

Each case of ``bad_input_cases`` runs ``python -m lockctl`` in a directory of its own, hermetic:
no pip configuration or index variables, the cache in the test's temporary directory, and a
dead proxy for every host but the loopback one, so nothing can reach a public index. The run
must give the README's exit code (never 4), say where the problem is on stderr, show no
traceback and no "internal error", and leave every file it found byte-identical, creating only
the files the case expects it to write.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.bad_input_cases import CASES, Case, undo_read_only
from tests.support.dists import DistFile, make_wheel
from tests.support.fileindex import write_find_links
from tests.support.indexserver import IndexServer

# Every variable through which pip (and so lockctl) could learn of an index or a location.
_PIP_INDEX_VARIABLES = (
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS",
    "PIP_NO_INDEX",
    "PIP_TRUSTED_HOST",
)
_PROXY_VARIABLES = (
    "http_proxy",
    "https_proxy",
    "all_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
)
# Nothing listens on the discard port of the loopback address: any request that is not for
# the loopback index fails at once instead of reaching a public index.
_DEAD_PROXY = "http://127.0.0.1:9"
_NO_SERVER = "http://127.0.0.1:9/simple/"


def _dists() -> list[DistFile]:
    return [
        make_wheel("six", "1.0"),
        make_wheel("six", "1.1"),
        make_wheel("app", "1.0", requires_dist=["six>=1.0"]),
    ]


def _serve(server: IndexServer) -> IndexServer:
    for dist in _dists():
        server.add(dist)
    return server


@pytest.fixture(scope="session")
def wheels_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_find_links(tmp_path_factory.mktemp("wheels"), _dists())


@pytest.fixture(scope="session")
def shared_index() -> Iterator[IndexServer]:
    with IndexServer() as server:
        yield _serve(server)


@pytest.fixture(scope="session")
def shared_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cache of the cases that use no index of their own: only pip's default index URL
    (asked once) and find-links metadata keyed by the files' hashes ever land in it."""
    return tmp_path_factory.mktemp("shared-cache")


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    code: int
    stdout: str
    stderr: str
    stderr_bytes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Sandbox:
    """Where a case runs, and the values its placeholders stand for."""

    work: Path
    cache: Path
    index_url: str
    wheels: Path
    shared_cache: Path

    def fill(self, text: str) -> str:
        host = self.index_url.split("://", 1)[1].split("/", 1)[0]
        for token, value in (
            ("{index}", self.index_url),
            ("{host}", host),
            ("{wheels}", str(self.wheels)),
            ("{cache}", str(self.cache)),
            ("{work}", str(self.work)),
        ):
            text = text.replace(token, value)
        return text

    def environ(self, case: Case) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            if name not in _PIP_INDEX_VARIABLES + _PROXY_VARIABLES
            and not name.startswith("LOCKCTL_")
            and name != "CUSTOM_COMPILE_COMMAND"
        }
        env["PIP_CONFIG_FILE"] = os.devnull
        env["LOCKCTL_CACHE_DIR"] = str(self.shared_cache)
        env["NETRC"] = str(self.work.parent / "no-netrc")  # never this machine's ~/.netrc
        env.update(dict.fromkeys(_PROXY_VARIABLES, _DEAD_PROXY))
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        for name, value in case.env.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = self.fill(value)
        return env

    def run(self, case: Case, argv: tuple[str, ...], *, timeout: float) -> Outcome:
        process = subprocess.Popen(
            [sys.executable, "-m", "lockctl", *(self.fill(arg) for arg in argv)],
            cwd=self.work,
            env=self.environ(case),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # so a hang can be ended with its page worker
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            pytest.fail(f"lockctl {' '.join(argv)} gave no answer within {timeout:g} s")
        return Outcome(
            code=process.returncode,
            stdout=out.decode(errors="replace"),
            stderr=err.decode(errors="replace"),
            stderr_bytes=len(err),
        )


Snapshot = dict[str, bytes | None]  # relative path -> content; None for a directory


def snapshot(root: Path) -> Snapshot:
    found: Snapshot = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if path.is_symlink() or path.is_file():
            found[relative] = path.read_bytes() if path.is_file() else b"-> link"
        elif path.is_dir():
            found[relative] = None
    return found


def write_case_files(case: Case, sandbox: Sandbox) -> None:
    for name in case.dirs:
        (sandbox.work / name).mkdir(parents=True, exist_ok=True)
    for name, content in case.files.items():
        target = sandbox.work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            with target.open("w", encoding="utf-8", newline="") as stream:
                stream.write(sandbox.fill(content))


def check_outcome(case: Case, sandbox: Sandbox, outcome: Outcome) -> None:
    shown = outcome.stderr[:3000]
    assert "Traceback (most recent call last)" not in outcome.stderr + outcome.stdout, shown
    assert "internal error" not in outcome.stderr, shown
    assert outcome.code != 4, shown
    assert outcome.code == case.exit, f"exit {outcome.code}, expected {case.exit}:\n{shown}"
    for expected in case.stderr:
        assert sandbox.fill(expected) in outcome.stderr, f"{expected!r} not in stderr:\n{shown}"
    for secret in case.not_in_stderr:
        assert secret not in outcome.stderr + outcome.stdout, shown
    if case.max_stderr is not None:
        assert outcome.stderr_bytes <= case.max_stderr, (
            f"{outcome.stderr_bytes} bytes on stderr (at most {case.max_stderr}):\n"
            f"{outcome.stderr[:500]}"
        )


def check_files(case: Case, before: Snapshot, after: Snapshot) -> None:
    writes = set(case.writes)
    changed = sorted(
        name
        for name, content in before.items()
        if name not in writes and after.get(name, b"<gone>") != content
    )
    assert not changed, f"changed or removed: {changed}"
    created = {name for name in after.keys() - before.keys() if after[name] is not None}
    assert created <= writes, f"unexpected new files: {sorted(created - writes)}"
    for name in writes:
        assert after.get(name) is not None, f"{name} was not written"


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.fixture
def _undo_read_only() -> Iterator[None]:
    yield
    undo_read_only()


@pytest.mark.usefixtures("_undo_read_only")
@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_bad_input(
    case: Case,
    tmp_path: Path,
    wheels_dir: Path,
    shared_index: IndexServer,
    shared_cache: Path,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    with _index_for(case, shared_index) as index_url:
        sandbox = Sandbox(
            work=work,
            cache=tmp_path / "cache",
            index_url=index_url,
            wheels=wheels_dir,
            shared_cache=shared_cache,
        )
        write_case_files(case, sandbox)
        if case.warm:
            _warm_cache(case, sandbox, tmp_path)
        if case.damage is not None:
            case.damage(sandbox.cache)
        if case.prepare is not None:
            case.prepare(work)
        before = snapshot(work)
        outcome = sandbox.run(case, case.argv, timeout=case.timeout)
        after = snapshot(work)
        check_outcome(case, sandbox, outcome)
        check_files(case, before, after)
        if case.repaired:
            _check_repaired(case, sandbox)


@contextlib.contextmanager
def _index_for(case: Case, shared: IndexServer) -> Iterator[str]:
    """The simple URL a case's ``{index}`` stands for, with its own server if it needs one."""
    if case.index == "shared":
        yield shared.simple_url
        return
    if case.index == "none":
        yield _NO_SERVER
        return
    with IndexServer(range_support=case.range_support, auth=case.auth) as own:
        _serve(own)
        for spec in case.faults:
            own.inject(spec.path_glob, spec.fault, times=spec.times)
        yield own.simple_url


def _warm_cache(case: Case, sandbox: Sandbox, tmp_path: Path) -> None:
    warm = ("compile", "requirements.in", "-i", "{index}", "--cache-dir", "{cache}", "-q")
    output = ("--python-version", "3.11", "--platform", "linux_x86_64")
    first = sandbox.run(case, (*warm, *output, "-o", str(tmp_path / "warm.txt")), timeout=60)
    assert first.code == 0, f"warming the cache failed:\n{first.stderr[:3000]}"
    assert any((sandbox.cache / "v2").rglob("*.json")), "warming wrote no cache entry"


def _check_repaired(case: Case, sandbox: Sandbox) -> None:
    offline = (
        "compile",
        "requirements.in",
        "-i",
        "{index}",
        "--cache-dir",
        "{cache}",
        "--offline",
        "--dry-run",
        "--python-version",
        "3.11",
        "--platform",
        "linux_x86_64",
    )
    again = sandbox.run(case, offline, timeout=60)
    assert again.code == 0, f"the cache was not repaired:\n{again.stderr[:3000]}"


def test_the_corpus_is_large_and_its_ids_unique() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    assert len(ids) >= 150
