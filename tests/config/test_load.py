"""Reading [tool.lockctl]: every key, every problem with its line, discovery, finding the file."""

from __future__ import annotations

import sys
from pathlib import Path
from textwrap import dedent

import pytest
from packaging.requirements import InvalidRequirement, Requirement

from lockctl.config import (
    LockEntry,
    OverrideEntry,
    default_config,
    find_pyproject,
    load_config,
)
from lockctl.errors import ConfigError, InputError
from lockctl.target import TargetEnvironment

EVERY_KEY = """\
[project]
name = "service"

[tool.lockctl]
python-version = "3.11"
platform = "linux_aarch64"
dockerfile = "docker/Dockerfile"
index-url = "https://index.example/simple"
extra-index-url = ["https://mirror.example/simple"]
find-links = ["wheels/"]
trusted-host = ["mirror.example"]
no-index = false
generate-hashes = true
overrides = [
    "pydantic<3",
    { requirement = "rich>=13.9.4", reason = "fastmcp 2.x needs it" },
]

[[tool.lockctl.lock]]
input = "requirements-mlflow.in"
output = "requirements-mlflow.txt"
overrides = ["pandas==2.1.1"]

[[tool.lockctl.lock]]
input = "requirements/base.in"
"""


def write_project(root: Path, text: str, *files: str) -> Path:
    for name in files:
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("", encoding="utf-8")
    path = root / "pyproject.toml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def packaging_says(text: str) -> str:
    """packaging's own words for a bad requirement: they change between its releases."""
    with pytest.raises(InvalidRequirement) as caught:
        Requirement(text)
    return str(caught.value).splitlines()[0]


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [f"{p.line}: {p.key}: {p.message}" for p in caught.value.problems]


def test_every_key(tmp_path: Path) -> None:
    files = ("docker/Dockerfile", "requirements-mlflow.in", "requirements/base.in")
    path = write_project(tmp_path, EVERY_KEY, *files)
    config = load_config(path)
    assert config.path == path
    assert config.root == tmp_path.resolve()
    assert config.python_version == "3.11"
    assert config.platform == "linux_aarch64"
    assert config.dockerfile == tmp_path / "docker" / "Dockerfile"
    assert config.index_url == "https://index.example/simple"
    assert config.extra_index_urls == ("https://mirror.example/simple",)
    assert config.find_links == ("wheels/",)
    assert config.trusted_hosts == ("mirror.example",)
    assert config.no_index is False
    assert config.generate_hashes is True
    assert config.discovered is False
    assert config.overrides == (
        OverrideEntry(requirement=Requirement("pydantic<3"), reason=None, line=15, file=path),
        OverrideEntry(
            requirement=Requirement("rich>=13.9.4"),
            reason="fastmcp 2.x needs it",
            line=16,
            file=path,
        ),
    )
    mlflow, base = config.locks
    assert mlflow == LockEntry(
        input=tmp_path / "requirements-mlflow.in",
        output=tmp_path / "requirements-mlflow.txt",
        overrides=(
            OverrideEntry(
                requirement=Requirement("pandas==2.1.1"), reason=None, line=22, file=path
            ),
        ),
        line=19,
    )
    # output defaults to the input with .txt, as pip-compile names it
    assert base == LockEntry(
        input=tmp_path / "requirements" / "base.in",
        output=tmp_path / "requirements" / "base.txt",
        line=24,
    )


def test_the_target_maps_onto_target_environment(tmp_path: Path) -> None:
    files = ("docker/Dockerfile", "requirements-mlflow.in", "requirements/base.in")
    config = load_config(write_project(tmp_path, EVERY_KEY, *files))
    target = TargetEnvironment.create(
        python_version=config.python_version, platform=config.platform
    )
    assert target.describe() == "Python 3.11 on linux_aarch64"


