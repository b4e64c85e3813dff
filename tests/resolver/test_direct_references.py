"""Direct references (``name @ URL``) compiled end to end: a real loopback index for the
dependencies, a second loopback server for the artifacts, ``file:`` paths, real git.

Every URL and path is built at run time. Builds run a tiny in-tree PEP 517 backend written by
the test, so a build needs nothing from any index.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import tomlkit

from lockctl.cli.main import main
from lockctl.index.direct import NotADirectReference, parse_direct_reference
from tests.support.dists import DistFile, make_sdist, make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

_BACKEND = '''\
"""A PEP 517 backend that needs nothing installed: it zips a fixed METADATA."""
import base64, hashlib, os, zipfile

NAME, VERSION, REQUIRES = {name!r}, {version!r}, {requires!r}


def _line(path, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{{path}},sha256={{digest}},{{len(data)}}"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    stem = f"{{NAME}}-{{VERSION}}"
    info = f"{{stem}}.dist-info"
    metadata = [f"Metadata-Version: 2.1", f"Name: {{NAME}}", f"Version: {{VERSION}}"]
    metadata += [f"Requires-Dist: {{r}}" for r in REQUIRES]
    files = {{
        f"{{NAME}}/__init__.py": b"",
        f"{{info}}/METADATA": ("\\n".join(metadata) + "\\n").encode(),
        f"{{info}}/WHEEL": b"Wheel-Version: 1.0\\nGenerator: t\\nRoot-Is-Purelib: true\\n"
        b"Tag: py3-none-any\\n",
    }}
    record = [_line(p, d) for p, d in files.items()] + [f"{{info}}/RECORD,,"]
    files[f"{{info}}/RECORD"] = ("\\n".join(record) + "\\n").encode()
    filename = f"{{stem}}-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, filename), "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return filename
'''


def write_project(root: Path, name: str, version: str, requires: list[str]) -> Path:
    """A buildable project whose backend is in the tree (``backend-path``, PEP 517)."""
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [build-system]
            requires = []
            build-backend = "backend"
            backend-path = ["."]
            """
        )
    )
    (root / "backend.py").write_text(_BACKEND.format(name=name, version=version, requires=requires))
    return root


