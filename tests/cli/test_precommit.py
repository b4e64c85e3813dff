"""The ``lockctl-check`` hook of ``.pre-commit-hooks.yaml``, run by the real pre-commit.

A throwaway project (a lock compiled against the loopback index) is a git repository whose
``.pre-commit-config.yaml`` names this checkout's hook by ``repo`` and ``rev``, as a user's
would, and ``git commit`` runs it through ``pre-commit install``'s git hook.

The hook repository is this checkout as it is now, uncommitted and untracked files included (a
copy committed in a throwaway repository), so the test checks the code it sits beside, as
every other test does. pre-commit installs it into a virtualenv of its own with pip, which
needs the public index for lockctl's dependencies (about 10 s, once per session: the
environment lives in a session-wide ``PRE_COMMIT_HOME``); hence ``live`` and ``slow``. lockctl
inside the hook reads only the loopback index, named by the ``-i`` line of requirements.in.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]  # pre-commit's own dependency

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

CHECKOUT = Path(__file__).resolve().parents[2]
MANIFEST = CHECKOUT / ".pre-commit-hooks.yaml"
HOOK_ID = "lockctl-check"

# Variables that would point pip (building the hook's environment) or lockctl (inside the hook)
# at another index than the one the test names.
_LEAKY_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")


def _hook() -> dict[str, object]:
    hooks = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    (hook,) = (h for h in hooks if h["id"] == HOOK_ID)
    assert isinstance(hook, dict)
    return hook


def test_the_manifest_is_valid() -> None:
    validated = subprocess.run(
        [sys.executable, "-m", "pre_commit", "validate-manifest", str(MANIFEST)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert validated.returncode == 0, validated.stdout + validated.stderr
    hook = _hook()
    assert hook["entry"] == "lockctl check"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False


@pytest.mark.parametrize(
    ("path", "runs"),
    [
        ("requirements.in", True),
        ("requirements.txt", True),
        ("requirements-dev.in", True),
        ("requirements/dev.in", True),  # discovered by lockctl too
        ("base.in", True),  # an -r include of any name
        ("constraints.txt", True),  # a -c file
        ("locks/prod.txt", True),  # a [[tool.lockctl.lock]] output
        ("pyproject.toml", True),
        ("sub/pyproject.toml", True),
        ("Dockerfile", True),  # its FROM line may give the target
        ("docker/Dockerfile.prod", True),
        ("README.md", False),
        ("src/app/main.py", False),
        ("mypyproject.toml", False),
        ("setup.cfg", False),
    ],
)
def test_the_hook_runs_for_the_files_that_decide_a_lock(path: str, runs: bool) -> None:
    files = _hook()["files"]
    assert isinstance(files, str)
    assert bool(re.search(files, path)) is runs  # pre-commit matches with re.search


# -- through git commit -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class HookRepository:
    """This checkout committed in a throwaway repository, and pre-commit's home for the run."""

    path: Path
    rev: str
    pre_commit_home: Path


def _run(argv: list[str], cwd: Path, env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=dict(env), capture_output=True, text=True, check=False, timeout=600
    )


def _git_environment(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _LEAKY_VARIABLES}
    env |= {
        "PIP_CONFIG_FILE": os.devnull,  # pip and lockctl read no machine configuration
        "GIT_CONFIG_GLOBAL": os.devnull,  # nor git: no core.hooksPath, no signing
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "lockctl tests",
        "GIT_AUTHOR_EMAIL": "tests@lockctl.invalid",
        "GIT_COMMITTER_NAME": "lockctl tests",
        "GIT_COMMITTER_EMAIL": "tests@lockctl.invalid",
    }
    return env | overrides


def _git(*args: str, cwd: Path, env: Mapping[str, str]) -> str:
    done = _run(["git", *args], cwd, env)
    assert done.returncode == 0, f"git {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout.strip()


