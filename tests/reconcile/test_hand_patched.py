"""Locks compiled for real, then patched the ways people patch them: the rows, and --write.

Each scenario runs reconcile once (pip is the slow part), with ``--write``, and reads the
report's values, its words (``render_report``) and the lock written.
"""

from __future__ import annotations

from lockctl.cli.reconcile_cmd import render_report
from lockctl.ops.reconcile_rows import ReconcileReport
from tests.reconcile.stacks import COMPILED, Project, add_framework_v2
from tests.support.dists import make_wheel

Row = tuple[str, str | None, str | None, str | None]


def problems(report: ReconcileReport) -> dict[str, Row]:
    """name -> (status, lock, pip, lockctl) of every row that is not ok."""
    return {
        row.name: (row.kind, _shown(row.lock), _shown(row.pip), _shown(row.lockctl))
        for row in report.problems
    }


def _shown(version: object) -> str | None:
    return None if version is None else str(version)


def test_a_lock_as_compiled_is_one_line_and_exit_0(project: Project) -> None:
    text = project.compiled_stack()
    code, out = project.reconcile("--write")
    assert (code, out) == (
        0,
        "requirements.txt: ok, in sync with requirements.in; pip installs exactly its 6 pins "
        "(Python 3.11 on linux_x86_64)\n",
    )
    assert project.lock.read_text() == text  # nothing to change: not even rewritten


def test_a_removed_dependency_is_missing_and_comes_back(project: Project) -> None:
    project.compiled_stack()
    project.patch("numpy==1.24.0\n    # via pandas\n", "")
    report = project.report("--write")
    assert problems(report) == {"numpy": ("missing", None, "1.24.0", "1.24.0")}  # pip adds it
    (demand,) = report.problems[0].demands
    assert (demand.asker.name, str(demand.asker.version), str(demand.requirement)) == (
        "pandas",
        "2.0.3",
        "numpy>=1.21",
    )
    assert render_report(report) == (
        "requirements.txt: 1 package to fix (Python 3.11 on linux_x86_64, input requirements.in)\n"
        "  package  lock  pip     lockctl  status\n"
        "  numpy    -     1.24.0  1.24.0   missing: pandas 2.0.3 (kept) requires numpy>=1.21\n"
        "  (5 other packages ok; -v lists all)\n"
        "wrote requirements.txt, changing 1 pin:\n"
        "  add numpy==1.24.0: pandas 2.0.3 (kept) requires numpy>=1.21\n"
    )
    assert project.text() == COMPILED


def test_a_stray_pin_is_orphaned_and_removed(project: Project) -> None:
    project.index.add(make_wheel("stray", "1.0"))
    project.compiled_stack()
    project.patch("# via querystring-parser\n", "# via querystring-parser\nstray==1.0\n")
    report = project.report("--write")
    assert problems(report) == {"stray": ("orphaned", "1.0", "1.0", None)}
    out = render_report(report)
    assert "orphaned: nothing requires it any more (no # via: added by hand?)" in out
    assert "  remove stray==1.0: nothing requires it any more (no # via: added by hand?)\n" in out
    assert project.text() == COMPILED


def test_an_edited_via_is_a_stale_annotation(project: Project) -> None:
    project.compiled_stack()
    project.patch("numpy==1.24.0\n    # via pandas\n", "numpy==1.24.0\n    # via mlflow\n")
    report = project.report("--write")
    assert problems(report) == {"numpy": ("stale-annotation", "1.24.0", "1.24.0", "1.24.0")}
    out = render_report(report)
    assert "stale-annotation: # via says mlflow, should say pandas\n" in out
    assert out.endswith("wrote requirements.txt, with every pin where it is\n")
    assert report.written and project.text() == COMPILED


def test_a_pin_edited_against_its_input_is_hand_edited_and_moved_back(project: Project) -> None:
    project.compiled_stack()
    project.index.add(make_wheel("rich", "13.9.4"))
    project.patch("rich\n", "rich==13.7.0\n", path=project.input)
    project.compile()
    project.patch("rich==13.7.0", "rich==13.9.4")  # the .in still says 13.7.0
    report = project.report("--write")
    assert problems(report) == {"rich": ("hand-edited", "13.9.4", "13.9.4", "13.7.0")}
    out = render_report(report)
    assert "hand-edited: requirements.in line 3 requires rich==13.7.0\n" in out
    assert "  move rich 13.9.4 -> 13.7.0: requirements.in line 3 requires rich==13.7.0\n" in out
    assert "rich==13.7.0\n    # via -r requirements.in\n" in project.lock.read_text()


def test_a_pin_on_a_version_the_index_does_not_have(project: Project) -> None:
    project.compiled_stack()
    project.patch("six==1.16.0", "six==1.99.0")
    report = project.report("--write")
    (row,) = report.problems
    assert (row.name, row.kind, row.unavailable) == (
        "six",
        "hand-edited",
        "1.99.0 is not on the index",
    )
    assert not report.pip.ok  # pip finds no six 1.99.0 either, and says so
    assert any("six==1.99.0" in line for line in report.pip.error)
    assert "  move six 1.99.0 -> 1.16.0: 1.99.0 is not on the index\n" in render_report(report)
    assert project.text() == COMPILED


def test_pins_edited_in_both_files_consistently_are_kept(project: Project) -> None:
    project.compiled_stack()
    project.index.add(make_wheel("rich", "13.9.4"))
    project.patch("rich\n", "rich==13.9.4\n", path=project.input)
    project.patch("rich==13.7.0", "rich==13.9.4")
    code, out = project.reconcile("--write")
    assert (code, out) == (
        0,
        "requirements.txt: ok, in sync with requirements.in; pip installs exactly its 6 pins "
        "(Python 3.11 on linux_x86_64); rewrote requirements.txt (its pins unchanged)\n",
    )
    assert project.text() == COMPILED.replace("rich==13.7.0", "rich==13.9.4")
    assert project.compile() == project.lock.read_text()  # the digest line is compile's


def test_no_honest_lock_leaves_the_lock_alone_and_says_why(project: Project) -> None:
    project.compiled_stack()
    add_framework_v2(project.index)
    # Both files bumped by hand, and the input also pins rich below what mlflow 3 needs.
    project.patch("mlflow==2.9.2\nrich\n", "mlflow==3.4.0\nrich==13.7.0\n", path=project.input)
    project.patch("mlflow==2.9.2", "mlflow==3.4.0")
    patched = project.lock.read_text()
    report = project.report("--write")
    assert report.conflict is not None and not report.written and report.text is None
    assert project.lock.read_text() == patched
    assert [(str(name), str(version), line) for name, version, line in report.conflict.held] == [
        ("mlflow", "3.4.0", 11),
        ("rich", "13.7.0", 19),
    ]
    fixes = {(fix.kind, str(fix.requirement)) for fix in report.conflict.fixes}
    assert ("relax", "rich==13.7.0") in fixes
    out = render_report(report)
    assert "lockctl cannot resolve requirements.in: there is no honest lock to write\n" in out
    assert "relax rich==13.7.0 in requirements.in line 3" in out
    assert (
        "the lock's pins in this conflict: mlflow==3.4.0 (line 11), rich==13.7.0 (line 19)\n" in out
    )
    assert out.endswith("requirements.txt is left as it is\n")
    document = report.to_dict()["conflict"]
    assert document["held"] == [
        {"name": "mlflow", "version": "3.4.0", "line": 11},
        {"name": "rich", "version": "13.7.0", "line": 19},
    ]
    assert any(
        fix["kind"] == "relax" and fix["requirement"] == "rich==13.7.0" for fix in document["fixes"]
    )
