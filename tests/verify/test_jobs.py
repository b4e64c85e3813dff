"""``verify --jobs``: locks verified at once, against fake runtimes (one per lock, as the real
factory makes one connection per lock), so the promises are pinned down without an engine:
the locks really overlap, the reports come back in the locks' order whatever order they
finish in, and Ctrl-C, ``--timeout`` or one lock's engine error stops and cleans up every
running lock. The same in real containers: ``test_docker_jobs``.

A serial implementation fails these tests within seconds instead of hanging: every wait of a
fake ends with an AssertionError after ``_GUARD`` seconds.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.errors import ContainerFailure, ContainerTimeout
from lockctl.ops import verify as verify_module
from lockctl.ops.commands import VerifyCommand
from lockctl.ops.verify import verify_locks
from lockctl.verify.report import BuildProgress, Phase
from lockctl.verify.runtime import (
    BuildEvent,
    BuildFailure,
    BuildStep,
    BuiltImage,
    ContainerRuntime,
    Deadline,
    LayerRequest,
)
from tests.verify.conftest import write_lock
from tests.verify.test_fake_runtime import _ANSWER, FakeRuntime

_GUARD = 10.0  # seconds a fake waits for the other lock before it calls the run serial
_MISSING = {
    **_ANSWER,
    "pip_check": {"status": 1, "lines": ["app 1.0 requires helper, which is not installed."]},
}


@dataclass
class Engine:
    """What the fakes of one run share: a log of what happened, in order, and events."""

    log: list[str] = field(default_factory=list)
    started: dict[str, threading.Event] = field(
        default_factory=lambda: {name: threading.Event() for name in ("first", "second")}
    )
    runtimes: list[LockRuntime] = field(default_factory=list)
    behaviour: Callable[[LockRuntime, Deadline], BuiltImage | BuildFailure] | None = None

    def factory(self, environ: Mapping[str, str], run_id: str) -> ContainerRuntime:
        runtime = LockRuntime(engine=self, identity=run_id)
        self.runtimes.append(runtime)
        return runtime


@dataclass
class LockRuntime(FakeRuntime):
    """One lock's runtime: it learns which lock from the install layer's lock file."""

    engine: Engine = field(default_factory=Engine)
    identity: str = ""
    lock: str = ""
    cancelled: bool = False

    @property
    def run_id(self) -> str:
        return self.identity

    def run_layer(
        self, request: LayerRequest, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuiltImage | BuildFailure:
        self.lock = "second" if b"helper" in request.files[0][1] else "first"
        if self.lock == "second":
            self.answer = json.dumps(_MISSING)
        self.calls.append("layer")
        self.engine.log.append(f"{self.lock} started")
        self.engine.started[self.lock].set()
        on_event(BuildStep(number=1, total=1, instruction=request.instruction))
        behaviour = self.engine.behaviour or _first_waits_for_second
        result = behaviour(self, deadline)
        self.engine.log.append(f"{self.lock} installed")
        return result

    def cleanup(self, *, keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
        self.engine.log.append(f"{self.lock} cleaned up")
        return super().cleanup(keep=keep)


def _built(runtime: LockRuntime) -> BuiltImage:
    return BuiltImage(image_id=f"sha256:{runtime.lock}", tag=f"lockctl-verify:{runtime.identity}")


def _first_waits_for_second(runtime: LockRuntime, deadline: Deadline) -> BuiltImage:
    """The first lock's install ends only once the second lock's has started, and after it."""
    if runtime.lock == "first":
        if not runtime.engine.started["second"].wait(_GUARD):
            raise AssertionError("the second lock never started: the locks ran one by one")
        time.sleep(0.3)  # the second lock finishes first
    return _built(runtime)


def _until_stopped(runtime: LockRuntime, deadline: Deadline) -> BuiltImage:
    """An install that goes on until the run is stopped, looking at the deadline as the
    docker runtime does (``DockerRuntime._next``)."""
    end = time.monotonic() + _GUARD
    while not deadline.expired:
        if time.monotonic() > end:
            raise AssertionError(f"the {runtime.lock} lock was never stopped")
        time.sleep(0.02)
    runtime.cancelled = True
    raise ContainerTimeout(
        "stopped", endpoint="fake://engine", source="a test", seconds=1, during="the install"
    )


def _locks(tmp_path: Path) -> tuple[Path, Path]:
    first = write_lock(tmp_path / "z-first.txt", ("app==1.0", "-r requirements.in"))
    second = write_lock(
        tmp_path / "a-second.txt", ("app==1.0", "-r requirements.in"), ("helper==1.0", "app")
    )
    return first, second


def test_two_locks_run_at_once_and_are_reported_in_their_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = Engine()
    monkeypatch.setattr(verify_module, "_docker_runtime", engine.factory)
    first, second = _locks(tmp_path)
    argv = ["verify", "--jobs", "2", "--format", "json", "--base-image", "base:1"]

    code = main([*argv, str(first), str(second)])

    assert engine.log.index("second installed") < engine.log.index("first installed")
    locks = json.loads(capsys.readouterr().out)["locks"]
    assert [Path(lock["lock"]).name for lock in locks] == ["z-first.txt", "a-second.txt"]
    assert [lock["ok"] for lock in locks] == [True, False]
    assert code == 1  # the worst of the two
    assert locks[1]["findings"][0]["kind"] == "missing-dependency"
    lock_runtimes = [runtime for runtime in engine.runtimes if runtime.lock]
    assert len({runtime.run_id for runtime in lock_runtimes}) == 2  # a run id each
    for runtime in lock_runtimes:
        assert runtime.calls[-2:] == ["cleanup", "close"]


def test_progress_names_the_lock_of_every_step(tmp_path: Path) -> None:
    engine = Engine()
    first, second = _locks(tmp_path)
    events: list[Phase | BuildProgress] = []
    command = VerifyCommand(locks=(first, second), base_image="base:1", jobs=2)
    verify_locks(
        command, tmp_path, environ={}, on_event=events.append, runtime_factory=engine.factory
    )
    steps = {
        (e.lock.name, e.event.number)
        for e in events
        if isinstance(e, BuildProgress) and isinstance(e.event, BuildStep)
    }
    assert steps == {("z-first.txt", 1), ("a-second.txt", 1)}


def test_one_job_verifies_one_lock_after_the_other(tmp_path: Path) -> None:
    engine = Engine(behaviour=lambda runtime, deadline: _built(runtime))
    first, second = _locks(tmp_path)
    command = VerifyCommand(locks=(first, second), base_image="base:1", jobs=1)
    reports = verify_locks(command, tmp_path, environ={}, runtime_factory=engine.factory)
    assert [report.lock for report in reports] == [first, second]
    assert engine.log == [
        "first started",
        "first installed",
        "first cleaned up",
        "second started",
        "second installed",
        "second cleaned up",
    ]


def _interrupt_when_both_started(engine: Engine) -> None:
    """Ctrl-C, as a terminal sends it: SIGINT to the main thread, waiting for the workers."""
    main_thread = threading.main_thread().ident
    assert main_thread is not None

    def interrupt() -> None:
        if all(event.wait(_GUARD) for event in engine.started.values()):
            signal.pthread_kill(main_thread, signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()


@pytest.mark.parametrize("stop", ["ctrl-c", "timeout", "error"])
def test_a_stop_cleans_up_every_running_lock(tmp_path: Path, stop: str) -> None:
    """Ctrl-C in the main thread, the shared --timeout, or one lock's engine error: both
    locks stop, both are cleaned up, and then the cause is raised."""
    engine = Engine(behaviour=_until_stopped)
    if stop == "error":

        def fail_first(runtime: LockRuntime, deadline: Deadline) -> BuiltImage:
            if runtime.lock == "second":
                return _until_stopped(runtime, deadline)
            assert engine.started["second"].wait(_GUARD), "the locks ran one by one"
            raise ContainerFailure("the engine went away", endpoint="fake://", source="a test")

        engine.behaviour = fail_first
    first, second = _locks(tmp_path)
    timeout = 2.0 if stop == "timeout" else 60.0
    command = VerifyCommand(locks=(first, second), base_image="base:1", jobs=2, timeout=timeout)
    expected = {"ctrl-c": KeyboardInterrupt, "timeout": ContainerTimeout, "error": ContainerFailure}
    if stop == "ctrl-c":
        _interrupt_when_both_started(engine)

    with pytest.raises(expected[stop]) as raised:
        verify_locks(command, tmp_path, environ={}, runtime_factory=engine.factory)

    if stop == "error":
        assert str(raised.value) == "the engine went away"  # the cause, not its consequence
    assert {"first cleaned up", "second cleaned up"} <= set(engine.log)
    for runtime in engine.runtimes:
        assert runtime.calls.count("close") == 1
    by_lock = {runtime.lock: runtime for runtime in engine.runtimes if runtime.lock}
    assert by_lock["second"].cancelled
    assert by_lock["first"].cancelled or stop == "error"


def test_every_lock_that_started_is_cleaned_up_when_one_fails(tmp_path: Path) -> None:
    """Three locks, two jobs: the first fails while the second installs; the third may be
    picked up by the freed worker before the run is stopped, and then stops at once."""
    engine = Engine()

    def behaviour(runtime: LockRuntime, deadline: Deadline) -> BuiltImage:
        if runtime.lock == "first":
            assert engine.started["second"].wait(_GUARD), "the locks ran one by one"
            raise ContainerFailure("the engine went away", endpoint="fake://", source="a test")
        return _until_stopped(runtime, deadline)

    engine.behaviour = behaviour
    first, second = _locks(tmp_path)
    third = write_lock(tmp_path / "third.txt", ("helper==2.0", "-r requirements.in"))
    command = VerifyCommand(locks=(first, second, third), base_image="base:1", jobs=2)
    with pytest.raises(ContainerFailure, match="the engine went away"):
        verify_locks(command, tmp_path, environ={}, runtime_factory=engine.factory)
    for lock in ("first", "second"):  # the third lock counts as a "second" here
        assert engine.log.count(f"{lock} started") == engine.log.count(f"{lock} cleaned up")
    assert all(runtime.calls.count("close") == 1 for runtime in engine.runtimes)
