"""The classic builder's JSON stream (``POST /build``), read into steps, logs and ids.

Each message is one JSON object: ``{"stream": "Step 2/5 : RUN ...\\n"}``, the step's output
as more ``stream`` text, ``{"stream": " ---> Running in 0c1b2e...\\n"}`` (the container the
step runs in), ``{"stream": " ---> 5d4e...\\n"}`` (the image the step committed; after
``---> Using cache``, and after a ``FROM``, that image existed before the build),
``{"aux": {"ID": "sha256:..."}}`` (the final image), and ``{"error": ..., "errorDetail": ...}``
when the build fails.

``BuildLog`` keeps what cleanup needs (the containers and images this build created, which
the builder does not label) and what a failure report needs (the failing step, the last
lines of its log).
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .runtime import FAILED_STEP_LINES, BuildEvent, BuildFailure, BuildOutput, BuildStep

__all__ = ["BuildLog"]

_STEP = re.compile(r"^Step (?P<number>\d+)/(?P<total>\d+) : (?P<instruction>.*)$")
_RUNNING_IN = re.compile(r"^ ---> Running in (?P<id>[0-9a-f]{12,64})$")
_COMMITTED = re.compile(r"^ ---> (?P<id>[0-9a-f]{12,64})$")
_USING_CACHE = " ---> Using cache"
_BUILDER_NOTES = (" ---> ", "Removing intermediate container ")  # not the step's own output
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass
class BuildLog:
    """Fed every message of one build, in order."""

    step: BuildStep | None = None
    step_lines: deque[str] = field(default_factory=lambda: deque(maxlen=FAILED_STEP_LINES))
    containers: list[str] = field(default_factory=list)  # intermediate, in order
    step_container: str | None = None  # the one the current step runs in
    images: list[str] = field(default_factory=list)  # committed by this build, in order
    image_id: str | None = None  # the final image
    error: str | None = None
    _cached: bool = False  # the next committed id is a cache hit: not ours to remove
    _partial: str = ""  # a stream chunk may end in the middle of a line

    def feed(self, message: Mapping[str, Any]) -> Iterator[BuildEvent]:
        """Read one message; yield the steps and output lines it holds."""
        if "error" in message or "errorDetail" in message:
            detail = message.get("errorDetail")
            text = message.get("error") or (
                detail.get("message") if isinstance(detail, dict) else ""
            )
            self.error = str(text or "the build failed").strip()
            return
        aux = message.get("aux")
        if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
            self.image_id = aux["ID"]
        stream = message.get("stream")
        if isinstance(stream, str):
            yield from self._text(stream)

    def absorb(self, message: object) -> None:
        """Read a message nobody shows any more (a build cut short): only its facts count."""
        if isinstance(message, Mapping):
            deque(self.feed(message), maxlen=0)

    def finish(self) -> Iterator[BuildEvent]:
        """The stream ended: a last line without a newline is still a line."""
        if self._partial:
            line, self._partial = self._partial, ""
            yield from self._line(line)

    def failure(self, container_log: str | None = None) -> BuildFailure:
        """``container_log``: the failed step's container's own log, which is complete (the
        stream may miss the last lines of a container that exits at once)."""
        lines = list(self.step_lines)
        if container_log is not None:
            lines = [_ANSI.sub("", line) for line in container_log.splitlines() if line.strip()]
        return BuildFailure(
            step=self.step,
            message=self.error or "the build ended without an image",
            log=tuple(lines[-FAILED_STEP_LINES:]),
        )

    def _text(self, text: str) -> Iterator[BuildEvent]:
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            yield from self._line(line.rstrip("\r"))

    def _line(self, raw: str) -> Iterator[BuildEvent]:
        line = _ANSI.sub("", raw)
        step = _STEP.match(line)
        if step is not None:
            self.step = BuildStep(
                number=int(step["number"]),
                total=int(step["total"]),
                instruction=" ".join(step["instruction"].split()),
            )
            self.step_lines.clear()
            self.step_container = None
            self._cached = False
            yield self.step
            return
        running = _RUNNING_IN.match(line)
        committed = _COMMITTED.match(line)
        if running is not None:
            self.containers.append(running["id"])
            self.step_container = running["id"]
        elif line.startswith(_USING_CACHE):
            self._cached = True
        elif committed is not None:
            if not self._cached and not self._from_step():
                self.images.append(committed["id"])
            self._cached = False
        elif line.strip() and not line.startswith(_BUILDER_NOTES):
            self.step_lines.append(line)
        yield BuildOutput(line=line)

    def _from_step(self) -> bool:
        """A FROM step "commits" the base image's id: never this build's to remove."""
        return self.step is not None and self.step.instruction.upper().startswith("FROM")
