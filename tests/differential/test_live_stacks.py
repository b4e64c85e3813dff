"""lockctl against pip-compile and uv on three real stacks from the default index.

Live (network) and slow (pip-compile downloads whole wheels for metadata). Where the peers
agree, lockctl must agree; where they differ, lockctl's lock must be valid on its own, checked
against the real metadata of every pin.
"""

from __future__ import annotations

import platform
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.index import ProjectNotFound
from lockctl.ops.commands import IndexRequest
from lockctl.ops.package_source import IndexPackageSource
from lockctl.ops.session import open_index
from lockctl.reqfile import parse_file
from lockctl.resolver import TargetEnvironment
from tests.differential.peers import run_lockctl, run_pip_compile, run_uv
from tests.differential.validate import lock_problems

pytestmark = [pytest.mark.live, pytest.mark.slow]

STACKS = Path(__file__).parents[2] / "benchmarks" / "stacks"
PYTHON = platform.python_version()  # pip-compile can only resolve for the Python it runs on


@pytest.fixture(scope="module")
def default_index(tmp_path_factory: pytest.TempPathFactory) -> str:
    with open_index(IndexRequest(cache_dir=tmp_path_factory.mktemp("probe"))) as client:
        return client.settings.indexes[0].secret


@pytest.mark.parametrize("stack", ["small", "web", "datascience"])
def test_real_stack(stack: str, tmp_path: Path, default_index: str) -> None:
    source_file = tmp_path / f"{stack}.in"
    source_file.write_text((STACKS / f"{stack}.in").read_text())
    cache = tmp_path / "cache"
    pip = run_pip_compile(
        [source_file], index_url=default_index, out=tmp_path / "pip.txt", cache=cache
    )
    uv = run_uv(
        [source_file],
        index_url=default_index,
        out=tmp_path / "uv.txt",
        cache=cache,
        python_version=PYTHON,
    )
    ours = run_lockctl(
        [source_file],
        index_url=default_index,
        out=tmp_path / "lockctl.txt",
        cache=cache,
        python_version=PYTHON,
    )
    assert ours.returncode == 0, ours.stderr
    assert len(ours.pins) >= {"small": 5, "web": 25, "datascience": 100}[stack]
    if pip.returncode == 0 and uv.returncode == 0 and pip.pins == uv.pins:
        assert ours.pins == pip.pins
        return
    target = TargetEnvironment.create(python_version=PYTHON, platform="linux_x86_64")
    with open_index(IndexRequest(cache_dir=cache / "validate")) as client:
        source = IndexPackageSource(client, target)

        def requires(name: str, version: str) -> list[Requirement]:
            releases = source.releases(canonicalize_name(name))
            assert not isinstance(releases, ProjectNotFound), releases
            release = next(r for r in releases if r.version == Version(version))
            return list(source.metadata(release).requires_dist)

        roots = [
            located.entry.requirement
            for located in parse_file(source_file).iter_requirements()
            if located.entry.requirement is not None
        ]
        problems = lock_problems(ours.pins, roots, requires=requires, env=target.markers())
    assert problems == [], {"lockctl": ours.pins, "pip-compile": pip.pins, "uv": uv.pins}
