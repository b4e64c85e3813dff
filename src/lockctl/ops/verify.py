"""``lockctl verify``: prove locks in throwaway sandboxes, and say what was found.

For each lock: plan (every input checked, ``ops.verify_plan``), connect to the engine and
check that the images the build starts from are there (no registry is ever asked), build
(project mode: the project's Dockerfile; lock-only mode: one install layer on the base image,
``verify.lockinstall``), probe (pip check, pip inspect, imports), compare with the lock, and
throw everything away in a ``finally``: on success, on a failed build, on a timeout, on
Ctrl-C and on SIGTERM (which ``lockctl.cli.main`` raises in the main thread, so ``finally``
runs). ``--keep`` keeps the image and reports its tag. What stays is the wheel cache of lock-only
mode, a volume ``clear_cache`` removes.

``--jobs`` locks are verified at once, in worker threads, each with its own run id and
containers; an interrupt or an error in one stops them all through their shared deadline
(``_each`` says how), and the reports come back in the locks' order.

No printing: progress goes to ``on_event`` (``verify.report.Phase``, and the build's
``verify.runtime.BuildStep``/``BuildOutput`` in a ``BuildProgress`` naming the lock), from
the worker threads; the findings come back as values.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from lockctl.errors import ImageNotFound, UsageError
from lockctl.ops.commands import VerifyCommand
from lockctl.ops.verify_plan import VerifyPlan, plan_verification
from lockctl.verify.compare import compare, root_distributions
from lockctl.verify.lockinstall import PIP_CACHE, lock_install_layer
from lockctl.verify.report import BuildProgress, CacheCleared, Phase, VerifyReport
from lockctl.verify.runtime import (
    BuildEvent,
    BuildRequest,
    ContainerRuntime,
    Deadline,
    LayerRequest,
)
from lockctl.verify.sandbox import ContainerSandbox, ProbeRequest, Sandbox

__all__ = ["IMAGE_REPOSITORY", "RuntimeFactory", "VerifyEvent", "clear_cache", "verify_locks"]

IMAGE_REPOSITORY = "lockctl-verify"  # the images lockctl builds: lockctl-verify:<run id>
VerifyEvent = Phase | BuildProgress
RuntimeFactory = Callable[[Mapping[str, str], str], ContainerRuntime]
_IMPORT_TIMEOUT = 60.0  # seconds for one module's import, in a fresh interpreter
_IMAGE_HINT = (
    "lockctl asks no registry for it: build or load the image on this engine "
    "(scripts/docker-engine.sh in lockctl's repository builds a Debian bookworm one, "
    "lockctl-test-base:bookworm, also tagged python:3.11-slim), or pass another --base-image"
)


def verify_locks(
    command: VerifyCommand,
    cwd: Path,
    *,
    environ: Mapping[str, str],
    on_event: Callable[[VerifyEvent], None] = lambda event: None,
    runtime_factory: RuntimeFactory | None = None,
) -> tuple[VerifyReport, ...]:
    """Verify every lock of the command, ``command.jobs`` at once (each in its own sandbox
    and run id), the reports in the locks' order; raise only when nothing can be verified
    (bad input: exit 2; no engine, or the engine failed: exit 3)."""
    if not command.locks:
        raise UsageError("no LOCK to verify", hint="give one or more locks (.txt)")
    if command.dockerfile is not None and len(command.locks) != 1:
        raise UsageError("--dockerfile compares one image with one lock: give one LOCK")
    plans = [plan_verification(command, lock, cwd, environ) for lock in command.locks]
    factory = runtime_factory or _docker_runtime
    if command.sandbox == "container":
        _check_engine(factory(environ, uuid.uuid4().hex[:12]), plans)
    deadline = Deadline.after(command.timeout)

    def verify(plan: VerifyPlan) -> VerifyReport:
        def build_event(event: BuildEvent) -> None:
            on_event(BuildProgress(lock=plan.lock_path, event=event))

        sandbox = _sandbox(command, plan, environ, factory)
        return _verify(command, plan, sandbox, deadline, on_event, build_event)

    jobs = max(1, min(command.jobs, len(plans)))
    return tuple(_each(verify, plans, jobs=jobs, deadline=deadline))


def clear_cache(
    environ: Mapping[str, str], *, runtime_factory: RuntimeFactory | None = None
) -> CacheCleared:
    """Remove the wheel cache lockctl keeps on the engine (``lockctl.verify.lockinstall``)."""
    runtime = (runtime_factory or _docker_runtime)(environ, uuid.uuid4().hex[:12])
    try:
        removed = runtime.remove_volume(PIP_CACHE.name)
        return CacheCleared(
            volume=PIP_CACHE.name, where=runtime.endpoint.describe(), removed=removed
        )
    finally:
        runtime.close()


def _each(
    verify: Callable[[VerifyPlan], VerifyReport],
    plans: Sequence[VerifyPlan],
    *,
    jobs: int,
    deadline: Deadline,
) -> list[VerifyReport]:
    """``verify`` each plan, ``jobs`` at once, the reports in the plans' order.

    Ctrl-C and SIGTERM reach the main thread only, which waits here. On an interrupt, or the
    first lock that raises (the engine failed: exit 3, as one lock alone), the shared deadline
    is cancelled: every running lock stops at its next look at it and removes its containers
    and images in its own ``finally``; locks still queued are dropped (one a freed worker
    picks up first stops at once); and the interrupt (or the error) is raised once all of
    them are done, so nothing is left behind.
    """
    if jobs == 1:
        return [verify(plan) for plan in plans]
    running = _Running()

    def guarded(plan: VerifyPlan) -> VerifyReport:
        with running.enter():
            return verify(plan)

    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="lockctl-verify") as pool:
        futures: list[Future[VerifyReport]] = []
        try:
            for plan in plans:
                futures.append(pool.submit(guarded, plan))
            for done in as_completed(futures):  # a failure is seen at once, whatever its place
                done.result()
        except BaseException:
            # Counted, not by their futures: an interrupt inside submit() can leave a lock
            # running whose future (and thread) the pool never recorded.
            running.stop()
            deadline.cancel()
            for future in futures:
                future.cancel()
            running.wait_idle()
            raise
        return [future.result() for future in futures]


class _Running:
    """The locks being verified; once stopped, a lock that had not begun does not begin."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._count = 0
        self._stopped = False

    @contextmanager
    def enter(self) -> Iterator[None]:
        with self._condition:
            if self._stopped:
                raise CancelledError
            self._count += 1
        try:
            yield
        finally:
            with self._condition:
                self._count -= 1
                self._condition.notify_all()

    def stop(self) -> None:
        with self._condition:
            self._stopped = True

    def wait_idle(self) -> None:
        """Until every lock has cleaned up; a second Ctrl-C does not cut the cleanup short."""
        while True:
            try:
                with self._condition:
                    self._condition.wait_for(lambda: self._count == 0)
                return
            except BaseException:  # an interrupt while they clean up: go on waiting
                continue


