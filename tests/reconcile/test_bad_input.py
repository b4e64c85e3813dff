"""A lock that cannot be taken as a lock, or whose input cannot be found: exit 2, each problem
with its file and line, and nothing rewritten (even with --write)."""

from __future__ import annotations

import re

import pytest

from lockctl.cli.main import main
from tests.reconcile.stacks import Project
from tests.support.dists import make_wheel


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["reconcile", *argv])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and captured.out == ""
    return code, captured.err


def refused(project: Project, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``reconcile --write``: exit 2, the lock as it was; the error text."""
    before = project.lock.read_text()
    code, err = run(capsys, "requirements.txt", "--write", *argv)
    assert code == 2, err
    assert project.lock.read_text() == before
    return err


def test_a_project_pinned_twice(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.compiled_stack()
    project.lock.write_text(project.lock.read_text() + "numpy==1.26.4\n")
    err = refused(project, capsys)
    assert "error: numpy is pinned twice, here and on line 13\n" in err
    assert "  --> requirements.txt:23:1\n    numpy==1.26.4\n    ^^^^^^^^^^^^^\n" in err


def test_requirements_not_pinned_with_double_equals_all_at_once(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    project.patch("six==1.16.0", "six>=1.16")
    project.patch("rich==13.7.0", "rich")
    err = refused(project, capsys)
    assert err.startswith("error: 2 problems in requirements files:\n")
    assert "rich is not pinned with == to one version\n    --> requirements.txt:19:1" in err
    assert "six>=1.16 is not pinned with == to one version\n    --> requirements.txt:21:1" in err
    assert err.index("requirements.txt:19:") < err.index("requirements.txt:21:")  # file order


def test_a_line_that_does_not_parse(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    project.compiled_stack()
    project.patch("pandas==2.0.3\n", "<<<<<<< HEAD\npandas==2.0.3\n")
    err = refused(project, capsys)
    assert "  --> requirements.txt:15:1\n    <<<<<<< HEAD\n" in err


def test_a_hash_of_no_file_of_the_release(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    text = project.compile("--generate-hashes")
    digest = re.search(r"six==1\.16\.0 \\\n    --hash=sha256:([0-9a-f]{64})", text)
    assert digest is not None
    project.patch(digest[1], "0" * 64)
    err = refused(project, capsys)
    assert "error: this hash matches no file of six 1.16.0 on the index\n" in err
    line = text.splitlines().index(f"    --hash=sha256:{digest[1]}") + 1
    assert f"  --> requirements.txt:{line}:5\n        --hash=sha256:{'0' * 64}\n" in err
    assert f"\n        {'^' * 78}\n" in err


def test_a_version_bumped_by_hand_with_the_old_hashes(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    project.compile("--generate-hashes")
    project.index.add(make_wheel("rich", "13.9.4"))
    project.patch("rich==13.7.0", "rich==13.9.4")  # its --hash lines are 13.7.0's
    err = refused(project, capsys)
    assert "error: this hash matches no file of rich 13.9.4 on the index\n" in err
    assert "hint: the pin was edited without its hashes?" in err


def test_a_lock_whose_input_cannot_be_found(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    project.input.rename(project.root / "old.in")
    err = refused(project, capsys)
    assert err == (
        "error: cannot find the input of requirements.txt: looked for a [[tool.lockctl.lock]] "
        "whose output is requirements.txt and requirements.in (the lock's name with .in)\n"
        "  hint: name the .in file it was compiled from with --input IN\n"
    )
    err = refused(project, capsys, "--input", "missing.in")
    assert "looked for missing.in (--input)" in err


def test_an_input_whose_include_is_missing(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    project.patch("rich\n", "rich\n-r base.in\n", path=project.input)
    err = refused(project, capsys)
    assert "base.in" in err and "requirements.in:4:" in err
