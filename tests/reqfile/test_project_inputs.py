"""Project files as inputs (``reqfile.project_input``): PEP 621 pyproject.toml and setup.cfg.

What each file declares, the line each dependency is on, PEP 685 extra names, and the one-line
refusals for a layout lockctl does not read; then the same through ``ops.inputs.read_inputs``
(``-e PATH``, stdin) and the real command line (exit 2, no traceback).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import tomlkit

from lockctl.errors import IncludeError, RequirementsFileError, UsageError
from lockctl.ops.inputs import STDIN, read_inputs
from lockctl.reqfile import RequirementEntry
from lockctl.reqfile.project_input import (
    NeedsProjectBuild,
    ProjectInput,
    project_from_metadata,
    read_project_dir,
    read_project_input,
)
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

PYPROJECT = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "My_Project"
version = "0.1"
dependencies = [
    "alpha>=1",
    'beta; python_version >= "3.8"',
]

[project.optional-dependencies]
Dev = ["dev-tool", "delta"]
test = ["gamma"]
all = ["my-project[Dev,test]"]
"""

SETUP_CFG = """\
[metadata]
name = cfg_proj
version = 1.0

[options]
install_requires =
    alpha>=1
    beta; python_version >= "3.8"
    # a comment
[options.extras_require]
Test_X = gamma
docs = sphinx; furo
win =
    delta; sys_platform == "win32"
"""


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _names(project: ProjectInput, *extras: str, all_extras: bool = False) -> list[str]:
    return [str(d.requirement) for d in project.selected(extras, all_extras=all_extras)]


def test_pyproject_dependencies_and_the_lines_they_are_on(tmp_path: Path) -> None:
    project = read_project_input(_write(tmp_path / "pyproject.toml", PYPROJECT))
    assert project.name == "My_Project"
    assert project.extras == ("dev", "test", "all")
    assert _names(project) == ["alpha>=1", 'beta; python_version >= "3.8"']
    assert [d.source.line for d in project.dependencies[:4]] == [9, 10, 14, 14]
    assert project.label == f"My_Project ({(tmp_path / 'pyproject.toml').as_posix()})"


def test_extras_are_matched_by_their_normalised_names(tmp_path: Path) -> None:
    project = read_project_input(_write(tmp_path / "pyproject.toml", PYPROJECT))
    assert _names(project, "DEV") == [
        "alpha>=1",
        'beta; python_version >= "3.8"',
        "dev-tool",
        "delta",
    ]
    assert _names(project, "test")[-1] == "gamma"


def test_an_extra_that_names_the_project_itself_brings_in_those_extras(tmp_path: Path) -> None:
    project = read_project_input(_write(tmp_path / "pyproject.toml", PYPROJECT))
    selected = _names(project, "all")
    assert selected[2:] == ["dev-tool", "delta", "gamma"]  # no "my-project[...]" line
    assert _names(project, all_extras=True) == selected


def test_an_unknown_extra_is_refused_naming_those_that_exist(tmp_path: Path) -> None:
    project = read_project_input(_write(tmp_path / "pyproject.toml", PYPROJECT))
    with pytest.raises(UsageError) as caught:
        project.selected(["docs"], all_extras=False)
    assert "no extra 'docs'" in caught.value.message
    assert "its extras are: dev, test, all" in caught.value.message


