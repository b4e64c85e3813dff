"""Fixtures for ``lockctl verify``: a real Docker engine, a local base image, the loopback
index with a small stack of wheels, and a count of what is left on the engine.

The Docker tests never skip in CI: with ``CI`` set and no engine (or no base image) they
fail, naming the script that provides both (``scripts/docker-engine.sh``). Elsewhere they
skip with that reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import pytest

from lockctl.verify.lockinstall import PIP_CACHE, index_key
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

BASE_IMAGE = os.environ.get("LOCKCTL_TEST_BASE_IMAGE", "lockctl-test-base:bookworm")
REPOSITORY = Path(__file__).parents[2]
DOCKERFILE_TEST = REPOSITORY / "Dockerfile.test"
_SETUP = "run scripts/docker-engine.sh (as root) to start an engine and build the base image"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI: the Docker tests must run, but {reason}; {_SETUP}", pytrace=False)
    pytest.skip(f"{reason}; {_SETUP}")


@pytest.fixture(scope="session")
def engine() -> Iterator[Any]:
    """The engine at DOCKER_HOST or the default socket, with the base image present."""
    try:
        client = docker.from_env(timeout=60)
        client.ping()
    except Exception as exc:  # any reason at all means "no engine"
        _unavailable(f"no Docker engine answers ({type(exc).__name__})")
    try:
        client.images.get(BASE_IMAGE)
    except docker.errors.ImageNotFound:
        _unavailable(f"the base image {BASE_IMAGE} is not on the engine")
    yield client
    client.close()


@dataclass(frozen=True)
class EngineCount:
    containers: int
    images: int


def count(client: Any) -> EngineCount:
    return EngineCount(
        containers=len(client.containers.list(all=True)),
        images=len(client.images.list(all=True)),
    )


@pytest.fixture
def nothing_left(engine: Any) -> Iterator[None]:
    """Every container and image the test made is gone when it ends (intermediate ones too)."""
    before = count(engine)
    yield
    assert count(engine) == before, "lockctl verify left containers or images behind"


@pytest.fixture
def docker_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The engine through an explicit DOCKER_HOST, proving lockctl reads the variable."""
    monkeypatch.setenv("DOCKER_HOST", os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock"))


@pytest.fixture
def stack(index_server: IndexServer) -> IndexServer:
    """app needs helper>=1; needy needs helper>=2; broken raises on import; tool has a CLI only."""
    index_server.add(make_wheel("app", "1.0", requires_dist=["helper>=1.0"]))
    index_server.add(make_wheel("helper", "1.0"))
    index_server.add(make_wheel("helper", "2.0"))
    index_server.add(make_wheel("needy", "1.0", requires_dist=["helper>=2"]))
    broken = {"broken/__init__.py": b"raise RuntimeError('broken on import')\n"}
    index_server.add(make_wheel("broken", "1.0", extra_files=broken))
    return index_server


def write_lock(path: Path, *pins: tuple[str, str]) -> Path:
    """A lock in pip-tools' style: ``(pin, via)`` pairs, via "-r requirements.in" or a parent."""
    path.write_text("".join(f"{pin}\n    # via {via}\n" for pin, via in pins))
    return path


@pytest.fixture
def volumes(engine: Any, stack: IndexServer) -> Iterator[None]:
    """Only the cache volume may be new; this test's wheelhouse is removed from it after."""
    before = {volume.name for volume in engine.volumes.list()}
    yield
    after = {volume.name for volume in engine.volumes.list()}
    assert after - before <= {PIP_CACHE.name}, "verify left volumes other than its cache"
    wheelhouse = f"/cache/wheels/{index_key(b'', (('PIP_INDEX_URL', stack.simple_url),))}"
    engine.containers.run(
        BASE_IMAGE,
        ["rm", "-rf", wheelhouse],
        volumes={PIP_CACHE.name: {"bind": "/cache", "mode": "rw"}},
        remove=True,
    )