def test_lock_overrides_win_over_global_ones_on_the_same_project(tmp_path: Path) -> None:
    text = """\
        [tool.lockctl]
        overrides = ["rich>=13.9.4", "pydantic<3"]

        [[tool.lockctl.lock]]
        input = "requirements.in"
        overrides = ["rich==13.7.0"]
        """
    config = load_config(write_project(tmp_path, text, "requirements.in"))
    applied = config.overrides_for(config.locks[0])
    assert [str(entry.requirement) for entry in applied] == ["pydantic<3", "rich==13.7.0"]
    assert config.lock_for(tmp_path / "requirements.txt") is config.locks[0]


def test_without_the_section_the_config_is_empty_and_locks_are_discovered(
    tmp_path: Path,
) -> None:
    path = write_project(
        tmp_path,
        '[project]\nname = "x"\n',
        "requirements.in",
        "requirements-dev.in",
        "requirements/base.in",
        "requirements/ci.in",
        "requirements/notes.txt",
        "other.in",
        "sub/requirements.in",
    )
    (tmp_path / "requirements-dir.in").mkdir()  # a directory is not an input
    config = load_config(path)
    assert config.discovered is True
    assert config.python_version is None
    assert config.overrides == ()
    assert [(lock.input.relative_to(tmp_path).as_posix(), lock.line) for lock in config.locks] == [
        ("requirements-dev.in", None),
        ("requirements.in", None),
        ("requirements/base.in", None),
        ("requirements/ci.in", None),
    ]
    assert [lock.output.name for lock in config.locks] == [
        "requirements-dev.txt",
        "requirements.txt",
        "base.txt",
        "ci.txt",
    ]


def test_a_section_without_locks_discovers_them(tmp_path: Path) -> None:
    path = write_project(tmp_path, "[tool.lockctl]\ngenerate-hashes = true\n", "requirements.in")
    config = load_config(path)
    assert config.discovered is True
    assert [lock.input for lock in config.locks] == [tmp_path / "requirements.in"]


def test_an_empty_lock_list_means_no_locks(tmp_path: Path) -> None:
    path = write_project(tmp_path, "[tool.lockctl]\nlock = []\n", "requirements.in")
    config = load_config(path)
    assert (config.locks, config.discovered) == ((), False)


def test_default_config_discovers_without_a_pyproject(tmp_path: Path) -> None:
    (tmp_path / "requirements.in").write_text("", encoding="utf-8")
    config = default_config(tmp_path)
    assert config.path == tmp_path.resolve() / "pyproject.toml"
    assert [lock.output.name for lock in config.locks] == ["requirements.txt"]


def test_dotted_keys_and_inline_lock_tables_are_read_with_their_lines(tmp_path: Path) -> None:
    text = """\
        [tool]
        lockctl.python-version = "3.12"
        lockctl.lock = [
            { input = "requirements.in", output = "locked.txt" },
        ]
        """
    path = write_project(tmp_path, text, "requirements.in")
    config = load_config(path)
    assert config.python_version == "3.12"
    assert config.locks == (
        LockEntry(input=tmp_path / "requirements.in", output=tmp_path / "locked.txt", line=4),
    )