def test_dynamic_dependencies_need_a_build(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\nversion = "1"\ndynamic = ["dependencies"]\n'
    with pytest.raises(NeedsProjectBuild) as caught:
        read_project_input(_write(tmp_path / "pyproject.toml", text))
    assert "dynamic" in caught.value.reason
    with pytest.raises(NeedsProjectBuild):
        read_project_input(tmp_path / "setup.py")


@pytest.mark.parametrize(
    ("text", "said", "line"),
    [
        (
            '[tool.poetry]\nname = "x"\n[tool.poetry.dependencies]\nrich = "^13"\n',
            "[tool.poetry]",
            1,
        ),
        ('[build-system]\nrequires = ["setuptools"]\n', "no [project] table", 1),
        ('[project]\nname = "x"\ndependencies = ["a",\n', "not valid TOML", 4),
        ('[project]\nname = "x"\ndependencies = "rich"\n', "must be a list", 3),
        ('[project]\nversion = "1"\n', "has no name", 1),
        ('[project]\nname = "x"\ndependencies = [\n  "rich>=",\n]\n', "invalid requirement", 4),
    ],
    ids=["poetry", "no-project-table", "bad-toml", "not-a-list", "no-name", "bad-requirement"],
)
def test_a_layout_lockctl_does_not_read_is_one_error(
    tmp_path: Path, text: str, said: str, line: int
) -> None:
    path = _write(tmp_path / "pyproject.toml", text)
    with pytest.raises(RequirementsFileError) as caught:
        read_project_input(path)
    assert said in caught.value.message
    assert caught.value.span.path == path  # the CLI shows "--> file:line" and the line
    assert caught.value.span.line == line
    assert "\n" not in caught.value.message


def test_setup_cfg_in_setuptools_line_and_semicolon_forms(tmp_path: Path) -> None:
    project = read_project_input(_write(tmp_path / "setup.cfg", SETUP_CFG))
    assert project.name == "cfg-proj"  # setuptools' safe_name, as the built metadata says
    assert project.extras == ("test-x", "docs", "win")
    assert _names(project) == ["alpha>=1", 'beta; python_version >= "3.8"']
    assert _names(project, "test_x")[-1] == "gamma"
    assert _names(project, "docs")[-2:] == ["sphinx", "furo"]  # one line: split at ';'
    assert _names(project, "win")[-1] == 'delta; sys_platform == "win32"'
    assert [d.source.line for d in project.dependencies[:2]] == [7, 8]


def test_setup_cfg_file_directive_reads_the_listed_files(tmp_path: Path) -> None:
    _write(tmp_path / "requirements.txt", "alpha\n# note\nbeta>=2\n")
    cfg = "[metadata]\nname = p\n[options]\ninstall_requires = file: requirements.txt\n"
    project = read_project_input(_write(tmp_path / "setup.cfg", cfg))
    assert _names(project) == ["alpha", "beta>=2"]


def test_setup_cfg_one_line_marker_is_refused_with_the_way_out(tmp_path: Path) -> None:
    cfg = '[metadata]\nname = p\n[options.extras_require]\nall = delta; sys_platform != "win32"\n'
    with pytest.raises(RequirementsFileError) as caught:
        read_project_input(_write(tmp_path / "setup.cfg", cfg))
    assert "splits at ';'" in caught.value.message
    assert caught.value.span.line == 4
    assert "own line" in caught.value.hint


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("install_requires = alpha\n", "cannot be read as setuptools configuration"),
        ("[metadata]\nversion = 1\n", "has no name"),
        ("[metadata]\nname = p\n[metadata]\nname = q\n", "cannot be read"),
    ],
    ids=["no-section", "no-name", "duplicate-section"],
)
def test_a_malformed_setup_cfg_is_one_error(tmp_path: Path, text: str, said: str) -> None:
    with pytest.raises(RequirementsFileError) as caught:
        read_project_input(_write(tmp_path / "setup.cfg", text))
    assert said in caught.value.message
    assert "\n" not in caught.value.message


def test_a_missing_project_file_is_an_include_error(tmp_path: Path) -> None:
    with pytest.raises(IncludeError):
        read_project_input(tmp_path / "pyproject.toml")


def test_built_metadata_drops_the_extra_clause_as_pip_tools_does(tmp_path: Path) -> None:
    from packaging.requirements import Requirement

    requires = [
        Requirement("alpha"),
        Requirement('gamma; extra == "test"'),
        Requirement('delta; sys_platform != "win32" and extra == "all"'),
    ]
    project = project_from_metadata(tmp_path / "setup.py", "p", requires, ["test", "all"])
    assert _names(project, "all") == ["alpha", 'delta; sys_platform != "win32"']
    assert _names(project, "test") == ["alpha", "gamma"]