@pytest.fixture(scope="session")
def hook_repository(tmp_path_factory: pytest.TempPathFactory) -> HookRepository:
    env = _git_environment()
    listed = _run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], CHECKOUT, env
    )
    if listed.returncode != 0:
        pytest.skip(f"{CHECKOUT.name} is not a git checkout: the hook is installed from one")
    copy = tmp_path_factory.mktemp("lockctl-hook-repository")
    for name in listed.stdout.split("\0"):
        source = CHECKOUT / name
        if name and source.is_file():  # a tracked file deleted in the work tree is not
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy / name)
    _git("init", "-q", cwd=copy, env=env)
    _git("add", "-A", cwd=copy, env=env)
    _git("commit", "-q", "--no-verify", "-m", "this checkout, as it is", cwd=copy, env=env)
    return HookRepository(
        path=copy,
        rev=_git("rev-parse", "HEAD", cwd=copy, env=env),
        pre_commit_home=tmp_path_factory.mktemp("pre-commit-home"),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Project:
    root: Path
    env: dict[str, str]

    def commit(self, message: str) -> subprocess.CompletedProcess[str]:
        """``git commit -a``: the pre-commit hook runs and may refuse it."""
        return _run(["git", "commit", "-a", "-m", message], self.root, self.env)

    def commits(self) -> int:
        return int(_git("rev-list", "--count", "HEAD", cwd=self.root, env=self.env))


@pytest.fixture
def project(
    tmp_path: Path,
    index_server: IndexServer,
    hook_repository: HookRepository,
    monkeypatch: pytest.MonkeyPatch,
) -> Project:
    index_server.add(make_wheel("app", "1.0", requires_dist=["lib>=1"]))
    index_server.add(make_wheel("lib", "1.0"))
    index_server.add(make_wheel("lib", "1.1"))
    index_server.add(make_wheel("extra", "2.0"))
    root = tmp_path / "project"
    root.mkdir()
    (root / "requirements.in").write_text(f"-i {index_server.simple_url}\napp\n")
    (root / "pyproject.toml").write_text(
        '[tool.lockctl]\npython-version = "3.11"\nplatform = "linux_x86_64"\n'
    )
    (root / "README.md").write_text("A project.\n")
    (root / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        f"  - repo: {hook_repository.path.as_uri()}\n"
        f"    rev: {hook_repository.rev}\n"
        "    hooks:\n"
        f"      - id: {HOOK_ID}\n"
    )
    cache = tmp_path / "lockctl-cache"
    monkeypatch.chdir(root)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(cache))  # for compile here and check in the hook
    env = _git_environment(
        PRE_COMMIT_HOME=str(hook_repository.pre_commit_home), LOCKCTL_CACHE_DIR=str(cache)
    )
    assert main(["-q", "compile"]) == 0
    _git("init", "-q", cwd=root, env=env)
    installed = _run([sys.executable, "-m", "pre_commit", "install"], root, env)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    _git("add", "-A", cwd=root, env=env)
    return Project(root=root, env=env)


def _output(done: subprocess.CompletedProcess[str]) -> str:
    return done.stdout + done.stderr


@pytest.mark.live
@pytest.mark.slow
def test_the_hook_blocks_a_commit_whose_inputs_changed_until_the_lock_is_compiled(
    project: Project,
) -> None:
    first = project.commit("requirements.in and its lock")  # builds the hook's environment
    assert first.returncode == 0, _output(first)
    assert re.search(r"lockctl check\.+Passed", _output(first))

    (project.root / "README.md").write_text("A project with a README.\n")
    unrelated = project.commit("README")
    assert unrelated.returncode == 0, _output(unrelated)
    assert re.search(r"lockctl check\.+\(no files to check\)Skipped", _output(unrelated))

    requirements = project.root / "requirements.in"
    requirements.write_text(requirements.read_text() + "extra\n")
    blocked = project.commit("extra, without compiling")
    assert blocked.returncode != 0
    output = _output(blocked)
    assert re.search(r"lockctl check\.+Failed", output), output
    assert "requirements.txt: inputs changed since the lock was compiled" in output
    assert "requirements.in: + extra (line 3)" in output
    assert "run: lockctl compile" in output
    assert project.commits() == 2

    assert main(["-q", "compile"]) == 0
    passed = project.commit("extra, compiled")
    assert passed.returncode == 0, _output(passed)
    assert re.search(r"lockctl check\.+Passed", _output(passed))
    assert project.commits() == 3


@pytest.mark.live
@pytest.mark.slow
def test_the_hook_blocks_a_hand_edited_lock(project: Project) -> None:
    assert project.commit("requirements.in and its lock").returncode == 0
    lock = project.root / "requirements.txt"
    lock.write_text(lock.read_text().replace("lib==1.1", "lib==1.0"))

    blocked = project.commit("lib 1.0 by hand")
    assert blocked.returncode != 0
    output = _output(blocked)
    assert "requirements.txt: edited by hand since lockctl wrote it" in output, output
    assert "lib: 1.0 in the lock, lockctl wrote 1.1" in output
    assert project.commits() == 1
