"""``run_layer`` over the docker SDK: a container from the base image, the files put in, one
command run with a kept volume mounted, its output streamed, and the container committed.

It is what the classic builder does for one ``RUN`` step (a container, then a commit), but
with a named volume, which the builder cannot mount (``lockctl.verify.lockinstall`` says why
lock-only mode needs one). ``DockerRuntime`` owns the connection and the cleanup: it hands
in what to record (the container, the image) so that ``cleanup`` removes them, also when the
run is interrupted in the middle.
"""

from __future__ import annotations

import io
import queue
import tarfile
import threading
from collections import deque
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from .runtime import (
    FAILED_STEP_LINES,
    BuildEvent,
    BuildFailure,
    BuildOutput,
    BuildStep,
    BuiltImage,
    LayerRequest,
)

__all__ = ["LayerRun"]

_END = object()


class LayerRun:
    """One ``run_layer`` call; ``wait`` reads the next message within the run's deadline."""

    def __init__(
        self,
        client: Any,
        request: LayerRequest,
        *,
        labels: dict[str, str],
        wait: Callable[[queue.Queue[object]], object],
        record_container: Callable[[str], None],
        record_image: Callable[[str], None],
    ) -> None:
        self._client = client
        self._request = request
        self._labels = labels
        self._wait = wait
        self._record_container = record_container
        self._record_image = record_image

    def __call__(self, on_event: Callable[[BuildEvent], None]) -> BuiltImage | BuildFailure:
        request = self._request
        step = BuildStep(number=1, total=1, instruction=request.instruction)
        on_event(step)
        volumes: dict[str, dict[str, str]] = {}
        if request.cache is not None:
            # Creating a named volume that exists is a no-op: no race between parallel runs.
            self._client.api.create_volume(request.cache.name, labels=dict(request.cache.labels))
            volumes[request.cache.name] = {"bind": request.cache.target, "mode": "rw"}
        base = self._client.api.inspect_image(request.image)["Config"]
        container = self._client.containers.create(
            request.image,
            list(request.command),
            entrypoint=[],  # as a Dockerfile's RUN: the image's ENTRYPOINT is not in the way
            labels=self._labels,
            network_mode="host",
            volumes=volumes,
        )
        self._record_container(container.id)
        if request.files:
            container.put_archive("/", _tar(request.files))
        container.start()
        lines: deque[str] = deque(maxlen=FAILED_STEP_LINES)
        for line in self._output(container):
            lines.append(line)
            on_event(BuildOutput(line=line))
        status = int(container.wait().get("StatusCode", -1))
        if status != 0:
            log = container.logs(stdout=True, stderr=True, tail=FAILED_STEP_LINES)
            complete = [line for line in log.decode("utf-8", "replace").splitlines() if line]
            return BuildFailure(
                step=step,
                message=f"{request.instruction} returned a non-zero code: {status}",
                log=tuple(complete or lines),
            )
        repository, _, tag = request.tag.rpartition(":")
        # The base image's CMD and ENTRYPOINT: the command that made the layer is not what
        # the image runs.
        keep = {"Cmd": base.get("Cmd"), "Entrypoint": base.get("Entrypoint")}
        image = container.commit(repository=repository, tag=tag, conf=keep)
        self._record_image(image.id)
        return BuiltImage(image_id=image.id, tag=request.tag)

    def _output(self, container: Any) -> Any:
        """The container's output, line by line, read in a worker thread so that the
        deadline, Ctrl-C and SIGTERM are seen at once (removing the container ends it)."""
        messages: queue.Queue[object] = queue.Queue()

        def read() -> None:
            try:
                for chunk in container.logs(stream=True, follow=True):
                    messages.put(chunk)
            except BaseException as exc:  # handed to the waiting thread, which raises it
                messages.put(exc)
            finally:
                messages.put(_END)

        threading.Thread(target=read, daemon=True).start()
        partial = ""
        while (item := self._wait(messages)) is not _END:
            if isinstance(item, BaseException):
                raise item
            if isinstance(item, bytes):
                *complete, partial = (partial + item.decode("utf-8", "replace")).split("\n")
                yield from (line.rstrip("\r") for line in complete if line.strip())
        if partial.strip():
            yield partial.rstrip("\r")


def _tar(files: tuple[tuple[str, bytes], ...]) -> bytes:
    """An archive of ``files`` for ``put_archive("/")``, with their folders."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        folders: dict[str, None] = {}
        for path, _ in files:
            for parent in reversed(PurePosixPath(path.lstrip("/")).parents[:-1]):
                folders[str(parent)] = None
        for folder in folders:
            info = tarfile.TarInfo(folder)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            archive.addfile(info)
        for path, content in files:
            info = tarfile.TarInfo(path.lstrip("/"))
            info.size, info.mode = len(content), 0o644
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