def test_a_project_directory_reads_pyproject_then_setup_cfg(tmp_path: Path) -> None:
    _write(tmp_path / "a" / "pyproject.toml", PYPROJECT)
    assert read_project_dir(tmp_path / "a", shown=Path("a")).name == "My_Project"
    _write(tmp_path / "b" / "pyproject.toml", '[build-system]\nrequires = ["setuptools"]\n')
    _write(tmp_path / "b" / "setup.cfg", SETUP_CFG)
    assert read_project_dir(tmp_path / "b", shown=Path("b")).name == "cfg-proj"
    _write(tmp_path / "c" / "setup.py", "from setuptools import setup\nsetup()\n")
    with pytest.raises(NeedsProjectBuild):
        read_project_dir(tmp_path / "c", shown=Path("c"))
    (tmp_path / "d").mkdir()
    with pytest.raises(UsageError, match="not a Python project"):
        read_project_dir(tmp_path / "d", shown=Path("d"))


# -- through read_inputs -----------------------------------------------------------------------


def test_project_roots_carry_pip_tools_via_label(tmp_path: Path) -> None:
    path = _write(tmp_path / "pyproject.toml", PYPROJECT)
    inputs = read_inputs([path], extras=["dev,test"])
    assert [str(root.requirement) for root in inputs.roots][-3:] == ["dev-tool", "delta", "gamma"]
    assert {root.origin.project for root in inputs.roots} == {f"My_Project ({path.as_posix()})"}
    assert inputs.files[0].path == path  # every dependency is fingerprinted, extras included
    assert len(inputs.files[0].entries) == 6


def test_editable_project_dependencies_are_roots_under_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "sub" / "pyproject.toml", PYPROJECT)
    requirements = _write(tmp_path / "req.in", "-e ./sub[test]\ngamma\n")
    inputs = read_inputs([Path("req.in")])
    assert [e.url for e in inputs.editables] == [(tmp_path / "sub").as_uri()]
    assert inputs.editables[0].name == "my-project"
    parents = {str(r.requirement): r.origin.parent for r in inputs.roots}
    assert parents == {
        "alpha>=1": "my-project",
        'beta; python_version >= "3.8"': "my-project",
        "gamma": None,  # the .in line wins the dict; both are roots
    }
    assert requirements.exists()


def test_an_editable_that_needs_a_build_is_refused_without_consent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "sub" / "setup.py", "from setuptools import setup\nsetup()\n")
    _write(tmp_path / "req.in", "-e sub\n")
    with pytest.raises(RequirementsFileError) as caught:
        read_inputs([Path("req.in")])
    assert "--allow-build" in caught.value.message
    assert caught.value.span.line == 1


def test_an_editable_path_that_is_not_a_directory_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "req.in", "-e ./missing\n")
    with pytest.raises(RequirementsFileError, match="is not a directory"):
        read_inputs([Path("req.in")])


def test_stdin_is_read_as_a_requirements_file_named_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("alpha\n--pre\n"))
    inputs = read_inputs([STDIN])
    assert [str(r.requirement) for r in inputs.roots] == ["alpha"]
    assert inputs.roots[0].origin.line is not None
    assert inputs.roots[0].origin.line.path == Path("-")
    assert inputs.pre


# -- the command line ----------------------------------------------------------------------------


