"""Where a lock is installed and looked at: the ``Sandbox`` Protocol, and what the probe says.

Two sandboxes: ``ContainerSandbox`` (an image built on a ``ContainerRuntime``, then the probe
in a throwaway container from it) and ``lockctl.verify.venv.VenvSandbox`` (a throwaway
virtual environment of the running Python, when no engine is at hand). Both answer with the
same ``ProbeResult``, so ``ops.verify`` makes one report of either.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.errors import ContainerFailure, ToolFailure

from .pipcheck import PipCheckProblem, parse_pip_check
from .runtime import (
    BuildEvent,
    BuildFailure,
    BuildRequest,
    BuiltImage,
    ContainerRuntime,
    Deadline,
    LayerRequest,
)

__all__ = [
    "PROBE_SOURCE",
    "ContainerSandbox",
    "ImportResult",
    "InstalledDistribution",
    "ProbeRequest",
    "ProbeResult",
    "Sandbox",
]

PROBE_SOURCE = Path(__file__).with_name("probe.py").read_text(encoding="utf-8")
_PYTHONS = ("python", "python3")  # the official images have both; some images only python3


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRequest:
    roots: tuple[str, ...] = ()  # distributions whose top-level modules to import
    import_check: bool = True
    import_timeout: float = 60.0

    def to_json(self, pip: list[str] | None = None) -> str:
        return json.dumps(
            {
                "pip": pip,
                "roots": list(self.roots),
                "imports": self.import_check,
                "timeout": self.import_timeout,
            }
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InstalledDistribution:
    name: NormalizedName
    version: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportResult:
    distribution: str
    module: str
    ok: bool
    error: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeResult:
    python: str
    problems: tuple[PipCheckProblem, ...]
    pip_check_status: int
    installed: tuple[InstalledDistribution, ...]
    environment: Mapping[str, str] = field(default_factory=dict)  # PEP 508 marker values
    imports: tuple[ImportResult, ...] = ()
    notes: tuple[str, ...] = ()  # what the probe could not do (pip too old for inspect)

    @classmethod
    def from_json(cls, text: str) -> ProbeResult:
        """The probe's answer: its last line of output. ValueError when it is not one."""
        lines = [line for line in text.splitlines() if line.strip()]
        data = json.loads(lines[-1]) if lines else None
        if not isinstance(data, dict):
            raise ValueError("the probe printed no answer")
        check: dict[str, Any] = data.get("pip_check", {})
        inspect: dict[str, Any] = data.get("inspect", {})
        notes = [check.get("error", "")] if check.get("status", 0) not in (0, 1) else []
        notes += [inspect.get("error", "")] if inspect.get("error") else []
        return cls(
            python=str(data.get("python", "")),
            problems=parse_pip_check(check.get("lines", [])),
            pip_check_status=int(check.get("status", -1)),
            installed=tuple(
                InstalledDistribution(name=canonicalize_name(item["name"]), version=item["version"])
                for item in inspect.get("installed", [])
                if item.get("name")
            ),
            environment={str(k): str(v) for k, v in inspect.get("environment", {}).items()},
            imports=tuple(
                ImportResult(
                    distribution=item["distribution"],
                    module=item.get("module", ""),
                    ok=bool(item.get("ok")),
                    error=item.get("error", ""),
                )
                for item in data.get("imports", [])
            ),
            notes=tuple(note for note in notes if note),
        )

    def versions(self) -> dict[NormalizedName, str]:
        return {dist.name: dist.version for dist in self.installed}


class Sandbox(Protocol):
    """Install (build), probe, and throw away; ``close`` returns what could not be removed."""

    @property
    def description(self) -> str: ...

    def prepare(
        self, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuildFailure | None: ...

    def probe(self, request: ProbeRequest, *, deadline: Deadline) -> ProbeResult: ...

    def base_distributions(self, *, deadline: Deadline) -> frozenset[NormalizedName] | None:
        """What the sandbox has before anything is installed (None: not known)."""
        ...

    @property
    def kept(self) -> str | None:
        """With --keep: the image tag (or folder) left for the user."""
        ...

    def close(self) -> tuple[str, ...]: ...


class ContainerSandbox:
    """An image built from ``build`` (the project's Dockerfile) or made by ``build`` (lock-only
    mode's install layer), probed in a throwaway container; ``base_image`` is looked at for
    what it brings (pip, setuptools)."""

    def __init__(
        self,
        runtime: ContainerRuntime,
        build: BuildRequest | LayerRequest,
        *,
        base_image: str | None,
        environment: Mapping[str, str],
        keep: bool = False,
    ) -> None:
        self._runtime = runtime
        self._build = build
        self._base_image = base_image
        self._environment = dict(environment)
        self._keep = keep
        self._image: BuiltImage | None = None

    @property
    def description(self) -> str:
        return f"a container at {self._runtime.endpoint.describe()}"

    @property
    def kept(self) -> str | None:
        return self._image.tag if self._keep and self._image is not None else None

    def prepare(
        self, *, on_event: Callable[[BuildEvent], None], deadline: Deadline
    ) -> BuildFailure | None:
        if isinstance(self._build, LayerRequest):
            result = self._runtime.run_layer(self._build, on_event=on_event, deadline=deadline)
        else:
            result = self._runtime.build(self._build, on_event=on_event, deadline=deadline)
        if isinstance(result, BuildFailure):
            return result
        self._image = result
        return None

    def probe(self, request: ProbeRequest, *, deadline: Deadline) -> ProbeResult:
        assert self._image is not None, "prepare() first"
        return self._probe(self._image.image_id, request, deadline)

    def base_distributions(self, *, deadline: Deadline) -> frozenset[NormalizedName] | None:
        if self._base_image is None:
            return None
        result = self._probe(self._base_image, ProbeRequest(import_check=False), deadline)
        return frozenset(dist.name for dist in result.installed)

    def close(self) -> tuple[str, ...]:
        keep = frozenset({self._image.image_id}) if self.kept and self._image else frozenset()
        try:
            return self._runtime.cleanup(keep=keep)
        finally:
            self._runtime.close()

    def _probe(self, image: str, request: ProbeRequest, deadline: Deadline) -> ProbeResult:
        for python in _PYTHONS:
            command = (python, "-c", PROBE_SOURCE, request.to_json())
            try:
                done = self._runtime.run(
                    image, command, environment=self._environment, deadline=deadline
                )
            except ContainerFailure as exc:
                if "executable file not found" in exc.message and python != _PYTHONS[-1]:
                    continue
                raise
            try:
                return ProbeResult.from_json(done.stdout)
            except (ValueError, KeyError, TypeError):
                raise ToolFailure(
                    f"the probe found no working Python in {image}",
                    command=(python, "-c", "<lockctl's probe>"),
                    output="\n".join(done.stderr.splitlines()[-10:]),
                ) from None
        raise AssertionError("unreachable")