# --- problems: each names the key and its line ---------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            """\
            [tool.lockctl]
            generate-hashes = true
            pyton-version = "3.11"
            """,
            ["3: tool.lockctl.pyton-version: unknown key (did you mean 'python-version'?)"],
            id="unknown-top-level-key",
        ),
        pytest.param(
            """\
            [tool.lockctl]

            [[tool.lockctl.lock]]
            input = "requirements.in"
            colour = "blue"
            """,
            [
                "5: tool.lockctl.lock[0].colour: unknown key "
                "(expected one of: input, output, overrides, group)"
            ],
            id="unknown-key-in-lock-table",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            python-version = 3.10
            """,
            ['2: tool.lockctl.python-version: must be a string such as "3.11", not a float'],
            id="python-version-as-a-number",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            python-version = "2.7"
            """,
            ["2: tool.lockctl.python-version: '2.7' is not a Python 3 version (e.g. 3.11)"],
            id="python-version-not-3",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            overrides = "rich>=13.9.4"
            """,
            ["2: tool.lockctl.overrides: must be an array of requirements, not a string"],
            id="overrides-not-a-list",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            overrides = [
                "pydantic<3",
                { requirement = "rich>=13.9.4", reasons = "fastmcp" },
            ]
            """,
            ["4: tool.lockctl.overrides[1].reasons: unknown key (did you mean 'reason'?)"],
            id="override-entry-with-unknown-key",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            overrides = [{ reason = "no requirement" }, 3]
            """,
            [
                "2: tool.lockctl.overrides[0]: needs a 'requirement' key",
                "2: tool.lockctl.overrides[1]: must be a requirement string or an inline table, "
                "not an integer",
            ],
            id="override-entry-shapes",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            overrides = [
                "pydantic<3",
                "rich>=",
            ]
            """,
            [
                "4: tool.lockctl.overrides[1]: invalid requirement 'rich>=': "
                + packaging_says("rich>=")
            ],
            id="bad-requirement-string",
        ),
        pytest.param(
            """\
            [tool.lockctl]

            [[tool.lockctl.lock]]
            input = "requirements.in"
            overrides = [
              { requirement = "pandas==", reason = "numpy 1.x" },
            ]
            """,
            [
                "6: tool.lockctl.lock[0].overrides[0].requirement: invalid requirement "
                "'pandas==': " + packaging_says("pandas==")
            ],
            id="bad-requirement-in-lock-inline-table",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            overrides = ["rich>=13.9.4", "Rich<14"]
            """,
            ["2: tool.lockctl.overrides[1]: rich is overridden twice (first on line 2)"],
            id="same-project-twice",
        ),
        pytest.param(
            """\
            [[tool.lockctl.lock]]
            input = "requirements.in"
            output = "requirements.txt"

            [[tool.lockctl.lock]]
            input = "requirements-dev.in"
            output = "./requirements.txt"
            """,
            [
                "7: tool.lockctl.lock[1].output: requirements.txt is also the output of "
                "tool.lockctl.lock[0] (line 3)"
            ],
            id="duplicate-outputs",
        ),
        pytest.param(
            """\
            [[tool.lockctl.lock]]
            input = "requirements.in"

            [[tool.lockctl.lock]]
            input = "requirements-missing.in"
            """,
            ["5: tool.lockctl.lock[1].input: requirements-missing.in does not exist"],
            id="missing-input-file",
        ),
        pytest.param(
            """\
            [[tool.lockctl.lock]]
            output = "requirements.txt"

            [[tool.lockctl.lock]]
            input = "requirements.in"
            output = "requirements.in"
            """,
            [
                "1: tool.lockctl.lock[0]: needs an 'input' key (the .in file to lock)",
                "6: tool.lockctl.lock[1].output: is the input file itself",
            ],
            id="lock-without-input-and-lock-onto-itself",
        ),
        pytest.param(
            """\
            [[tool.lockctl.lock]]
            input = "requirements.in"

            [[tool.lockctl.lock]]
            input = "requirements-dev.in"
            output = "requirements.in"
            """,
            [
                "6: tool.lockctl.lock[1].output: requirements.in is the input of "
                "tool.lockctl.lock[0]: writing the lock would destroy it",
            ],
            id="lock-onto-another-locks-input",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            platform = "linux_sparc"
            """,
            [
                "2: tool.lockctl.platform: unknown platform 'linux_sparc' (one of: linux_aarch64,"
                " linux_aarch64_musl, linux_x86_64, linux_x86_64_musl, macos_arm64, macos_x86_64,"
                " windows_amd64, windows_arm64)"
            ],
            id="unknown-platform",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            dockerfile = "Dockerfile"
            """,
            ["2: tool.lockctl.dockerfile: Dockerfile does not exist"],
            id="missing-dockerfile",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            index-url = ["https://index.example/simple"]
            extra-index-url = "https://mirror.example/simple"
            trusted-host = ["mirror.example", 1]
            no-index = "yes"
            generate-hashes = 1
            """,
            [
                "2: tool.lockctl.index-url: must be a string, not an array",
                "3: tool.lockctl.extra-index-url: must be an array of strings, not a string",
                "4: tool.lockctl.trusted-host[1]: must be a string, not an integer",
                "5: tool.lockctl.no-index: must be true or false, not a string",
                "6: tool.lockctl.generate-hashes: must be true or false, not an integer",
            ],
            id="wrong-types-of-index-options",
        ),
        pytest.param(
            """\
            [tool]
            lockctl = "on"
            """,
            ["2: tool.lockctl: must be a table, not a string"],
            id="section-not-a-table",
        ),
        pytest.param(
            """\
            [tool.lockctl]
            lock = { input = "requirements.in" }
            """,
            [
                "2: tool.lockctl.lock: must be an array of tables ([[tool.lockctl.lock]]), "
                "not a table"
            ],
            id="lock-not-an-array",
        ),
    ],
)
def test_problems(tmp_path: Path, text: str, expected: list[str]) -> None:
    path = write_project(tmp_path, text, "requirements.in", "requirements-dev.in")
    assert problems_of(path) == expected


def test_every_problem_is_reported_at_once_in_file_order(tmp_path: Path) -> None:
    text = """\
        [project]
        name = "x"

        [[tool.lockctl.lock]]
        input = "requirements-gone.in"
        extra = 1

        [tool.lockctl]
        python-version = 3.11
        colour = "blue"
        """
    path = write_project(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    error = caught.value
    assert isinstance(error, InputError) and error.exit_code == 2
    assert [(p.line, p.key) for p in error.problems] == [
        (5, "tool.lockctl.lock[0].input"),
        (6, "tool.lockctl.lock[0].extra"),
        (9, "tool.lockctl.python-version"),
        (10, "tool.lockctl.colour"),
    ]
    assert all(p.file == path for p in error.problems)
    assert str(error).splitlines()[:2] == [
        "4 problems in the lockctl configuration:",
        f"  {path}:5: tool.lockctl.lock[0].input: requirements-gone.in does not exist",
    ]


def test_a_file_that_is_not_toml_is_one_problem_with_its_line(tmp_path: Path) -> None:
    path = write_project(tmp_path, '[project]\nname = "x"\n\n[tool.lockctl\n')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.line == 4
    assert problem.message.startswith("not TOML: ")


def test_a_key_given_twice_is_one_problem_not_a_crash(tmp_path: Path) -> None:
    path = write_project(
        tmp_path, '[tool.lockctl]\npython-version = "3.11"\npython-version = "3"\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    (problem,) = caught.value.problems
    assert problem.message == 'not TOML: Key "python-version" already exists'
    if sys.version_info >= (3, 11):  # the standard library's parser says where
        assert problem.line == 3


def test_a_byte_order_mark_is_read_past(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(b'\xef\xbb\xbf[tool.lockctl]\npython-version = "3.12"\n')
    assert load_config(path).python_version == "3.12"


def test_an_unreadable_file_is_one_problem(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "pyproject.toml")
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (None, "cannot read: No such file or directory")


# --- finding the file ------------------------------------------------------------------------


def test_find_pyproject_walks_up_to_the_nearest(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")
    deep = tmp_path / "src" / "pkg"
    deep.mkdir(parents=True)
    assert find_pyproject(deep) == tmp_path / "pyproject.toml"
    assert find_pyproject(deep / "module.py") == tmp_path / "pyproject.toml"
    (deep / "pyproject.toml").write_text("", encoding="utf-8")
    assert find_pyproject(deep) == deep / "pyproject.toml"


def test_find_pyproject_stops_at_the_repository_root(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("", encoding="utf-8")  # above the checkout
    checkout = tmp_path / "checkout"
    (checkout / "docs").mkdir(parents=True)
    (checkout / ".git").write_text("gitdir: elsewhere\n", encoding="utf-8")  # a worktree
    assert find_pyproject(checkout / "docs") is None
