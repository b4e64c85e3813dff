"""Overrides: the project's (a lock of [tool.lockctl]), and the lock's own ``# override:``."""

from __future__ import annotations

from lockctl.cli.main import main
from lockctl.cli.reconcile_cmd import render_report
from tests.reconcile.stacks import Project
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

OVERRIDE = "    # override: `rich>=13.9.4` from {source} replaces `rich<13.8` asked by fastmcp\n"


def add_capped_stack(index: IndexServer) -> None:
    """fastmcp 1.0 caps rich below what the team needs: an override lifts the cap."""
    index.add(make_wheel("web", "1.0", requires_dist=["fastmcp==1.0", "click>=8"]))
    index.add(make_wheel("fastmcp", "1.0", requires_dist=["rich<13.8"]))
    index.add(make_wheel("click", "8.1.7"))
    index.add(make_wheel("rich", "13.7.0"))
    index.add(make_wheel("rich", "13.9.4"))


def test_a_lock_of_the_project(project: Project) -> None:
    add_capped_stack(project.index)
    (project.root / "requirements").mkdir()
    (project.root / "locks").mkdir()
    (project.root / "requirements" / "web.in").write_text("web\n")
    (project.root / "pyproject.toml").write_text(
        "[tool.lockctl]\n"
        'python-version = "3.12"\nplatform = "linux_x86_64"\n'
        f'index-url = "{project.index.simple_url}"\n'
        'overrides = [{ requirement = "rich>=13.9.4", reason = "the cap is needless" }]\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements/web.in"\noutput = "locks/web.txt"\n'
    )
    assert main(["-q", "compile"]) == 0
    lock = project.root / "locks" / "web.txt"
    compiled = lock.read_text()
    assert "with Python 3.12\n" in compiled
    assert (
        "rich==13.9.4\n    # via fastmcp\n" + OVERRIDE.format(source="pyproject.toml") in compiled
    )

    # In sync: pip refuses it, as it refuses any lock with overrides, and that is said.
    report = project.report(lock="locks/web.txt")
    assert report.input == project.root / "requirements" / "web.in"  # from [tool.lockctl]
    assert report.target.python_minor == "3.12" and report.overridden == ("rich",)
    assert report.clean and not report.pip.ok and report.pip_refusal_expected
    assert render_report(report) == (
        "locks/web.txt: ok, in sync with requirements/web.in (Python 3.12 on linux_x86_64); "
        "pip cannot check its dependencies, as it overrides rich and pip has no overrides "
        "(install it with pip install --no-deps)\n"
    )

    lock.write_text(compiled.replace("click==8.1.7\n    # via web\n", ""))
    report = project.report("--write", lock="locks/web.txt")
    assert [(row.name, row.kind) for row in report.problems] == [("click", "missing")]
    assert lock.read_text() == compiled  # the override and its reason written as compile does


def test_the_locks_own_override_comments_are_honoured(project: Project) -> None:
    add_capped_stack(project.index)
    project.write_input("web")
    compiled = project.compile("--override", "rich>=13.9.4")
    assert OVERRIDE.format(source="the command line") in compiled
    project.patch("click==8.1.7\n    # via web\n", "")
    report = project.report("--write")  # no --override: the lock's comment says it
    assert [(row.name, row.kind) for row in report.problems] == [("click", "missing")]
    assert [(move.kind, move.name) for move in report.moves] == [("added", "click")]
    assert project.lock.read_text() == compiled
