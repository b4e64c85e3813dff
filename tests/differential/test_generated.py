"""lockctl against pip-compile and uv pip compile on generated scenarios (loopback index).

Where both peers succeed and agree, lockctl must pin exactly what they pin. Where they differ
or one of them fails, lockctl's lock must be a valid solution on its own.
"""

from __future__ import annotations

import platform
import re
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from lockctl.resolver import TargetEnvironment
from tests.differential.peers import run_lockctl, run_pip_compile, run_uv
from tests.differential.scenarios import SCENARIOS
from tests.differential.validate import lock_problems
from tests.support.dists import make_sdist, make_wheel
from tests.support.indexserver import IndexServer

pytestmark = pytest.mark.slow

PYTHON = platform.python_version()
_EXTRA = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")


def _serve(server: IndexServer, packages: dict[str, dict[str, dict[str, Any]]]) -> None:
    for name, releases in packages.items():
        for version, spec in releases.items():
            deps = spec.get("deps", [])
            extras = sorted({m for dep in deps for m in _EXTRA.findall(dep)})
            if spec.get("sdist"):
                dist = make_sdist(
                    name, version, requires_dist=deps, requires_python=spec.get("python")
                )
            else:
                dist = make_wheel(
                    name,
                    version,
                    requires_dist=deps,
                    requires_python=spec.get("python"),
                    provides_extra=extras,
                    tag=spec.get("tag", "py3-none-any"),
                )
            server.add(dist, yanked=spec.get("yanked", False))


def _requires(packages: dict[str, dict[str, dict[str, Any]]]) -> Any:
    by_name = {str(canonicalize_name(n)): r for n, r in packages.items()}

    def requires(name: str, version: str) -> list[Requirement]:
        releases = by_name[name]
        spec = next(s for v, s in releases.items() if v == version or _same(v, version))
        return [Requirement(d) for d in spec.get("deps", [])]

    return requires


def _same(a: str, b: str) -> bool:
    from packaging.version import Version

    return Version(a) == Version(b)


def _roots(tmp_path: Path, main: list[Path]) -> tuple[list[Requirement], list[Requirement]]:
    from lockctl.reqfile import parse_file

    roots: list[Requirement] = []
    constraints: list[Requirement] = []
    for path in main:
        for located in parse_file(path).iter_requirements(constraints=True):
            requirement = located.entry.requirement
            assert requirement is not None
            (constraints if located.constraint else roots).append(requirement)
    return roots, constraints


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["id"] for s in SCENARIOS])
def test_lockctl_agrees_with_its_peers_or_is_valid(
    scenario: dict[str, Any], tmp_path: Path, index_server: IndexServer
) -> None:
    _serve(index_server, scenario["packages"])
    work = tmp_path / "work"
    for relative, text in scenario["inputs"].items():
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(text)
    main = [work / m for m in scenario.get("main", ["requirements.in"])]
    index = index_server.simple_url
    cache = tmp_path / "cache"
    pip = run_pip_compile(main, index_url=index, out=work / "pip.txt", cache=cache)
    uv = run_uv(main, index_url=index, out=work / "uv.txt", cache=cache, python_version=PYTHON)
    ours = run_lockctl(
        main, index_url=index, out=work / "lockctl.txt", cache=cache, python_version=PYTHON
    )

    assert ours.returncode == 0, ours.stderr
    if pip.returncode == 0 and uv.returncode == 0 and pip.pins == uv.pins:
        assert ours.pins == pip.pins, {"pip-compile": pip.pins, "uv": uv.pins}
    else:
        roots, constraints = _roots(work, main)
        env = TargetEnvironment.create(python_version=PYTHON, platform="linux_x86_64").markers()
        problems = lock_problems(
            ours.pins,
            roots,
            requires=_requires(scenario["packages"]),
            env=env,
            constraints=constraints,
        )
        assert problems == [], (ours.pins, pip.pins, uv.pins)