def _check_engine(runtime: ContainerRuntime, plans: list[VerifyPlan]) -> None:
    """Before any build: the engine answers and has every image the builds start from, so a
    second lock's missing image does not throw the first lock's verification away."""
    try:
        for image in dict.fromkeys(image for plan in plans for image in plan.images):
            if not runtime.image_exists(image):
                raise ImageNotFound(
                    f"the image {image} is not on the engine at {runtime.endpoint.describe()}",
                    image=image,
                    endpoint=runtime.endpoint.url,
                    hint=_IMAGE_HINT,
                )
    finally:
        runtime.close()


def _sandbox(
    command: VerifyCommand,
    plan: VerifyPlan,
    environ: Mapping[str, str],
    runtime_factory: RuntimeFactory,
) -> Sandbox:
    if command.sandbox == "venv":
        from lockctl.verify.venv import VenvSandbox

        return VenvSandbox(
            plan.lock_path,
            require_hashes=plan.require_hashes,
            environment={**environ, **dict(plan.pip_environment)},
            keep=command.keep,
        )
    run_id = uuid.uuid4().hex[:12]
    runtime = runtime_factory(environ, run_id)
    return ContainerSandbox(
        runtime,
        _build_request(plan, run_id),
        base_image=plan.base_image if plan.mode == "project" else None,
        environment=dict(plan.environment),
        keep=command.keep,
    )


