"""A project's locks from [tool.lockctl], through the real command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lockctl.cli.main import main
from lockctl.lockfiles import read_lockfile
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

EXAMPLE = Path(__file__).parents[2] / "examples" / "layered"


def _versions(path: Path) -> dict[str, str]:
    return {str(k): str(v) for k, v in read_lockfile(path).versions().items()}


def _consistent(*locks: dict[str, str], exempt: frozenset[str] = frozenset()) -> None:
    names: set[str] = set().union(*locks)
    for name in names - exempt:
        versions = {lock[name] for lock in locks if name in lock}
        assert len(versions) == 1, (name, versions)


@pytest.fixture
def project(tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    for version in ("2.0.3", "2.1.1", "2.2.0"):
        index_server.add(make_wheel("pandas", version, requires_dist=["numpy>=1.20"]))
    for version in ("1.24.0", "1.26.4"):
        index_server.add(make_wheel("numpy", version))
    index_server.add(make_wheel("rich", "13.7.0"))
    index_server.add(make_wheel("rich", "13.9.4"))
    index_server.add(make_wheel("fastmcp", "2.0.0", requires_dist=["rich>=13.9.4"]))
    index_server.add(make_wheel("mlflow", "3.4.0", requires_dist=["pandas<3", "fastmcp>=2,<3"]))
    index_server.add(make_wheel("pytest", "8.0.0"))
    (tmp_path / "requirements-core.in").write_text("pandas==2.0.3\nrich==13.7.0\n")
    (tmp_path / "requirements-mlflow.in").write_text("-r requirements-core.in\nmlflow==3.4.0\n")
    (tmp_path / "requirements-all.in").write_text("-r requirements-mlflow.in\npytest\n")
    (tmp_path / "pyproject.toml").write_text(
        "[tool.lockctl]\n"
        'python-version = "3.11"\nplatform = "linux_x86_64"\n'
        f'index-url = "{index_server.simple_url}"\n'
        'overrides = [{ requirement = "rich>=13.9.4", reason = "fastmcp needs it" }]\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements-core.in"\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements-mlflow.in"\n'
        'overrides = ["pandas==2.1.1"]\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements-all.in"\n'
        'overrides = ["pandas==2.1.1"]\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def test_compile_with_no_arguments_compiles_every_layer_consistently(project: Path) -> None:
    assert main(["-q", "compile"]) == 0
    core, mlflow, full = (
        _versions(project / f"requirements-{n}.txt") for n in ("core", "mlflow", "all")
    )
    assert core == {"numpy": "1.26.4", "pandas": "2.0.3", "rich": "13.9.4"}
    assert mlflow["pandas"] == full["pandas"] == "2.1.1"  # the layers' own override
    _consistent(core, mlflow, full, exempt=frozenset({"pandas"}))
    text = (project / "requirements-mlflow.txt").read_text()
    assert "    # override: `pandas==2.1.1` from pyproject.toml replaces " in text
    assert "`pandas==2.0.3` asked by -r requirements-core.in" in text
    assert "    #   reason: fastmcp needs it\n" in text


def test_one_layer_alone_keeps_its_siblings_versions(
    project: Path, index_server: IndexServer
) -> None:
    assert main(["-q", "compile"]) == 0
    index_server.add(make_wheel("numpy", "1.27.0"))
    assert main(["-q", "compile", "requirements-all.in", "--refresh"]) == 0
    assert _versions(project / "requirements-all.txt")["numpy"] == "1.26.4"


def test_a_conflict_suggests_the_override_command(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["override", "remove", "rich"]) == 0
    assert main(["-q", "compile"]) == 1
    err = capsys.readouterr().err
    assert "rich==13.7.0 comes from requirements-core.in line 2" in err
    # The locks are resolved together: rich>=13.9.4 for the mlflow layer alone would leave the
    # "all" layer (which includes it) in conflict, so the override that resolves is project-wide.
    assert "run: lockctl override add 'rich>=13.9.4', as fastmcp asks" in err
    assert not (project / "requirements-core.txt").exists()  # all or nothing


def test_override_commands_edit_pyproject(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (project / "pyproject.toml").read_text()
    assert main(["override", "add", "numpy<1.25", "--lock", "requirements-core.txt"]) == 0
    assert main(["override", "list"]) == 0
    listed = capsys.readouterr().out
    assert "numpy<1.25  [requirements-core.txt]" in listed
    assert "rich>=13.9.4  [all locks]" in listed
    assert main(["override", "remove", "numpy", "--lock", "requirements-core.txt"]) == 0
    assert (project / "pyproject.toml").read_text() == before


def test_an_unused_override_is_a_warning(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["override", "add", "nobody-uses-this>=1"]) == 0
    assert main(["-q", "compile"]) == 0
    assert "names a project that no lock uses" in capsys.readouterr().err


def test_one_lock_options_need_an_input(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-q", "compile", "--json", "out.json"]) == 2
    assert "--output-file and --json name one lock" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('\n[[tool.lockctl.lock]]\ninput = "missing.in"\n', "missing.in"),
        (
            '\n[[tool.lockctl.lock]]\ninput = "requirements-all.in"\n'
            'output = "requirements-core.txt"\n',
            "requirements-core.txt",
        ),
    ],
)
def test_bad_project_config_is_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str], extra: str, message: str
) -> None:
    with (project / "pyproject.toml").open("a") as stream:
        stream.write(extra)
    assert main(["-q", "compile"]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml:" in err and message in err and "Traceback" not in err


@pytest.mark.live
@pytest.mark.slow
def test_the_bundled_example_compiles_consistently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "layered"
    shutil.copytree(EXAMPLE, work)
    monkeypatch.chdir(work)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile"]) == 0
    core, mlflow, full = (
        _versions(work / f"requirements-{n}.txt") for n in ("core", "mlflow", "all")
    )
    assert core["pandas"] == "2.0.3" and mlflow["pandas"] == full["pandas"] == "2.1.1"
    assert core["rich"] == mlflow["rich"] == full["rich"]
    assert mlflow["mlflow"] == full["mlflow"] == "3.4.0"
    _consistent(core, mlflow, full, exempt=frozenset({"pandas"}))
    assert full.keys() > mlflow.keys() > core.keys()


def test_one_layer_alone_gets_the_pins_of_the_whole_project(project: Path) -> None:
    (project / "requirements-all.in").write_text("-r requirements-mlflow.in\npytest\nnumpy<1.25\n")
    assert main(["-q", "compile"]) == 0
    whole = _versions(project / "requirements-mlflow.txt")
    assert whole["numpy"] == "1.24.0"  # decided by the "all" layer's numpy<1.25
    for lock in project.glob("requirements-*.txt"):
        lock.unlink()
    assert main(["-q", "compile", "requirements-mlflow.in"]) == 0
    assert _versions(project / "requirements-mlflow.txt") == whole
    assert sorted(p.name for p in project.glob("requirements-*.txt")) == ["requirements-mlflow.txt"]
