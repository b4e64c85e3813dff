"""Differential: the lock reconcile writes is one uv agrees with.

``uv pip compile`` (run as a program, hermetic, on the loopback index) is given the lock's
inputs, constrained by the written lock (``-c``): it must resolve to exactly the lock's pins.
So the lock is consistent (every pin allowed by every requirement), complete (nothing uv
would add) and has no orphans (nothing uv would not pin).
"""

from __future__ import annotations

from lockctl.lockfiles import read_lockfile
from tests.differential.peers import run_uv
from tests.reconcile.stacks import Project, add_framework_v2


def uv_pins(project: Project) -> dict[str, str]:
    both = project.root / "uv-check.in"
    both.write_text("-r requirements.in\n-c requirements.txt\n")
    result = run_uv(
        [both],
        index_url=project.index.simple_url,
        out=project.root / "uv.txt",
        cache=project.root / "uv-cache",
        python_version="3.11",
    )
    assert result.returncode == 0, result.stderr
    return result.pins


def lock_pins(project: Project) -> dict[str, str]:
    return {
        str(name): str(version) for name, version in read_lockfile(project.lock).versions().items()
    }


def test_the_honest_lock_after_a_framework_bump(project: Project) -> None:
    project.compiled_stack()
    add_framework_v2(project.index)
    project.patch("mlflow==2.9.2", "mlflow==3.4.0", path=project.input)
    project.patch("mlflow==2.9.2", "mlflow==3.4.0")
    project.patch("pandas==2.0.3", "pandas==2.1.1")
    project.patch("numpy==1.24.0\n    # via pandas\n", "")
    assert project.report("--write").written
    assert uv_pins(project) == lock_pins(project)
    assert lock_pins(project)["pandas"] == "2.1.1"  # the hand edit was kept


def test_the_honest_lock_after_a_stray_pin_and_a_removed_dependency(project: Project) -> None:
    project.compiled_stack()
    project.patch("six==1.16.0\n    # via querystring-parser\n", "")
    project.lock.write_text(project.lock.read_text() + "packaging==24.2\n")
    add_framework_v2(project.index)  # packaging exists, and newer releases nobody asked for
    assert project.report("--write").written
    assert uv_pins(project) == lock_pins(project)
    assert "six" in lock_pins(project) and "packaging" not in lock_pins(project)
