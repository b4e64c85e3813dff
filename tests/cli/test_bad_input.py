"""The bad-input corpus (issue 14) through the real command line, one subprocess per case.

Each case of ``bad_input_cases`` runs ``python -m lockctl`` in a directory of its own, hermetic:
no pip configuration or index variables, the cache in the test's temporary directory, and a
dead proxy for every host but the loopback one, so nothing can reach a public index. The run
must give the README's exit code (never 4), say where the problem is on stderr, show no
traceback and no "internal error", and leave every file it found byte-identical, creating only
the files the case expects it to write.

The selected cases run a few at a time in threads (a case is mostly a subprocess starting and
waiting on the loopback index), once per session; each test then checks its own case's run.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.cli.bad_input_cases import CASES, LOCK, TARGET, Case, undo_read_only
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
# Cases at once: more than the CPUs, as much of a case is waiting (retries, backoff, hangs).
_WORKERS = min(8, 2 * (os.cpu_count() or 2))


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
            start_new_session=True,  # so a hang can be ended together with its page worker
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
        if path.is_symlink():  # the link itself: what it points to is listed on its own
            found[relative] = f"-> {path.readlink()}".encode()
        elif path.is_file():
            found[relative] = path.read_bytes()
        elif path.is_dir():
            found[relative] = None
    return found


@dataclass(frozen=True, slots=True, kw_only=True)
class CaseRun:
    """What became of one case: its run, the directory before and after; for a damaged cache,
    the lock the cache was filled with and the run after the case's (``next_run``).
    ``failure`` is what stopped the case early (a hang, a skip, a cache that would not warm)."""

    sandbox: Sandbox | None = None
    outcome: Outcome | None = None
    before: Snapshot | None = None
    after: Snapshot | None = None
    warm_lock: str | None = None
    next_run: Outcome | None = None
    failure: BaseException | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Runner:
    """Runs cases; shared by the session's threads (everything here is read-only)."""

    wheels: Path
    shared_index: IndexServer
    shared_cache: Path

    def run(self, case: Case, root: Path) -> CaseRun:
        try:
            return self._run(case, root)
        except BaseException as failure:  # pytest.fail and pytest.skip too: the test re-raises
            return CaseRun(failure=failure)
        finally:
            undo_read_only(root)

    def _run(self, case: Case, root: Path) -> CaseRun:
        work = root / "work"
        work.mkdir()
        with self._index_for(case) as index_url:
            sandbox = Sandbox(
                work=work,
                cache=root / "cache",
                index_url=index_url,
                wheels=self.wheels,
                shared_cache=self.shared_cache,
            )
            _write_files(case, sandbox)
            warm_lock = _warm_cache(case, sandbox, root / "warm.txt") if case.warm else None
            if case.damage is not None:
                case.damage(sandbox.cache)
            if case.prepare is not None:
                case.prepare(work)
            before = snapshot(work)
            outcome = sandbox.run(case, case.argv, timeout=case.timeout)
            after = snapshot(work)
            next_run = _next_run(case, sandbox) if case.damage is not None else None
        return CaseRun(
            sandbox=sandbox,
            outcome=outcome,
            before=before,
            after=after,
            warm_lock=warm_lock,
            next_run=next_run,
        )

    @contextlib.contextmanager
    def _index_for(self, case: Case) -> Iterator[str]:
        """The simple URL ``{index}`` stands for, with a server of the case's own if need be."""
        if case.index == "shared":
            yield self.shared_index.simple_url
        elif case.index == "none":
            yield _NO_SERVER
        else:
            with IndexServer(range_support=case.range_support, auth=case.auth) as own:
                _serve(own)
                for spec in case.faults:
                    own.inject(spec.path_glob, spec.fault, times=spec.times)
                yield own.simple_url


def _write_files(case: Case, sandbox: Sandbox) -> None:
    for name in case.dirs:
        (sandbox.work / name).mkdir(parents=True, exist_ok=True)
    for name, points_to in case.links.items():
        (sandbox.work / name).symlink_to(points_to)
    for name, content in case.files.items():
        target = sandbox.work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            with target.open("w", encoding="utf-8", newline="") as stream:
                stream.write(sandbox.fill(content))


