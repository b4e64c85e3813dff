"""Three layered locks of a real ML stack, compiled together against the real default index.

The ML layer caps numpy below its newest major version; that cap must decide the core layer's
pin too, every lock must have one version of each shared project, and each lock must be one
that uv, given the lock's input and the lock as constraints, resolves to exactly.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from packaging.version import Version

from lockctl.cli.main import main
from lockctl.lockfiles import read_lockfile
from lockctl.ops.commands import IndexRequest
from lockctl.ops.session import open_index
from tests.differential.peers import run_uv

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_a_numpy_cap_in_the_ml_layer_decides_every_layer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in [key for key in os.environ if key.startswith("PIP_")]:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements-core.in").write_text("pandas\nscipy\n")
    (tmp_path / "requirements-ml.in").write_text("-r requirements-core.in\nscikit-learn\nnumpy<2\n")
    (tmp_path / "requirements-all.in").write_text("-r requirements-ml.in\nmatplotlib\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n'
    )
    assert main(["-q", "compile"]) == 0
    locks = {
        name: {str(k): v for k, v in read_lockfile(tmp_path / f"{name}.txt").versions().items()}
        for name in ("requirements-core", "requirements-ml", "requirements-all")
    }
    assert locks["requirements-core"]["numpy"] < Version("2")
    for project in set().union(*locks.values()):
        assert len({lock[project] for lock in locks.values() if project in lock}) == 1, project
    assert "scikit-learn" not in locks["requirements-core"]  # each lock pins its own needs
    with open_index(IndexRequest(cache_dir=tmp_path / "probe")) as client:
        index_url = client.settings.indexes[0].secret
    for name, pins in locks.items():
        constrained = tmp_path / f"{name}-uv.in"
        constrained.write_text(f"-r {name}.in\n-c {name}.txt\n")
        uv = run_uv(
            [constrained],
            index_url=index_url,
            out=tmp_path / f"{name}-uv.txt",
            cache=tmp_path / "uv",
            python_version="3.11",
        )
        assert uv.returncode == 0, uv.stderr
        assert uv.pins == {project: str(version) for project, version in pins.items()}, name
