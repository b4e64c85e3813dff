"""``ContainerRuntime`` over the docker SDK: the one module of lockctl that imports ``docker``.

The engine is the one the Docker command line would use (``lockctl.verify.endpoint``).
Builds and containers use the host's network: an engine may run without a bridge, and pip
inside may need a loopback index or the host's proxy.

A build (like a container's output and its exit) is read in a worker thread while the
caller's thread waits on a queue, looking at the deadline, so ``--timeout``, Ctrl-C and
SIGTERM (or, with ``--jobs``, the deadline's cancellation) are seen at once; stopping a
build shuts its connection down, which is how the engine learns to cancel it (the SDK has no
cancel call). ``cleanup`` then removes every container and image this run created: those it
knows by id (the builder's intermediate containers and step images, read from the build
stream), then anything still labelled with the run id. ``run_layer``
(``lockctl.verify.dockerlayer``) makes an image without the builder, with a kept volume
mounted; ``remove_volume`` removes such a volume.
"""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import docker
from docker.errors import DockerException, ImageNotFound, NotFound
from docker.tls import TLSConfig

from lockctl.errors import ContainerFailure, ContainerTimeout, EngineUnavailable

from .buildstream import BuildLog
from .dockerlayer import LayerRun
from .endpoint import START_HINT, EngineEndpoint, find_endpoint
from .runtime import (
    FAILED_STEP_LINES,
    RUN_LABEL,
    BuildEvent,
    BuildFailure,
    BuildRequest,
    BuiltImage,
    Deadline,
    LayerRequest,
    ProcessResult,
)

__all__ = ["DockerRuntime"]

_API_TIMEOUT = 60  # seconds for one ordinary API call (inspect, create, remove)
_POLL = 0.2  # how often a waiting thread looks at the deadline
_GONE_WAIT = 15.0  # after a cancelled build: how long to wait for its container to go
_END = object()
_OS_ERROR = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")


