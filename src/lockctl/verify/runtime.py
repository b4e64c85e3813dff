"""The seam between lockctl and a container engine: the ``ContainerRuntime`` Protocol.

``verify`` needs five things of an engine: does it have an image, build an image (streaming
its steps), make an image of one command run on another image (``run_layer``: how lock-only
mode installs a lock, with pip's cache on a volume that outlives the run), run a command in
a throwaway container, and remove everything it made. The docker
SDK adapter (``lockctl.verify.dockersdk``) is the one implementation today; podman's
Docker-compatible socket works through it; tests may put a fake behind this Protocol.

Everything a runtime creates carries the label ``lockctl.run=<run id>``, so what one run made
can be found (and removed) even when the run was interrupted before it learnt the ids.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .endpoint import EngineEndpoint

__all__ = [
    "FAILED_STEP_LINES",
    "RUN_LABEL",
    "BuildEvent",
    "BuildFailure",
    "BuildOutput",
    "BuildRequest",
    "BuildStep",
    "BuiltImage",
    "CacheVolume",
    "ContainerRuntime",
    "Deadline",
    "LayerRequest",
    "ProcessResult",
]

RUN_LABEL = "lockctl.run"
FAILED_STEP_LINES = 30  # of a failed step's log, kept for the report


@dataclass(frozen=True, slots=True)
class Deadline:
    """When a whole run must be over (``--timeout``), on the monotonic clock.

    Locks verified in parallel share one deadline, and ``cancel`` ends it for all of them at
    once: Ctrl-C and SIGTERM reach the main thread only, so the workers learn of them (or of
    another lock's error) here, at their next look at the deadline, and clean up.
    """

    seconds: float
    at: float
    _cancelled: threading.Event = field(default_factory=threading.Event, compare=False, repr=False)

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, time.monotonic() + seconds)

    def remaining(self) -> float:
        return 0.0 if self.cancelled else max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.cancelled or time.monotonic() >= self.at

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        self._cancelled.set()


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildRequest:
    """An image to build: ``dockerfile`` may lie outside ``context`` (the SDK sends it along)."""

    context: Path
    dockerfile: Path
    tag: str
    build_args: tuple[tuple[str, str], ...] = ()
    target: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheVolume:
    """A named volume kept between runs (the one thing lockctl leaves on an engine): found
    by its name, created with ``labels`` when missing, mounted at ``target``."""

    name: str
    target: str
    labels: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LayerRequest:
    """An image made of ``image`` and what one command changed in it (``docker run``, then
    ``docker commit``): one layer, no builder, and a volume the builder could not mount.

    ``files`` are put into the container before it starts; the image keeps the base's
    ``CMD``, so ``command`` passes its settings through ``env`` rather than the container's
    environment, which a commit would keep."""

    image: str
    command: tuple[str, ...]
    instruction: str  # the step, as progress and a failure report show it
    tag: str
    files: tuple[tuple[str, bytes], ...] = ()  # (absolute path in the container, content)
    cache: CacheVolume | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildStep:
    """``Step 2/5 : RUN pip install ...``: a step of the build has started."""

    number: int
    total: int
    instruction: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "total": self.total, "instruction": self.instruction}


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildOutput:
    """One line the build printed (a step's output, or the builder's own notes)."""

    line: str


BuildEvent = BuildStep | BuildOutput


@dataclass(frozen=True, slots=True, kw_only=True)
class BuiltImage:
    image_id: str
    tag: str


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildFailure:
    """A build that failed: the step it failed in (None before the first step), the
    builder's message, and the last lines of that step's log."""

    step: BuildStep | None
    message: str
    log: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step.to_dict() if self.step is not None else None,
            "message": self.message,
            "log": list(self.log),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class ProcessResult:
    """A command that ran in a container and ended."""

    exit_code: int
    stdout: str
    stderr: str = field(default="")


class ContainerRuntime(Protocol):
    """One run's view of a container engine; ``cleanup`` removes all it created."""

    @property
    def endpoint(self) -> EngineEndpoint: ...

    @property
    def run_id(self) -> str: ...

    def image_exists(self, reference: str) -> bool: ...

    def build(
        self,
        request: BuildRequest,
        *,
        on_event: Callable[[BuildEvent], None],
        deadline: Deadline,
    ) -> BuiltImage | BuildFailure: ...

    def run_layer(
        self,
        request: LayerRequest,
        *,
        on_event: Callable[[BuildEvent], None],
        deadline: Deadline,
    ) -> BuiltImage | BuildFailure: ...

    def run(
        self,
        image: str,
        command: Sequence[str],
        *,
        environment: dict[str, str],
        deadline: Deadline,
    ) -> ProcessResult: ...

    def remove_volume(self, name: str) -> bool:
        """Remove a kept volume (``CacheVolume``); False when there was none."""
        ...

    def cleanup(self, *, keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Remove every container and image this run made, except the images in ``keep``;
        return what could not be removed, described."""
        ...

    def close(self) -> None: ...
