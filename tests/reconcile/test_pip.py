"""pip as reconcile runs it: its command, its refusals (a finding) and its failures (exit 3).

pip missing or failing is simulated through the seam ``reconcile(pip=...)`` (the command that
runs pip): a Python that does not exist, one without pip, and fake pips written here.
"""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.cli.render import render_error
from lockctl.errors import ToolFailure
from lockctl.index import IndexSettings
from lockctl.ops import pipreport
from lockctl.ops.pipreport import pip_install_argv
from lockctl.target import PLATFORMS, TargetEnvironment
from lockctl.urls import SecretURL
from tests.reconcile.stacks import Project

WHEELS = Path("/wheels").as_uri()  # a find-links folder, as a file URL built here

NOWHERE = ("/nonexistent/bin/python", "-m", "pip")


def fake_pip(tmp_path: Path, body: str) -> tuple[str, ...]:
    script = tmp_path / "fake_pip.py"
    script.write_text("import sys\n" + textwrap.dedent(body))
    return (sys.executable, str(script))


def test_the_command_is_for_the_target_with_the_runs_indexes() -> None:
    target = TargetEnvironment.create(python_version="3.12", platform="linux_aarch64")
    settings = IndexSettings(
        index_url=SecretURL("https://user:s3cret@index.example/simple/"),
        extra_index_urls=(SecretURL("https://extra.example/simple/"),),
        find_links=(SecretURL(WHEELS),),
        trusted_hosts=("index.example",),
    )
    lock, report, scratch = Path("requirements.txt"), Path("/r.json"), Path("/t")
    argv = pip_install_argv(lock, target, settings, report=report, scratch=scratch)
    shown = pip_install_argv(lock, target, settings, report=report, scratch=scratch, secret=False)
    assert argv[:8] == [
        *pipreport.PIP,
        "install",
        "--dry-run",
        "--ignore-installed",
        "--report",
        "/r.json",
    ]
    platforms = [argv[i + 1] for i, word in enumerate(argv) if word == "--platform"]
    assert platforms == list(PLATFORMS["linux_aarch64"][4])
    for option in (
        ["--python-version", "3.12"],
        ["--implementation", "cp", "--abi", "cp312", "--only-binary=:all:", "--target", "/t"],
        ["--index-url", "https://user:s3cret@index.example/simple/"],
        ["--extra-index-url", "https://extra.example/simple/"],
        ["--find-links", WHEELS, "--trusted-host", "index.example"],
    ):
        assert any(argv[i : i + len(option)] == option for i in range(len(argv))), option
    assert argv[-2:] == ["-r", "requirements.txt"]
    assert "s3cret" not in " ".join(shown) and "https://user:****@index.example/simple/" in shown
    no_index = pip_install_argv(
        Path("l.txt"), target, IndexSettings(index_url=None), report=Path("r"), scratch=Path("t")
    )
    assert "--no-index" in no_index and "--index-url" not in no_index


def test_pip_that_cannot_be_run_is_exit_3_naming_the_command(project: Project) -> None:
    project.compiled_stack()
    before = project.lock.read_text()
    with pytest.raises(ToolFailure) as caught:
        project.report("--write", pip=NOWHERE)
    error = caught.value
    assert error.exit_code == 3
    assert error.command[:6] == (*NOWHERE, "install", "--dry-run", "--ignore-installed")
    assert render_error(error).startswith(
        "error: pip could not be run: No such file or directory\n"
        "  command: /nonexistent/bin/python -m pip install --dry-run --ignore-installed --report "
    )
    assert project.lock.read_text() == before


def test_through_the_command_line(
    project: Project, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    project.compiled_stack()
    monkeypatch.setattr(pipreport, "PIP", NOWHERE)
    assert main(["reconcile", "requirements.txt", "--write"]) == 3
    err = capsys.readouterr().err
    assert "error: pip could not be run" in err and "Traceback" not in err
    assert "  command: /nonexistent/bin/python -m pip install --dry-run" in err
    assert "-r requirements.txt\n" in err
    assert "hint: install pip for the Python that runs lockctl" in err


def test_a_python_without_pip(project: Project) -> None:
    project.compiled_stack()
    with pytest.raises(ToolFailure) as caught:
        project.report(pip=(sys.executable, "-S", "-m", "pip"))  # -S: no site-packages, no pip
    assert caught.value.message == "pip is not installed for this Python"
    assert "No module named pip" in caught.value.output


def test_pip_crashing_is_exit_3_with_its_last_lines(project: Project) -> None:
    project.compiled_stack()
    pip = fake_pip(
        project.root,
        """
        print("Collecting mlflow==2.9.2", flush=True)
        sys.stderr.write(
            "ERROR: Exception:\\nTraceback (most recent call last):\\n"
            '  File "base_command.py", line 105, in _run_wrapper\\nRuntimeError: boom\\n'
        )
        sys.exit(2)
        """,
    )
    with pytest.raises(ToolFailure) as caught:
        project.report(pip=pip)
    error = caught.value
    assert (error.exit_code, error.message) == (3, "pip failed (exit status 2)")
    assert error.output.splitlines()[-2:] == [
        '  File "base_command.py", line 105, in _run_wrapper',
        "RuntimeError: boom",
    ]
    assert render_error(error).endswith("\n  | RuntimeError: boom")


def test_a_refusal_is_a_finding_in_pips_own_words(project: Project) -> None:
    project.compiled_stack()
    pip = fake_pip(
        project.root,
        """
        print("Collecting rich==13.7.0\\n  Downloading rich-13.7.0.whl (1 kB)\\n", flush=True)
        print("The conflict is caused by:\\n    The user requested rich==13.7.0", flush=True)
        print("    fastmcp 2.0.0 depends on rich>=13.9.4\\n\\nTo fix this you could try to:")
        print("1. loosen the range of package versions you've specified", flush=True)
        sys.stderr.write("ERROR: Cannot install fastmcp and rich==13.7.0\\n")
        sys.stderr.write("ERROR: ResolutionImpossible: for help visit https://pip.example/\\n")
        sys.exit(1)
        """,
    )
    report = project.report(pip=pip)
    assert report.pip.error == (
        "The conflict is caused by:",
        "    The user requested rich==13.7.0",
        "    fastmcp 2.0.0 depends on rich>=13.9.4",
        "ERROR: Cannot install fastmcp and rich==13.7.0",
        "ERROR: ResolutionImpossible: for help visit https://pip.example/",
    )
    assert not report.problems and not report.clean  # lockctl's rows are fine; pip is not
    assert project.reconcile()[0] == 0  # the real pip installs this lock