def _warm_cache(case: Case, sandbox: Sandbox, output: Path) -> str:
    """Compile once to fill ``{cache}``; the lock it wrote."""
    argv = ("-q", "compile", "requirements.in", "-i", "{index}", "--cache-dir", "{cache}")
    first = sandbox.run(case, (*argv, *TARGET, "-o", str(output)), timeout=60)
    if first.code != 0:
        pytest.fail(f"warming the cache failed:\n{first.stderr[:3000]}")
    if not any(path.is_file() for path in sandbox.cache.rglob("*")):
        pytest.fail("warming the cache wrote no entry")
    return output.read_text(encoding="utf-8")


def _next_run(case: Case, sandbox: Sandbox) -> Outcome:
    """The same compile again, printing its lock: the damage must be behind us."""
    argv = ("-v", "compile", "requirements.in", "-i", "{index}", "--cache-dir", "{cache}")
    return sandbox.run(case, (*argv, "--dry-run", *TARGET), timeout=60)


def _ask_pip_once(runner: Runner, work: Path) -> None:
    """Fill the shared cache with pip's default index URL before the cases run at once, so
    they do not all ask pip and write that file together (lockctl writes it in place)."""
    sandbox = Sandbox(
        work=work,
        cache=work / "cache",
        index_url=_NO_SERVER,
        wheels=runner.wheels,
        shared_cache=runner.shared_cache,
    )
    prime = Case(id="prime", argv=(), exit=0)
    sandbox.run(prime, ("metadata", "six", "--no-index", "-f", "{wheels}"), timeout=60)


def _selected_cases(session: pytest.Session) -> list[Case]:
    cases: list[Case] = []
    for item in session.items:
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("case") if callspec is not None else None
        if isinstance(case, Case):
            cases.append(case)
    return cases


@pytest.fixture(scope="session")
def case_runs(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, CaseRun]]:
    """Every selected case, run once, a few at a time."""
    cases = _selected_cases(request.session)
    wheels = write_find_links(tmp_path_factory.mktemp("wheels"), _dists())
    with IndexServer() as shared_index:
        runner = Runner(
            wheels=wheels,
            shared_index=_serve(shared_index),
            # Only pip's default index URL (asked once) and find-links metadata keyed by the
            # files' hashes land in the cache that the cases without one of their own share.
            shared_cache=tmp_path_factory.mktemp("shared-cache"),
        )
        _ask_pip_once(runner, tmp_path_factory.mktemp("prime"))
        roots = {case.id: tmp_path_factory.mktemp(case.id, numbered=True) for case in cases}
        with ThreadPoolExecutor(max_workers=_WORKERS) as pool:
            runs = {case.id: pool.submit(runner.run, case, roots[case.id]) for case in cases}
            yield {case_id: future.result() for case_id, future in runs.items()}


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
    """Files found before are byte-identical, and only the expected files are new."""
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


def _pins(lock: str) -> list[str]:
    """A lock without its header: the pins, their hashes and their ``# via`` lines."""
    return [line for line in lock.splitlines() if not line.startswith("#")]


def _param(case: Case) -> object:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_bad_input(case: Case, case_runs: dict[str, CaseRun]) -> None:
    run = case_runs[case.id]
    if run.failure is not None:
        raise run.failure
    assert run.sandbox is not None and run.outcome is not None
    assert run.before is not None and run.after is not None
    check_outcome(case, run.sandbox, run.outcome)
    check_files(case, run.before, run.after)
    if run.warm_lock is not None and case.exit == 0:
        # Damage to the cache costs speed, never a different lock.
        written = run.after.get(LOCK)
        assert isinstance(written, bytes)
        assert _pins(written.decode()) == _pins(run.warm_lock)
    if run.next_run is not None:
        # ... and only once: the next run finds no damage and compiles the same lock.
        shown = run.next_run.stderr[:3000]
        assert run.next_run.code == 0, f"the run after the damaged one failed:\n{shown}"
        assert "corrupt cache entry" not in run.next_run.stderr, shown
        assert _pins(run.next_run.stdout) == _pins(run.warm_lock or "")


def test_the_corpus_is_large_and_every_failure_says_where() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(ids) >= 150
    assert {case.exit for case in CASES} <= {0, 1, 2, 3}  # the README's codes; never 4
    assert [case.id for case in CASES if case.exit != 0 and not case.stderr] == []