def tree_of(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*"))


@pytest.fixture
def index(
    index_server: IndexServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> IndexServer:
    index_server.add(make_wheel("beta", "1.0"))
    index_server.add(make_wheel("beta", "2.0"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("CUSTOM_COMPILE_COMMAND", raising=False)
    return index_server


@pytest.fixture
def files(make_index: IndexFactory) -> IndexServer:
    """The server the direct references point at (its /files/ route); never used as an index."""
    return make_index()


def compile_(
    capsys: pytest.CaptureFixture[str], index: IndexServer, line: str, *argv: str
) -> tuple[int, str, str]:
    Path("requirements.in").write_text(line + "\n")
    code = main(
        [
            "-q",
            "compile",
            "requirements.in",
            "--index-url",
            index.simple_url,
            "--no-emit-index-url",
            "--no-header",
            "--python-version",
            "3.11",
            "--platform",
            "linux_x86_64",
            *argv,
        ]
    )
    captured = capsys.readouterr()
    output = Path(argv[argv.index("-o") + 1] if "-o" in argv else "requirements.txt")
    text = output.read_text() if code == 0 else ""
    return code, text, captured.err


ALPHA = make_wheel("alpha", "1.0", requires_dist=["beta>=1"])


def served(files: IndexServer, dist: DistFile) -> str:
    files.add(dist)
    return files.file_url(dist.filename)


def test_a_wheel_url_is_pinned_as_written_and_its_dependencies_resolved(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    code, text, err = compile_(capsys, index, f"alpha @ {url}")
    assert (code, err) == (0, "")
    assert text == f"alpha @ {url}\n    # via -r requirements.in\nbeta==2.0\n    # via alpha\n"
    assert index.count("/simple/alpha/") == 0  # a direct reference never asks the index


def test_generate_hashes_lists_the_sha256_of_the_file_read(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    code, text, _ = compile_(capsys, index, f"alpha @ {url}", "--generate-hashes")
    assert code == 0
    assert text.startswith(f"alpha @ {url} \\\n    --hash=sha256:{ALPHA.sha256}\n")


def test_a_hash_fragment_is_checked_and_kept(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"{served(files, ALPHA)}#sha256={ALPHA.sha256}"
    code, text, _ = compile_(capsys, index, f"alpha @ {url}")
    assert code == 0
    assert text.startswith(f"alpha @ {url}\n    # via -r requirements.in\n")


def test_a_hash_mismatch_is_exit_3_and_nothing_is_written(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = hashlib.sha256(b"another file").hexdigest()
    url = f"{served(files, ALPHA)}#sha256={wrong}"
    code, _, err = compile_(capsys, index, f"alpha @ {url}")
    assert code == 3
    assert "does not match the hash in its URL" in err
    assert f"expected sha256:{wrong}" in err
    assert f"got      sha256:{ALPHA.sha256}" in err
    assert "Traceback" not in err
    assert not Path("requirements.txt").exists()


def test_a_file_url_to_a_wheel(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheel = tmp_path / "dist" / ALPHA.filename
    wheel.parent.mkdir()
    wheel.write_bytes(ALPHA.content)
    code, text, _ = compile_(capsys, index, f"alpha @ {wheel.as_uri()}", "--generate-hashes")
    assert code == 0
    assert text.startswith(f"alpha @ {wheel.as_uri()} \\\n    --hash=sha256:{ALPHA.sha256}\n")


def test_a_relative_file_url_is_written_bare_and_read_back(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # pip-compile writes a relative file: reference as the bare URL; lockctl reads its own
    # lock back (the digest line, check), so it must read that line as pip does: named from
    # the file name.
    wheel = tmp_path / "dist" / ALPHA.filename
    wheel.parent.mkdir()
    wheel.write_bytes(ALPHA.content)
    Path("requirements.in").write_text(f"alpha @ file:dist/{ALPHA.filename}\n")
    argv = ["-q", "compile", "requirements.in", "--index-url", index.simple_url]
    assert main([*argv, "--python-version", "3.11", "--platform", "linux_x86_64"]) == 0
    lock = Path("requirements.txt").read_text()
    assert f"\nfile:dist/{ALPHA.filename}\n    # via -r requirements.in\n" in lock
    assert "# lockctl: v1 " in lock
    assert main(["check", "requirements.txt"]) == 0
    assert "in sync" in capsys.readouterr().out


def test_an_sdist_with_static_metadata_needs_no_build(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, make_sdist("gamma", "2.0", requires_dist=["beta<2"]))
    code, text, _ = compile_(capsys, index, f"gamma @ {url}")
    assert code == 0
    assert text == f"beta==1.0\n    # via gamma\ngamma @ {url}\n    # via -r requirements.in\n"


def test_a_local_directory_needs_consent_to_be_built(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "delta", "delta", "3.0", ["beta<2"])
    before = tree_of(project)
    code, _, err = compile_(capsys, index, f"delta @ {project.as_uri()}")
    assert code == 2
    first = err.splitlines()[0]
    assert first.startswith(f"error: delta @ {project.as_uri()}: the local project directory")
    assert "must be built to know its dependencies" in first
    assert "--allow-build" in first
    assert tree_of(project) == before


def test_a_local_directory_with_allow_build(
    index: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = write_project(tmp_path / "delta", "delta", "3.0", ["beta<2"])
    before = tree_of(project)
    code, text, err = compile_(capsys, index, f"delta @ {project.as_uri()}", "--allow-build")
    assert (code, err) == (0, "")
    assert text == (
        f"beta==1.0\n    # via delta\ndelta @ {project.as_uri()}\n    # via -r requirements.in\n"
    )
    assert tree_of(project) == before  # built from a copy: nothing written into the project


def _git(*args: str, cwd: Path) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the git+ direct reference tests")
    repo = write_project(tmp_path / "repo", "eps", "4.0", ["beta<2"])
    _git("init", "--quiet", cwd=repo)
    _git("add", ".", cwd=repo)
    _git("commit", "--quiet", "-m", "4.0", cwd=repo)
    _git("tag", "v4", cwd=repo)
    # A later commit on the branch: the tag, not the branch's head, must be what is built.
    (repo / "backend.py").write_text(
        (repo / "backend.py").read_text().replace("'4.0'", "'5.0'"), encoding="utf-8"
    )
    _git("commit", "--quiet", "-am", "5.0", cwd=repo)
    return repo


def test_a_git_url_at_a_tag_is_cloned_built_and_pinned_as_written(
    index: IndexServer, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"git+{repository.as_uri()}@v4"
    before = tree_of(repository)
    code, text, err = compile_(capsys, index, f"eps @ {url}", "--allow-build", "--json", "x.json")
    assert (code, err) == (0, "")
    # pip-compile writes the URL as pip's Link rebuilds it: no "//" before an empty host.
    written = f"git+file:{repository.as_posix()}@v4"
    assert text == f"beta==1.0\n    # via eps\neps @ {written}\n    # via -r requirements.in\n"
    assert '"version": "4.0"' in Path("x.json").read_text()
    assert tree_of(repository) == before


def test_a_git_url_needs_consent_too(
    index: IndexServer, repository: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = compile_(capsys, index, f"eps @ git+{repository.as_uri()}@v4")
    assert code == 2
    assert "the git checkout must be built" in err
    assert "--allow-build" in err


def test_an_index_requirement_against_a_direct_reference_is_a_conflict(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    index.add(make_wheel("app", "1.0", requires_dist=["alpha<1"]))
    url = served(files, ALPHA)
    Path("requirements.in").write_text(f"app\nalpha @ {url}\n")
    code = main(
        ["-q", "compile", "requirements.in", "--index-url", index.simple_url, "--no-header"]
    )
    err = capsys.readouterr().err
    assert code == 1
    assert f"alpha @ {url} comes from requirements.in line 2" in err
    assert "app (requirements.in line 1) needs alpha<1" in err
    assert f"alpha<1: {url} is alpha 1.0" in err


def test_a_dependency_url_is_followed_only_when_the_inputs_name_it(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    index.add(make_wheel("zeta", "1.0", requires_dist=[f"alpha @ {url}"]))
    code, _, err = compile_(capsys, index, "zeta")
    assert code == 2
    assert "followed only when the inputs name the same URL" in err
    assert "zeta 1.0" in err
    code, text, _ = compile_(capsys, index, f"zeta\nalpha @ {url}#egg=alpha")
    assert code == 0
    assert text.startswith(f"alpha @ {url}\n    # via\n    #   -r requirements.in\n    #   zeta\n")


def test_a_wheel_for_another_platform_says_no_wheel_fits(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, make_wheel("alpha", "1.0", tag="cp311-cp311-win_amd64"))
    code, _, err = compile_(capsys, index, f"alpha @ {url}")
    assert code == 2
    assert "no wheel fits Python 3.11 on linux_x86_64" in err
    assert "cp311-cp311-win_amd64" in err


def test_a_url_whose_artifact_is_another_project_is_refused(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    code, _, err = compile_(capsys, index, f"omega @ {url}")
    assert code == 2
    assert "is the project alpha, not omega" in err


def test_check_sees_a_hand_edit_of_a_direct_reference(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    Path("requirements.in").write_text(f"alpha @ {url}\n")
    argv = ["-q", "compile", "requirements.in", "--index-url", index.simple_url]
    assert main([*argv, "--python-version", "3.11", "--platform", "linux_x86_64"]) == 0
    assert main(["check", "requirements.txt"]) == 0
    lock = Path("requirements.txt")
    lock.write_text(lock.read_text().replace(ALPHA.filename, "alpha-1.1-py3-none-any.whl"))
    capsys.readouterr()
    assert main(["check", "requirements.txt"]) == 1
    assert "edited by hand since lockctl wrote it" in capsys.readouterr().out


def test_a_direct_wheel_that_excludes_the_target_python_is_a_conflict(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, make_wheel("alpha", "1.0", requires_python=">=3.12"))
    code, _, err = compile_(capsys, index, f"alpha @ {url}")
    assert code == 1
    assert "python>=3.12" in err


@pytest.mark.parametrize(
    ("url", "written", "location", "revision"),
    [
        (
            "git+https://host.example.invalid/org/eps.git@v4#egg=eps&subdirectory=pkg",
            "eps @ git+https://host.example.invalid/org/eps.git@v4#subdirectory=pkg",
            "https://host.example.invalid/org/eps.git",
            "v4",
        ),
        (
            "git+ssh://git@host.example.invalid/org/eps.git@main",
            "eps @ git+ssh://git@host.example.invalid/org/eps.git@main",
            "ssh://git@host.example.invalid/org/eps.git",
            "main",
        ),
        (  # a local repository: {uri} is its file: URL, {path} its path (built at run time)
            "git+{uri}",
            "eps @ git+file:{path}",
            "{uri}",
            None,
        ),
        (
            "https://host.example.invalid/eps-1.0.tar.gz#egg=eps&md5=00ff",
            "eps @ https://host.example.invalid/eps-1.0.tar.gz#md5=00ff",
            "https://host.example.invalid/eps-1.0.tar.gz",
            None,
        ),
    ],
)
def test_urls_are_read_and_written_as_pip_does(
    url: str, written: str, location: str, revision: str | None, tmp_path: Path
) -> None:
    repo = tmp_path / "repos" / "eps"
    url, written, location = (
        text.format(uri=repo.as_uri(), path=repo.as_posix()) for text in (url, written, location)
    )
    reference = parse_direct_reference("EPS", url, base=tmp_path)
    assert reference.written() == written
    assert (reference.location, reference.revision) == (location, revision)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("hg+https://host.example.invalid/eps", "hg repositories are not supported"),
        ("ftp://host.example.invalid/eps-1.0.tar.gz", "the URL scheme 'ftp' is not supported"),
        ("https://host.example.invalid/eps.exe", "eps.exe is not a wheel, an sdist"),
        ("file:missing/eps-1.0.tar.gz", "does not exist"),
    ],
)
def test_urls_lockctl_cannot_follow_say_why(url: str, problem: str, tmp_path: Path) -> None:
    with pytest.raises(NotADirectReference, match=problem):
        parse_direct_reference("eps", url, base=tmp_path)


def test_offline_a_url_is_not_fetched_and_a_file_is_read(
    index: IndexServer, files: IndexServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    assert compile_(capsys, index, "beta")[0] == 0  # the index page is in the cache now
    code, _, err = compile_(capsys, index, f"alpha @ {url}\nbeta", "--offline")
    assert code == 3
    assert f"alpha @ {url} must be fetched and --offline is set" in err
    assert files.count("/files/*") == 0
    wheel = tmp_path / ALPHA.filename
    wheel.write_bytes(ALPHA.content)
    code, text, _ = compile_(capsys, index, f"alpha @ {wheel.as_uri()}\nbeta", "--offline")
    assert code == 0
    assert text.startswith(f"alpha @ {wheel.as_uri()}\n")


def test_pylock_does_not_say_a_direct_reference_came_from_the_index(
    index: IndexServer, files: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = served(files, ALPHA)
    code, _, _ = compile_(
        capsys, index, f"alpha @ {url}", "--format", "pylock", "-o", "pylock.toml"
    )
    assert code == 0
    packages = {
        p["name"]: p for p in tomlkit.parse(Path("pylock.toml").read_text()).unwrap()["packages"]
    }
    assert "index" not in packages["alpha"]
    assert packages["alpha"]["wheels"][0]["url"] == url
    assert packages["beta"]["index"] == index.simple_url