def _lockctl(cwd: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lockctl", "compile", *argv, "--offline", "-o", "out.txt"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("files", "argv", "said"),
    [
        (
            {"pyproject.toml": '[tool.poetry]\nname = "x"\n'},
            ("pyproject.toml",),
            "its dependencies are in [tool.poetry], which lockctl does not read",
        ),
        (
            {"setup.py": "raise SystemExit('must not run')\n"},
            ("setup.py",),
            "only with --allow-build",
        ),
        (
            {"pyproject.toml": '[project]\nname = "x"\ndynamic = ["dependencies"]\n'},
            ("pyproject.toml",),
            "only with --allow-build",
        ),
        ({"pyproject.toml": PYPROJECT}, ("pyproject.toml", "--extra", "docs"), "no extra 'docs'"),
        ({"setup.cfg": "oops\n"}, ("setup.cfg",), "cannot be read as setuptools configuration"),
    ],
    ids=["poetry", "setup-py", "dynamic", "unknown-extra", "malformed-setup-cfg"],
)
def test_bad_project_inputs_are_one_clear_line_and_exit_2(
    tmp_path: Path, files: dict[str, str], argv: tuple[str, ...], said: str
) -> None:
    for name, text in files.items():
        _write(tmp_path / name, text)
    done = _lockctl(tmp_path, *argv)
    assert done.returncode == 2, done.stderr
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    first = done.stderr.splitlines()[0]
    assert first.startswith("error: ") and said in first
    assert not (tmp_path / "out.txt").exists()


def test_extra_without_a_project_input_is_refused_as_pip_compile_does(tmp_path: Path) -> None:
    _write(tmp_path / "requirements.in", "alpha\n")
    done = _lockctl(tmp_path, "requirements.in", "--extra", "dev")
    assert done.returncode == 2
    assert "--extra dev has effect only with a pyproject.toml" in done.stderr


def _cli(cwd: Path, *argv: str, cache: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LOCKCTL_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-m", "lockctl", *argv],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
    )


def _serve(server: IndexServer) -> None:
    for name, version in [("alpha", "2.0"), ("beta", "1.5"), ("dev-tool", "0.9"), ("delta", "3.0")]:
        server.add(make_wheel(name, version))
    server.add(make_wheel("gamma", "1.1"))


