"""``ops.verify`` against a fake ``ContainerRuntime``: the seam, without an engine.

The fake records what it was asked and answers from a script, so these tests pin down the
use case's own promises: inputs are checked before anything is created, cleanup runs after a
failed build, after an error and after Ctrl-C, and ``--keep`` keeps the image.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lockctl.errors import ImageNotFound
from lockctl.ops.commands import VerifyCommand
from lockctl.ops.verify import clear_cache, verify_locks
from lockctl.verify.endpoint import EngineEndpoint
from lockctl.verify.report import VerifyReport
from lockctl.verify.runtime import (
    BuildEvent,
    BuildFailure,
    BuildRequest,
    BuildStep,
    BuiltImage,
    ContainerRuntime,
    Deadline,
    LayerRequest,
    ProcessResult,
)
from tests.verify.conftest import write_lock

_ANSWER = {
    "python": "3.11.2",
    "pip_check": {"status": 0, "lines": []},
    "inspect": {"ok": True, "environment": {}, "installed": [{"name": "app", "version": "1.0"}]},
    "imports": [{"distribution": "app", "module": "app", "ok": True}],
}


@dataclass
class FakeRuntime:
    images: set[str] = field(default_factory=lambda: {"base:1"})
    build_result: BuiltImage | BuildFailure | BaseException = field(
        default_factory=lambda: BuiltImage(image_id="sha256:built", tag="lockctl-verify:x")
    )
    answer: str = json.dumps(_ANSWER)
    calls: list[str] = field(default_factory=list)
    kept: frozenset[str] | None = None
    layer: LayerRequest | None = None
    volumes: set[str] = field(default_factory=set)

    @property
    def endpoint(self) -> EngineEndpoint:
        return EngineEndpoint(url="fake://engine", source="a test")

    @property
    def run_id(self) -> str:
        return "x"

    def image_exists(self, reference: str) -> bool:
        self.calls.append(f"exists {reference}")
        return reference in self.images

    def build(
        self, request: BuildRequest, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuiltImage | BuildFailure:
        raise AssertionError("lock-only mode makes a layer; it builds no Dockerfile")

    def run_layer(
        self, request: LayerRequest, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuiltImage | BuildFailure:
        self.calls.append("layer")
        self.layer = request
        on_event(BuildStep(number=1, total=1, instruction=request.instruction))
        if isinstance(self.build_result, BaseException):
            raise self.build_result
        return self.build_result

    def remove_volume(self, name: str) -> bool:
        self.calls.append(f"remove volume {name}")
        return name in self.volumes

    def run(
        self,
        image: str,
        command: Sequence[str],
        *,
        environment: dict[str, str],
        deadline: Deadline,
    ) -> ProcessResult:
        self.calls.append(f"run {image} {command[0]}")
        assert environment["PIP_CONFIG_FILE"] == "/dev/null"
        return ProcessResult(exit_code=0, stdout=self.answer)

    def cleanup(self, *, keep: frozenset[str] = frozenset()) -> tuple[str, ...]:
        self.calls.append("cleanup")
        self.kept = keep
        return ()

    def close(self) -> None:
        self.calls.append("close")


def _verify(fake: FakeRuntime, tmp_path: Path, **options: object) -> tuple[VerifyReport, ...]:
    lock = write_lock(tmp_path / "requirements.txt", ("app==1.0", "-r requirements.in"))
    command = VerifyCommand(locks=(lock,), base_image="base:1", **options)  # type: ignore[arg-type]

    def factory(environ: Mapping[str, str], run_id: str) -> ContainerRuntime:
        return fake

    return verify_locks(command, tmp_path, environ={}, runtime_factory=factory)


def test_a_lock_is_built_probed_and_everything_removed(tmp_path: Path) -> None:
    fake = FakeRuntime()
    (report,) = _verify(fake, tmp_path)
    assert fake.calls == [
        "exists base:1",
        "close",  # the check before any build
        "layer",
        "run sha256:built python",
        "cleanup",
        "close",
    ]
    assert fake.layer is not None and fake.layer.image == "base:1"
    assert "--no-deps" in fake.layer.instruction
    assert fake.layer.cache is not None and fake.layer.cache.name == "lockctl-pip-cache"
    assert fake.layer.files == (
        ("/lockctl/requirements.txt", b"app==1.0\n    # via -r requirements.in\n"),
    )
    assert report.ok is True
    assert fake.kept == frozenset()


def test_keep_keeps_the_built_image(tmp_path: Path) -> None:
    fake = FakeRuntime()
    (report,) = _verify(fake, tmp_path, keep=True)
    assert fake.kept == frozenset({"sha256:built"})
    assert report.kept == "lockctl-verify:x"


def test_a_failed_build_is_a_finding_and_is_cleaned_up(tmp_path: Path) -> None:
    step = BuildStep(number=4, total=4, instruction="RUN pip install")
    fake = FakeRuntime(build_result=BuildFailure(step=step, message="exit 1", log=("boom",)))
    (report,) = _verify(fake, tmp_path)
    assert report.ok is False
    assert fake.calls[-2:] == ["cleanup", "close"]
    assert not any(call.startswith("run") for call in fake.calls)


@pytest.mark.parametrize("interruption", [KeyboardInterrupt(), RuntimeError("engine went away")])
def test_an_interrupted_install_is_cleaned_up_and_nothing_written(
    tmp_path: Path, interruption: BaseException
) -> None:
    fake = FakeRuntime(build_result=interruption)
    before = set(Path(tempfile.gettempdir()).glob("lockctl-verify-*"))
    with pytest.raises(type(interruption)):
        _verify(fake, tmp_path)
    assert fake.calls[-3:] == ["layer", "cleanup", "close"]
    assert set(Path(tempfile.gettempdir()).glob("lockctl-verify-*")) == before  # no context


def test_a_missing_base_image_is_refused_before_anything_is_built(tmp_path: Path) -> None:
    fake = FakeRuntime(images=set())
    with pytest.raises(ImageNotFound) as caught:
        _verify(fake, tmp_path)
    assert caught.value.image == "base:1"
    assert fake.calls == ["exists base:1", "close"]


@pytest.mark.parametrize("present", [True, False])
def test_clear_cache_removes_the_kept_volume(present: bool) -> None:
    fake = FakeRuntime(volumes={"lockctl-pip-cache"} if present else set())
    cleared = clear_cache({}, runtime_factory=lambda environ, run_id: fake)
    assert fake.calls == ["remove volume lockctl-pip-cache", "close"]
    assert (cleared.volume, cleared.removed) == ("lockctl-pip-cache", present)


def test_a_proxy_build_argument_reaches_pip_in_the_install_layer(tmp_path: Path) -> None:
    fake = FakeRuntime()
    _verify(fake, tmp_path, build_args=(("HTTPS_PROXY", "http://proxy.invalid:3128"),))
    assert fake.layer is not None
    assert "HTTPS_PROXY=http://proxy.invalid:3128" in fake.layer.command
