"""What the command line loads: ``--version`` and ``--help`` stay off the heavy layers.

Each case runs the real entry point in a fresh interpreter and lists the modules it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

_PROBE = """
import json, sys
from lockctl.cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

# What parsing a command line needs: the parser, the command dataclasses, the option values of
# the index settings, the target's platform names, and the base modules they stand on.
LIGHT = {
    "lockctl",
    "lockctl.cli",
    "lockctl.cli.main",
    "lockctl.cli.parser",
    "lockctl.cli.pipcompile",
    "lockctl.defaults",
    "lockctl.errors",
    "lockctl.index",
    "lockctl.index.pipconfig",
    "lockctl.index.settings",
    "lockctl.lazy",
    "lockctl.ops",
    "lockctl.ops.commands",
    "lockctl.target",
    "lockctl.urls",
}
HEAVY_THIRD_PARTY = {"urllib3", "resolvelib", "tomlkit", "docker", "platformdirs", "certifi"}


def _imported(*argv: str, cwd: Path | None = None) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv], capture_output=True, text=True, check=True, cwd=cwd
    )
    return set(json.loads(result.stderr.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "argv", [("--version",), ("--help",), ("compile", "--help"), ("metadata", "--help")]
)
def test_the_command_line_alone_loads_only_the_light_modules(argv: tuple[str, ...]) -> None:
    modules = _imported(*argv)
    ours = {name for name in modules if name == "lockctl" or name.startswith("lockctl.")}
    assert ours == LIGHT
    assert not {name.split(".")[0] for name in modules} & HEAVY_THIRD_PARTY


def test_the_probe_sees_a_command_that_does_load_the_resolver(tmp_path: object) -> None:
    # The same probe on a command that runs: proves the probe would notice heavy imports.
    modules = _imported("inputs", "/nonexistent/requirements.in")
    assert "lockctl.reqfile" in modules


# What lockctl check may not load when every lock is in sync: the resolver's search, the HTTP
# client and its connection pools, the page worker, the metadata readers.
NOT_FOR_CHECK = {
    "lockctl.resolver.provider",
    "lockctl.resolver.search",
    "lockctl.index.client",
    "lockctl.index.fetcher",
    "lockctl.index.pageworker",
    "lockctl.index.fetchworker",
    "lockctl.ops.compile",
    "lockctl.ops.package_source",
    "lockctl.lockfiles.piptools",
}


def test_check_of_locks_in_sync_loads_no_resolver_and_no_http_client(
    tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib"]))
    index_server.add(make_wheel("lib", "1.0"))
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\napp\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile"]) == 0
    modules = _imported("check", cwd=tmp_path)
    assert "lockctl.ops.check" in modules  # the probe ran the check
    assert not modules & NOT_FOR_CHECK
    assert not {name.split(".")[0] for name in modules} & {"urllib3", "resolvelib", "docker"}