class _BuildClient(docker.APIClient):  # type: ignore[misc]
    """The SDK's client, keeping the response of the build it streams so it can be cut."""

    response: Any = None

    def _stream_helper(self, response: Any, decode: bool = False) -> Any:
        self.response = response
        return super()._stream_helper(response, decode=decode)

    def cut(self) -> None:
        """Shut the build's connection down; a blocked read in the worker thread returns."""
        connection = getattr(getattr(self.response, "raw", None), "connection", None)
        sock = getattr(connection, "sock", None)
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class DockerRuntime:
    """One run's connection to the engine: ``connect``, use, ``cleanup``, ``close``."""

    def __init__(
        self, *, client: Any, builder: _BuildClient, endpoint: EngineEndpoint, run_id: str
    ):
        self._client = client
        self._builder = builder
        self._endpoint = endpoint
        self._run_id = run_id
        self._containers: list[str] = []
        self._builds: list[BuildLog] = []
        self._layers: list[str] = []  # images run_layer committed

    @classmethod
    def connect(
        cls, environ: Mapping[str, str], *, run_id: str, home: Path | None = None
    ) -> DockerRuntime:
        """The engine the environment names; ``EngineUnavailable`` when it does not answer."""
        endpoint = find_endpoint(environ, home=home)
        try:
            kwargs = _client_kwargs(endpoint, environ)
            client = docker.DockerClient(timeout=_API_TIMEOUT, **kwargs)
            client.ping()
            builder = _BuildClient(timeout=_API_TIMEOUT, version=client.api.api_version, **kwargs)
        except (DockerException, OSError) as exc:
            raise EngineUnavailable(
                f"no container engine answers at {endpoint.describe()}: {_reason(exc)}",
                endpoint=endpoint.url,
                source=endpoint.source,
                reason=_reason(exc),
                hint=START_HINT,
            ) from None
        return cls(client=client, builder=builder, endpoint=endpoint, run_id=run_id)

    @property
    def endpoint(self) -> EngineEndpoint:
        return self._endpoint

    @property
    def run_id(self) -> str:
        return self._run_id

    @property
    def labels(self) -> dict[str, str]:
        return {RUN_LABEL: self._run_id}

    def image_exists(self, reference: str) -> bool:
        try:
            self._client.images.get(reference)
        except ImageNotFound:
            return False
        except (DockerException, OSError) as exc:
            raise self._failure(f"cannot look up the image {reference}", exc) from None
        return True

    def build(
        self,
        request: BuildRequest,
        *,
        on_event: Callable[[BuildEvent], None],
        deadline: Deadline,
    ) -> BuiltImage | BuildFailure:
        log = BuildLog()
        self._builds.append(log)  # before anything can fail: cleanup reads it
        messages: queue.Queue[object] = queue.Queue()
        worker = threading.Thread(
            target=self._stream_build, args=(request, deadline, messages), daemon=True
        )
        worker.start()
        try:
            while (item := self._next(messages, deadline, "the build")) is not _END:
                if isinstance(item, BaseException):
                    if deadline.remaining() < 1.0:  # the socket's timeout is the deadline's
                        raise self._timeout(deadline, "the build") from None
                    raise self._failure("the build could not run", item) from None
                if isinstance(item, dict):
                    for event in log.feed(item):
                        on_event(event)
            for event in log.finish():
                on_event(event)
        except BaseException:
            self._builder.cut()
            worker.join(timeout=_GONE_WAIT)
            while not messages.empty():  # step images committed before the cut: for cleanup
                log.absorb(messages.get_nowait())
            raise
        if log.error is not None or log.image_id is None:
            return log.failure(self._container_log(log.step_container))
        return BuiltImage(image_id=log.image_id, tag=request.tag)

    def run_layer(
        self,
        request: LayerRequest,
        *,
        on_event: Callable[[BuildEvent], None],
        deadline: Deadline,
    ) -> BuiltImage | BuildFailure:
        during = f"the install into {request.image}"
        run = LayerRun(
            self._client,
            request,
            labels=self.labels,
            wait=lambda messages: self._next(messages, deadline, during),
            record_container=self._containers.append,
            record_image=self._layers.append,
        )
        try:
            return run(on_event)
        except BaseException as exc:
            for container_id in list(self._containers):  # a running install stops
                self._gone(container_id)
            if isinstance(exc, (DockerException, OSError)):
                raise self._failure(during, exc) from None
            raise

    def remove_volume(self, name: str) -> bool:
        try:
            self._client.api.remove_volume(name)
        except NotFound:
            return False
        except (DockerException, OSError) as exc:
            raise self._failure(f"cannot remove the volume {name}", exc) from None
        return True

    def run(
        self,
        image: str,
        command: Sequence[str],
        *,
        environment: dict[str, str],
        deadline: Deadline,
    ) -> ProcessResult:
        try:
            container = self._client.containers.create(
                image,
                list(command),
                entrypoint=[],  # the probe runs Python itself, whatever the image's ENTRYPOINT
                environment=environment,
                labels=self.labels,
                network_mode="host",
            )
        except (DockerException, OSError) as exc:
            raise self._failure(f"cannot create a container from {image}", exc) from None
        self._containers.append(container.id)
        during = f"{command[0]} in {image}"
        try:
            container.start()
            status = self._wait_for(container, deadline, during)
            stdout = container.logs(stdout=True, stderr=False)
            stderr = container.logs(stdout=False, stderr=True)
        except (DockerException, OSError) as exc:
            if deadline.expired:  # the wait's own read timed out with the deadline
                raise self._timeout(deadline, during) from None
            raise self._failure(f"the container from {image} failed", exc) from None
        finally:
            self._gone(container.id)
        return ProcessResult(
            exit_code=int(status.get("StatusCode", -1)),
            stdout=stdout.decode("utf-8", "replace"),
            stderr=stderr.decode("utf-8", "replace"),
        )

    def cleanup(self, *, keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
        """Remove what this run made, except the images in ``keep``; return what is left. A
        cancelled step's container takes a moment to stop, and its images wait for it."""
        pending = [*self._containers, *(cid for log in self._builds for cid in log.containers)]
        left = self._until_gone(pending, self._gone, "container")
        images = [image for image in reversed(self._layers) if image not in keep]
        for log in reversed(self._builds):
            if log.image_id is None or log.image_id not in keep:  # kept: its layers stay too
                images += [*([log.image_id] if log.image_id else []), *reversed(log.images)]
        left += self._until_gone(images, self._image_gone, "image")
        left += self._sweep(keep)
        return tuple(dict.fromkeys(left))

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._builder.close()
            self._client.close()

    # -- helpers ---------------------------------------------------------------------------

    def _stream_build(
        self, request: BuildRequest, deadline: Deadline, messages: queue.Queue[object]
    ) -> None:
        try:
            stream = self._builder.build(
                path=str(request.context),
                dockerfile=str(request.dockerfile),
                tag=request.tag,
                buildargs=dict(request.build_args),
                target=request.target,
                labels=self.labels,
                network_mode="host",
                rm=True,
                forcerm=False,  # a failed step's container stays until its log is read
                pull=False,
                decode=True,
                timeout=max(deadline.remaining(), 1.0),
            )
            for message in stream:
                messages.put(message)
        except BaseException as exc:  # handed to the waiting thread, which raises it
            messages.put(exc)
        finally:
            messages.put(_END)

    def _wait_for(self, container: Any, deadline: Deadline, during: str) -> dict[str, Any]:
        """The container's exit, waited for in a worker thread: the deadline (and its
        cancellation, when locks run in parallel) is seen at once; removing the container
        (``cleanup``) ends the worker's wait."""
        messages: queue.Queue[object] = queue.Queue()

        def wait() -> None:
            try:
                messages.put(container.wait(timeout=max(deadline.remaining(), 1.0) + _POLL * 5))
            except BaseException as exc:  # handed to the waiting thread, which raises it
                messages.put(exc)

        threading.Thread(target=wait, daemon=True).start()
        item = self._next(messages, deadline, during)
        if isinstance(item, BaseException):
            raise item
        assert isinstance(item, dict)
        return item

    def _next(self, messages: queue.Queue[object], deadline: Deadline, during: str) -> object:
        while True:
            try:
                return messages.get(timeout=_POLL)
            except queue.Empty:
                if deadline.expired:
                    raise self._timeout(deadline, during) from None

    def _container_log(self, container_id: str | None) -> str | None:
        """A failed step's container is kept (``forcerm=False``) for its log; cleanup removes it."""
        if container_id is None:
            return None
        try:
            output: bytes = self._client.api.logs(container_id, tail=FAILED_STEP_LINES)
        except (DockerException, OSError):
            return None
        return output.decode("utf-8", "replace")

    def _gone(self, container_id: str) -> bool:
        """Remove a container; True once it is gone (False: "removal in progress", or an
        error the sweep tries again and reports)."""
        try:
            self._client.api.remove_container(container_id, force=True, v=True)
        except NotFound:
            pass
        except (DockerException, OSError):
            return False
        if container_id in self._containers:
            self._containers.remove(container_id)
        return True

    def _image_gone(self, image_id: str) -> bool:
        try:
            self._client.images.remove(image_id, force=False, noprune=False)
        except NotFound:  # ImageNotFound too: pruned with the image it was a layer of
            pass
        except (DockerException, OSError):
            return False  # in use by a container that is still going, or shared since
        return True

    def _until_gone(self, ids: list[str], gone: Callable[[str], bool], kind: str) -> list[str]:
        pending = list(dict.fromkeys(ids))
        stop = time.monotonic() + _GONE_WAIT
        while pending:
            pending = [identifier for identifier in pending if not gone(identifier)]
            if not pending or time.monotonic() >= stop:
                break
            time.sleep(_POLL)
        return [f"{kind} {_short(identifier)}" for identifier in pending]

    def _sweep(self, keep: frozenset[str]) -> list[str]:
        """Anything still labelled with this run's id (an interrupted run's last container)."""
        label = {"label": f"{RUN_LABEL}={self._run_id}"}
        left: list[str] = []
        try:
            for container in self._client.containers.list(all=True, filters=label):
                if not self._gone(container.id):
                    left.append(f"container {_short(container.id)}")
            if keep:  # a kept image's layers carry the label too: they stay with it
                return left
            labelled = [image.id for image in self._client.images.list(all=True, filters=label)]
            left += self._until_gone(labelled, self._image_gone, "image")
        except (DockerException, OSError) as exc:
            left.append(f"could not list what is left: {_reason(exc)}")
        return left

    def _failure(self, message: str, exc: BaseException) -> ContainerFailure:
        return ContainerFailure(
            f"{message}: {_reason(exc)}",
            endpoint=self._endpoint.url,
            source=self._endpoint.source,
        )

    def _timeout(self, deadline: Deadline, during: str) -> ContainerTimeout:
        return ContainerTimeout(
            f"{during} ran past the time allowed ({deadline.seconds:g}s)",
            endpoint=self._endpoint.url,
            source=self._endpoint.source,
            seconds=deadline.seconds,
            during=during,
        )


def _client_kwargs(endpoint: EngineEndpoint, environ: Mapping[str, str]) -> dict[str, Any]:
    if endpoint.from_environment:  # DOCKER_HOST, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH
        kwargs: dict[str, Any] = docker.utils.kwargs_from_env(environment=dict(environ))
        return kwargs
    tls: TLSConfig | bool = False
    if endpoint.tls_dir is not None:
        files = {name: endpoint.tls_dir / f"{name}.pem" for name in ("ca", "cert", "key")}
        cert = (str(files["cert"]), str(files["key"])) if files["cert"].is_file() else None
        ca = str(files["ca"]) if files["ca"].is_file() else None
        tls = TLSConfig(client_cert=cert, ca_cert=ca, verify=not endpoint.skip_tls_verify and ca)
    return {"base_url": endpoint.url, "tls": tls}


def _short(identifier: str) -> str:
    return identifier.removeprefix("sha256:")[:12]


def _reason(exc: BaseException) -> str:
    """The gist of an SDK error: requests wraps the OS's reason in three layers of repr."""
    text = str(exc).strip() or type(exc).__name__
    os_error = _OS_ERROR.search(text)
    return os_error[0].strip() if os_error else text.splitlines()[0][:300]
