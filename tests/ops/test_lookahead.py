"""The lookahead walks the graph on a real loopback index, guessing as the resolver will pick."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

from lockctl.index import IndexClient
from lockctl.ops.lookahead import Lookahead
from lockctl.ops.package_source import IndexPackageSource
from lockctl.resolver import RootRequirement, TargetEnvironment
from lockctl.resolver.inputs import RootInputs
from tests.index.helpers import make_client
from tests.resolver.cases import make_root
from tests.support.dists import make_wheel
from tests.support.faults import Hang, Status
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

TARGET = TargetEnvironment.create(python_version="3.11", platform="linux_x86_64")


@pytest.fixture
def server(make_index: IndexFactory) -> IndexServer:
    server = make_index(pep658=True)
    server.add(make_wheel("app", "1.0", requires_dist=["old-only"]))
    server.add(
        make_wheel("app", "2.0", requires_dist=["lib[fast]>=1", "legacy; python_version < '3'"])
    )
    server.add(
        make_wheel(
            "lib",
            "1.0",
            requires_dist=["dep", "speedy; extra == 'fast'"],
            provides_extra=["fast"],
        )
    )
    server.add(make_wheel("lib", "2.0", requires_dist=["newdep"]))
    for version in ("1.0", "2.0"):
        server.add(make_wheel("dep", version))
    for name in ("speedy", "newdep", "legacy", "old-only"):
        server.add(make_wheel(name, "1.0"))
    return server


@contextmanager
def _walk(
    server: IndexServer,
    cache: Path,
    roots: list[str],
    *,
    preferred: Mapping[NormalizedName, Version] | None = None,
) -> Iterator[tuple[Lookahead, IndexClient]]:
    inputs = RootInputs([_root(text) for text in roots], TARGET)
    with make_client([server.simple_url], cache_dir=cache) as client:
        walk = Lookahead(
            IndexPackageSource(client, TARGET), inputs, preferred=preferred or {}, pre=False
        )
        walk.start()
        assert walk.wait(timeout=30)
        yield walk, client


def _root(text: str) -> RootRequirement:
    kind, _, requirement = text.rpartition(" ")
    return make_root({"requirement": requirement, "kind": kind or "requirement"})


def _metadata_read(server: IndexServer) -> set[str]:
    return {
        record.path.rsplit("/", 1)[-1] for record in server.requests if ".metadata" in record.path
    }


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    # An exception escaping a future's callback is logged by concurrent.futures, at ERROR.
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING]


def test_it_follows_the_release_the_resolver_will_pick(server: IndexServer, tmp_path: Path) -> None:
    # lib<2 from a constraint, dep==1.0 from an override, speedy through lib's extra; a
    # dependency whose marker is false for the target (legacy) is not followed.
    roots = ["app", "constraint lib<2", "override dep==1.0"]
    with _walk(server, tmp_path, roots) as (walk, _client):
        assert walk.guessed == {canonicalize_name(n) for n in ("app", "lib", "dep", "speedy")}
    assert _metadata_read(server) == {
        f"{name}-{version}-py3-none-any.whl.metadata"
        for name, version in [("app", "2.0"), ("lib", "1.0"), ("dep", "1.0"), ("speedy", "1.0")]
    }
    assert server.count("*/legacy/") == 0
    assert server.count("*/newdep/") == 0


def test_a_pin_of_the_previous_lock_is_the_guess(server: IndexServer, tmp_path: Path) -> None:
    preferred = {canonicalize_name("lib"): Version("2.0"), canonicalize_name("app"): Version("1.0")}
    with _walk(server, tmp_path, ["app", "lib"], preferred=preferred) as (walk, _client):
        assert walk.guessed == {canonicalize_name(n) for n in ("app", "lib", "old-only", "newdep")}
    assert "app-1.0-py3-none-any.whl.metadata" in _metadata_read(server)
    assert "lib-2.0-py3-none-any.whl.metadata" in _metadata_read(server)


def test_what_fails_is_left_for_the_resolver(
    server: IndexServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server.inject("*/lib-1.0-py3-none-any.whl.metadata", Status(500), times=None)
    server.inject("*/lib-1.0-py3-none-any.whl", Status(500), times=None)
    with (
        caplog.at_level(logging.DEBUG),
        _walk(server, tmp_path, ["app", "no-such-project", "constraint lib<2"]) as (walk, _client),
    ):
        # lib's metadata cannot be had: the walk stops there, quietly.
        assert walk.guessed == {canonicalize_name(n) for n in ("app", "lib", "no-such-project")}
    assert _warnings(caplog) == []


def test_a_client_closed_mid_walk_ends_it_quietly(
    server: IndexServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # What a resolution that ends early (a conflict) does: the walk meets a closed pool.
    inputs = RootInputs([_root("app"), _root("constraint lib<2")], TARGET)
    with caplog.at_level(logging.DEBUG):
        client = make_client([server.simple_url], cache_dir=tmp_path)
        walk = Lookahead(IndexPackageSource(client, TARGET), inputs, preferred={}, pre=False)
        walk.start()
        client.close()
        assert walk.wait(timeout=30)
    assert _warnings(caplog) == []


def test_a_guess_that_the_roots_rule_out_is_walked_down_past(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    # Every app from 50 down to 5 needs lib>=2, which a root caps: the resolver will reject
    # them one by one. The lookahead fetches them first, in batches, and walks on from app 4.
    server = make_index(pep658=True)
    for n in range(50, 0, -1):
        needs = ["lib>=2"] if n > 4 else ["lib<2", "dep"]
        server.add(make_wheel("app", f"{n}.0", requires_dist=needs))
    for name, version in [("lib", "1.0"), ("lib", "2.0"), ("dep", "1.0")]:
        server.add(make_wheel(name, version))
    with _walk(server, tmp_path, ["app", "lib<2"]) as (walk, _client):
        assert walk.guessed == {canonicalize_name(n) for n in ("app", "lib", "dep")}
    read = _metadata_read(server)
    assert {f"app-{n}.0-py3-none-any.whl.metadata" for n in range(50, 3, -1)} <= read
    assert "dep-1.0-py3-none-any.whl.metadata" in read
    assert "lib-2.0-py3-none-any.whl.metadata" not in read  # the root's cap narrows the guess
    # Batches of 16 after the first guess (49-34, 33-18, 17-2): the walk stops at app 4's.
    assert "app-1.0-py3-none-any.whl.metadata" not in read


def test_the_walk_down_is_bounded(make_index: IndexFactory, tmp_path: Path) -> None:
    server = make_index(pep658=True)
    for n in range(300, 0, -1):
        server.add(make_wheel("app", f"{n}.0", requires_dist=["lib>=2"]))
    server.add(make_wheel("lib", "1.0"))
    server.add(make_wheel("lib", "2.0"))
    with _walk(server, tmp_path, ["app", "lib<2"]):
        pass
    fetched = {name for name in _metadata_read(server) if name.startswith("app-")}
    assert 100 <= len(fetched) <= 200


def test_a_later_parent_that_rules_out_the_guess_makes_a_new_one(
    make_index: IndexFactory, tmp_path: Path
) -> None:
    # app needs tool (any), then pinned (a root, ==) asks for tool<2: the guess tool 3.0, made
    # from app's requirement, is replaced by tool 1.0, whose dependency is walked too.
    server = make_index(pep658=True)
    server.add(make_wheel("app", "1.0", requires_dist=["tool"]))
    server.add(make_wheel("pinned", "1.0", requires_dist=["tool<2"]))
    server.add(make_wheel("tool", "3.0"))
    server.add(make_wheel("tool", "1.0", requires_dist=["helper"]))
    server.add(make_wheel("helper", "1.0"))
    server.inject("*/pinned/", Hang(0.3))  # pinned's requirement comes after tool's guess
    with _walk(server, tmp_path, ["app", "pinned==1.0"]) as (walk, _client):
        assert walk.guessed == {canonicalize_name(n) for n in ("app", "pinned", "tool", "helper")}
    read = _metadata_read(server)
    assert {"tool-3.0-py3-none-any.whl.metadata", "tool-1.0-py3-none-any.whl.metadata"} <= read
    assert "helper-1.0-py3-none-any.whl.metadata" in read