def test_a_project_file_writes_requirements_txt_beside_it_as_pip_compile_does(
    tmp_path: Path, index_server: IndexServer
) -> None:
    _serve(index_server)
    _write(tmp_path / "app" / "pyproject.toml", PYPROJECT)
    argv = ("-q", "compile", "app/pyproject.toml", "--index-url", index_server.simple_url)
    done = _cli(tmp_path, *argv, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    lock = (tmp_path / "app" / "requirements.txt").read_text(encoding="utf-8")
    assert "    # via My_Project (app/pyproject.toml)\n" in lock


def test_stdin_needs_an_output_file_as_pip_compile_says(tmp_path: Path) -> None:
    done = _cli(tmp_path, "compile", "-", "--offline", cache=tmp_path / "cache", stdin="alpha\n")
    assert done.returncode == 2
    assert "--output-file is required when the input is read from stdin" in done.stderr


def test_check_reads_the_extras_the_lock_was_compiled_with(
    tmp_path: Path, index_server: IndexServer
) -> None:
    _serve(index_server)
    project = _write(tmp_path / "pyproject.toml", PYPROJECT)
    cache = tmp_path / "cache"
    argv = ("-q", "compile", "pyproject.toml", "--extra", "dev", "-o", "lock.txt")
    done = _cli(tmp_path, *argv, "--index-url", index_server.simple_url, cache=cache)
    assert done.returncode == 0, done.stderr
    assert _cli(tmp_path, "check", "lock.txt", cache=cache).returncode == 0
    project.write_text(PYPROJECT.replace('"alpha>=1"', '"alpha>=1.5"'), encoding="utf-8")
    checked = _cli(tmp_path, "check", "lock.txt", cache=cache)
    assert checked.returncode == 1
    assert "pyproject.toml: alpha>=1 -> alpha>=1.5" in checked.stdout
    assert "nothing requires it" not in checked.stdout  # the extra's pins are required


def test_inputs_lists_a_project_files_dependencies_with_their_extras(tmp_path: Path) -> None:
    _write(tmp_path / "pyproject.toml", PYPROJECT)
    _write(tmp_path / "setup.py", "raise SystemExit('must not run')\n")
    done = _cli(tmp_path, "inputs", "pyproject.toml", cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "alpha>=1  [pyproject.toml:9]",
        'beta; python_version >= "3.8"  [pyproject.toml:10]',
        'dev-tool; extra == "dev"  [pyproject.toml:14]',
    ]
    refused = _cli(tmp_path, "inputs", "setup.py", cache=tmp_path / "cache")
    assert refused.returncode == 2
    assert "does not build projects" in refused.stderr


def test_an_optional_dependency_reads_as_its_metadata_line(tmp_path: Path) -> None:
    text = PYPROJECT.replace('test = ["gamma"]', "test = ['gamma; python_version < \"3.99\"']")
    project = read_project_input(_write(tmp_path / "pyproject.toml", text))
    entries = project.as_requirements_file().entries
    shown = [str(e.requirement) for e in entries if isinstance(e, RequirementEntry)]
    assert shown[4] == 'gamma; python_version < "3.99" and extra == "test"'


def test_an_extra_needs_only_one_of_the_project_inputs_to_declare_it(tmp_path: Path) -> None:
    first = _write(tmp_path / "a" / "pyproject.toml", PYPROJECT)
    second = _write(tmp_path / "b" / "setup.cfg", SETUP_CFG)
    inputs = read_inputs([first, second], extras=["dev", "docs"])
    assert "dev-tool" in [str(root.requirement) for root in inputs.roots]
    assert "furo" in [str(root.requirement) for root in inputs.roots]
    with pytest.raises(UsageError, match="no extra 'nope'"):
        read_inputs([first, second], extras=["nope"])


def test_a_failing_build_backend_is_a_tool_failure_with_its_last_words(tmp_path: Path) -> None:
    _write(
        tmp_path / "backend.py",
        "def prepare_metadata_for_build_wheel(d, c=None):\n"
        "    raise RuntimeError('the backend says no')\n",
    )
    _write(
        tmp_path / "pyproject.toml",
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
    )
    _write(tmp_path / "setup.py", "")
    argv = ("compile", "setup.py", "--allow-build", "--offline", "-o", "out.txt")
    done = _cli(tmp_path, *argv, cache=tmp_path / "cache")
    assert done.returncode == 3, done.stderr
    assert "building the metadata of setup.py failed" in done.stderr
    assert "the backend says no" in done.stderr
    assert "Traceback" not in done.stderr.split("the backend says no")[0].splitlines()[0]
    assert not (tmp_path / "out.txt").exists()


def test_json_lists_the_editables(tmp_path: Path, index_server: IndexServer) -> None:
    _serve(index_server)
    _write(tmp_path / "sub" / "pyproject.toml", PYPROJECT)
    _write(tmp_path / "r.in", "-e ./sub\n")
    argv = ("-q", "compile", "r.in", "--index-url", index_server.simple_url, "--json", "r.json")
    done = _cli(tmp_path, *argv, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["editables"] == [
        {"name": "my-project", "url": (tmp_path / "sub").as_uri(), "requested_in": ["r.in line 1"]}
    ]
    assert {p["name"] for p in data["packages"]} == {"alpha", "beta"}


def test_pylock_writes_an_editable_as_a_directory_relative_to_the_lock(
    tmp_path: Path, index_server: IndexServer
) -> None:
    _serve(index_server)
    _write(tmp_path / "sub" / "pyproject.toml", PYPROJECT)
    _write(tmp_path / "r.in", "-e ./sub\n")
    (tmp_path / "locks").mkdir()
    argv = ("-q", "compile", "r.in", "--format", "pylock", "-o", "locks/pylock.toml")
    done = _cli(tmp_path, *argv, "--index-url", index_server.simple_url, cache=tmp_path / "cache")
    assert done.returncode == 0, done.stderr
    lock = tomlkit.parse((tmp_path / "locks" / "pylock.toml").read_text(encoding="utf-8")).unwrap()
    editable = lock["packages"][0]
    assert editable == {
        "name": "my-project",
        "dependencies": [{"name": "alpha"}, {"name": "beta"}],
        "directory": {"path": "../sub", "editable": True},
    }
    assert str(tmp_path) not in (tmp_path / "locks" / "pylock.toml").read_text(encoding="utf-8")