def _docker_runtime(environ: Mapping[str, str], run_id: str) -> ContainerRuntime:
    from lockctl.verify.dockersdk import DockerRuntime  # the docker SDK loads for verify alone

    return DockerRuntime.connect(environ, run_id=run_id)


def _build_request(plan: VerifyPlan, run_id: str) -> BuildRequest | LayerRequest:
    tag = f"{IMAGE_REPOSITORY}:{run_id}"
    if plan.mode == "lock-only":  # one layer on the base image, pip's cache kept
        assert plan.base_image is not None
        return lock_install_layer(
            plan.lock_path.read_bytes(),
            plan.base_image,
            tag=tag,
            require_hashes=plan.require_hashes,
            pip_environment=(*plan.environment, *plan.pip_environment),  # proxies, index
        )
    assert plan.dockerfile is not None and plan.context is not None
    return BuildRequest(
        context=plan.context.resolve(),
        dockerfile=plan.dockerfile.path.resolve(),
        tag=tag,
        build_args=plan.build_args,
        target=plan.target,
    )


def _verify(
    command: VerifyCommand,
    plan: VerifyPlan,
    sandbox: Sandbox,
    deadline: Deadline,
    on_event: Callable[[VerifyEvent], None],
    build_event: Callable[[BuildEvent], None],
) -> VerifyReport:
    report = VerifyReport(
        lock=plan.lock_path,
        mode=plan.mode,
        sandbox=command.sandbox,
        where=sandbox.description,
        base_image=plan.base_image,
        dockerfile=plan.dockerfile.path if plan.dockerfile is not None else None,
    )
    leftovers: tuple[str, ...] = ()
    try:
        subject = plan.base_image if command.sandbox == "container" else sandbox.description
        on_event(Phase(kind="build", lock=plan.lock_path, subject=subject or ""))
        failure = sandbox.prepare(on_event=build_event, deadline=deadline)
        if failure is not None:
            failed = None
            if plan.dockerfile is not None and failure.step is not None:
                failed = plan.dockerfile.find(failure.step.instruction)
            report = replace(
                report,
                build_failure=failure,
                failed_instruction=failed,
                install_lines=plan.install_lines,
            )
        else:
            report = _probe(command, plan, sandbox, deadline, on_event, report)
        report = replace(report, kept=sandbox.kept)
    finally:
        leftovers = sandbox.close()
    return replace(report, leftovers=leftovers)


def _probe(
    command: VerifyCommand,
    plan: VerifyPlan,
    sandbox: Sandbox,
    deadline: Deadline,
    on_event: Callable[[VerifyEvent], None],
    report: VerifyReport,
) -> VerifyReport:
    on_event(Phase(kind="probe", lock=plan.lock_path, subject=sandbox.description))
    request = ProbeRequest(
        roots=root_distributions(plan.lock),
        import_check=command.import_check,
        import_timeout=min(_IMPORT_TIMEOUT, command.timeout),
    )
    probe = sandbox.probe(request, deadline=deadline)
    base = None
    if plan.mode == "project":
        on_event(Phase(kind="base", lock=plan.lock_path, subject=plan.base_image or ""))
        base = sandbox.base_distributions(deadline=deadline)
    comparison = compare(plan.lock, probe, base=base, extras=plan.mode == "project")
    drift = any(finding.drift for finding in comparison.findings)
    return replace(
        report,
        python=probe.python,
        pins=comparison.pins,
        installed=len(probe.installed),
        imports_checked=len(probe.imports),
        findings=comparison.findings,
        install_lines=plan.install_lines if drift else (),
        notes=probe.notes,
    )
