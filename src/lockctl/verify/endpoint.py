"""Where the container engine is: the address the Docker command line would use, and why.

The docker SDK's ``from_env`` reads ``DOCKER_HOST`` (and ``DOCKER_TLS_VERIFY``,
``DOCKER_CERT_PATH``) but not Docker contexts, so a machine set up with ``docker context use``
(a remote engine, or podman's Docker-compatible socket) would silently get the default socket.
This module follows the Docker CLI's own order instead:

1. ``DOCKER_HOST``;
2. ``DOCKER_CONTEXT``, else ``currentContext`` in ``$DOCKER_CONFIG/config.json``
   (``~/.docker`` by default); a context's endpoint is in
   ``contexts/meta/<sha256 of its name>/meta.json``, its TLS files under
   ``contexts/tls/<same>/docker/``;
3. the default socket, ``unix:///var/run/docker.sock``.

The ``source`` of an endpoint is said in every error, so "no engine" names where lockctl
looked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lockctl.errors import UsageError

__all__ = ["DEFAULT_SOCKET", "START_HINT", "EngineEndpoint", "find_endpoint"]

DEFAULT_SOCKET = "unix:///var/run/docker.sock"
START_HINT = (
    "start one: as root, scripts/docker-engine.sh in lockctl's repository (or "
    "'dockerd --bridge=none --iptables=false --ip6tables=false'), point DOCKER_HOST at a "
    "running engine, or verify in a throwaway virtual environment with --sandbox venv"
)  # when none answers
_DEFAULT_CONTEXT = "default"  # the Docker CLI's name for "no context": DOCKER_HOST or the socket


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineEndpoint:
    """An engine's address; ``url`` None means the SDK reads ``DOCKER_HOST`` itself.

    ``tls_dir`` holds a context's ``ca.pem``, ``cert.pem`` and ``key.pem`` when it has them.
    """

    url: str
    source: str  # "DOCKER_HOST", "Docker context 'x' (DOCKER_CONTEXT)", "the default socket"
    from_environment: bool = False  # DOCKER_HOST: let the SDK read it with its TLS variables
    tls_dir: Path | None = None
    skip_tls_verify: bool = False

    def describe(self) -> str:
        """``unix:///var/run/docker.sock (the default socket)``."""
        return f"{self.url} ({self.source})"

    def to_dict(self) -> dict[str, Any]:
        return {"url": self.url, "source": self.source}


def find_endpoint(environ: Mapping[str, str], *, home: Path | None = None) -> EngineEndpoint:
    """The engine the Docker command line would talk to, given this environment."""
    host = environ.get("DOCKER_HOST", "").strip()
    if host:
        return EngineEndpoint(url=host, source="DOCKER_HOST", from_environment=True)
    config_dir = _config_dir(environ, home)
    name = environ.get("DOCKER_CONTEXT", "").strip()
    how = "DOCKER_CONTEXT"
    if not name:
        name = _current_context(config_dir)
        how = f"currentContext in {config_dir / 'config.json'}"
    if name and name != _DEFAULT_CONTEXT:
        return _context_endpoint(config_dir, name, how)
    return EngineEndpoint(url=DEFAULT_SOCKET, source="the default socket")


def _config_dir(environ: Mapping[str, str], home: Path | None) -> Path:
    configured = environ.get("DOCKER_CONFIG", "").strip()
    if configured:
        return Path(configured).expanduser()
    return (home if home is not None else Path.home()) / ".docker"


def _current_context(config_dir: Path) -> str:
    data = _read_json(config_dir / "config.json")
    value = data.get("currentContext") if data is not None else None
    return value.strip() if isinstance(value, str) else ""


def _context_endpoint(config_dir: Path, name: str, how: str) -> EngineEndpoint:
    digest = hashlib.sha256(name.encode()).hexdigest()
    meta_path = config_dir / "contexts" / "meta" / digest / "meta.json"
    meta = _read_json(meta_path)
    endpoint = _docker_endpoint(meta) if meta is not None else None
    if endpoint is None or not isinstance(endpoint.get("Host"), str):
        raise UsageError(
            f"Docker context {name!r} ({how}) has no engine address in {meta_path}",
            hint="list the contexts with 'docker context ls', or set DOCKER_HOST",
        )
    tls_dir = config_dir / "contexts" / "tls" / digest / "docker"
    return EngineEndpoint(
        url=endpoint["Host"],
        source=f"Docker context {name!r} ({how})",
        tls_dir=tls_dir if tls_dir.is_dir() else None,
        skip_tls_verify=bool(endpoint.get("SkipTLSVerify", False)),
    )


def _docker_endpoint(meta: dict[str, Any]) -> dict[str, Any] | None:
    endpoints = meta.get("Endpoints")
    docker = endpoints.get("docker") if isinstance(endpoints, dict) else None
    return docker if isinstance(docker, dict) else None


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
