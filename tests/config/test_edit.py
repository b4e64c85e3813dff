"""override add / remove / list: the exact text written, and add + remove gives the file back."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement

from lockctl.config import (
    OverrideEntry,
    add_override,
    list_overrides,
    load_config,
    remove_override,
)
from lockctl.errors import ConfigError, UsageError

WITH_COMMENTS = """\
# The service's project file.
[project]
name = "service"  # the distribution name
version = "1.0"

[tool.lockctl]
# Compile for the production image.
python-version = "3.11"  # keep in step with the Dockerfile
overrides = [
    # fastapi still caps it
    "pydantic<3",
]

[tool.ruff]
line-length = 100
"""

EMPTY_SECTION_WITH_A_COMMENT = """\
[project]
name = "service"

[tool.lockctl]
# overrides go here

[tool.ruff]
line-length = 100
"""

NO_SECTION = """\
[project]
name = "service"
"""

NO_SECTION_OTHER_TOOLS = """\
[project]
name = "service"

[tool.black]
line-length = 100

[build-system]
requires = ["setuptools>=68"]
"""

INLINE_ENTRIES = """\
[tool.lockctl]
overrides = [
    { requirement = "pandas==2.1.1", reason = "numpy 1.x in the image" },
    "pydantic<3",
]
"""

ONE_LINE_ARRAY = """\
[tool.lockctl]
overrides = ["pydantic<3"]  # fastapi
generate-hashes = true
"""

LOCK_TABLES = """\
[project]
name = "service"

[[tool.lockctl.lock]]
input = "requirements.in"
output = "requirements.txt"

[[tool.lockctl.lock]]
input = "requirements-mlflow.in"
output = "requirements-mlflow.txt"
overrides = ["pandas==2.1.1"]  # mlflow's pin
"""

INLINE_LOCKS = """\
[tool.lockctl]
lock = [
    { input = "requirements.in" },  # the default output
]
"""

TOOL_TABLES_APART = """\
[tool.black]
line-length = 100

[project]
name = "service"

[tool.ruff]
line-length = 100
"""

CRLF = NO_SECTION.replace("\n", "\r\n")


def project(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_bytes(text.encode())
    return path


def text_of(path: Path) -> str:
    return path.read_bytes().decode()


# --- add: the exact text it writes -------------------------------------------------------------


def test_add_appends_to_a_commented_multiline_array(tmp_path: Path) -> None:
    path = project(tmp_path, WITH_COMMENTS)
    message = add_override(path, "rich>=13.9.4", reason="fastmcp 2.x needs it")
    assert message == "added override rich>=13.9.4 in [tool.lockctl]"
    assert text_of(path) == WITH_COMMENTS.replace(
        '    "pydantic<3",\n',
        '    "pydantic<3",\n'
        '    { requirement = "rich>=13.9.4", reason = "fastmcp 2.x needs it" },\n',
    )


def test_add_creates_the_section_at_the_end(tmp_path: Path) -> None:
    path = project(tmp_path, NO_SECTION)
    add_override(path, "rich>=13.9.4")
    assert text_of(path) == NO_SECTION + '\n[tool.lockctl]\noverrides = ["rich>=13.9.4"]\n'


def test_add_creates_the_section_after_the_other_tools(tmp_path: Path) -> None:
    path = project(tmp_path, NO_SECTION_OTHER_TOOLS)
    add_override(path, "rich>=13.9.4")
    assert text_of(path) == NO_SECTION_OTHER_TOOLS.replace(
        "\n[build-system]", '\n[tool.lockctl]\noverrides = ["rich>=13.9.4"]\n\n[build-system]'
    )


def test_add_to_tool_tables_that_stand_apart(tmp_path: Path) -> None:
    path = project(tmp_path, TOOL_TABLES_APART)
    add_override(path, "rich>=13.9.4")
    assert text_of(path) == TOOL_TABLES_APART.replace(
        "\n[project]", '\n[tool.lockctl]\noverrides = ["rich>=13.9.4"]\n\n[project]'
    )


def test_add_creates_the_array_in_an_empty_section(tmp_path: Path) -> None:
    path = project(tmp_path, EMPTY_SECTION_WITH_A_COMMENT)
    add_override(path, "rich>=13.9.4")
    assert text_of(path) == EMPTY_SECTION_WITH_A_COMMENT.replace(
        "# overrides go here\n", '# overrides go here\noverrides = ["rich>=13.9.4"]\n'
    )


def test_add_gives_a_section_header_to_lock_tables_without_one(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)
    add_override(path, "rich>=13.9.4")
    assert text_of(path) == LOCK_TABLES.replace(
        '[[tool.lockctl.lock]]\ninput = "requirements.in"',
        '[tool.lockctl]\noverrides = ["rich>=13.9.4"]\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements.in"',
    )


def test_add_to_one_lock(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)
    message = add_override(path, "rich>=13.9.4", lock="requirements.txt")
    assert message == "added override rich>=13.9.4 in the lock writing requirements.txt"
    assert text_of(path) == LOCK_TABLES.replace(
        'output = "requirements.txt"\n',
        'output = "requirements.txt"\noverrides = ["rich>=13.9.4"]\n',
    )
    # the lock is found however its output is spelled
    add_override(path, "mlflow<3", lock="./requirements-mlflow.txt")
    assert 'overrides = ["pandas==2.1.1", "mlflow<3"]  # mlflow\'s pin\n' in text_of(path)


def test_add_to_an_inline_lock_found_by_its_default_output(tmp_path: Path) -> None:
    path = project(tmp_path, INLINE_LOCKS)
    add_override(path, "rich>=13.9.4", lock="requirements.txt")
    assert text_of(path) == INLINE_LOCKS.replace(
        '{ input = "requirements.in" }',
        '{ input = "requirements.in", overrides = ["rich>=13.9.4"] }',
    )
    add_override(path, "pydantic<3", lock="requirements.txt")
    assert text_of(path) == INLINE_LOCKS.replace(
        '{ input = "requirements.in" }',
        '{ input = "requirements.in", overrides = ["rich>=13.9.4", "pydantic<3"] }',
    )
    remove_override(path, "pydantic", lock="requirements.txt")
    remove_override(path, "rich", lock="requirements.txt")
    assert text_of(path) == INLINE_LOCKS


def test_add_replaces_the_override_on_the_same_project_in_place(tmp_path: Path) -> None:
    path = project(tmp_path, INLINE_ENTRIES)
    message = add_override(path, "Pandas>=2.2", reason="numpy 2 now")
    assert message == "replaced override pandas==2.1.1 with Pandas>=2.2 in [tool.lockctl]"
    assert text_of(path) == INLINE_ENTRIES.replace(
        '{ requirement = "pandas==2.1.1", reason = "numpy 1.x in the image" }',
        '{ requirement = "Pandas>=2.2", reason = "numpy 2 now" }',
    )
    message = add_override(path, "pydantic_core<3")  # another project: no replacement
    assert message == "added override pydantic_core<3 in [tool.lockctl]"


def test_add_keeps_crlf_line_ends(tmp_path: Path) -> None:
    path = project(tmp_path, CRLF)
    add_override(path, "rich>=13.9.4")
    assert (
        path.read_bytes()
        == (CRLF + '\r\n[tool.lockctl]\r\noverrides = ["rich>=13.9.4"]\r\n').encode()
    )


def test_the_edited_file_loads(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)
    for name in ("requirements.in", "requirements-mlflow.in"):
        (tmp_path / name).write_text("", encoding="utf-8")
    add_override(path, "rich>=13.9.4", reason="fastmcp 2.x needs it")
    add_override(path, "numpy<2", lock="requirements-mlflow.txt")
    config = load_config(path)
    assert [(str(e.requirement), e.reason, e.line) for e in config.overrides] == [
        ("rich>=13.9.4", "fastmcp 2.x needs it", 5)
    ]
    assert [str(e.requirement) for e in config.locks[1].overrides] == ["pandas==2.1.1", "numpy<2"]


def test_the_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = project(tmp_path, NO_SECTION)
    inode = path.stat().st_ino
    add_override(path, "rich>=13.9.4")
    assert path.stat().st_ino != inode  # a new file renamed over the old one
    assert [p.name for p in tmp_path.iterdir()] == ["pyproject.toml"]


# --- round trips -------------------------------------------------------------------------------

ROUND_TRIPS = {
    "comments": WITH_COMMENTS,
    "empty-section-with-a-comment": EMPTY_SECTION_WITH_A_COMMENT,
    "no-section": NO_SECTION,
    "no-section-other-tools": NO_SECTION_OTHER_TOOLS,
    "inline-entries": INLINE_ENTRIES,
    "one-line-array": ONE_LINE_ARRAY,
    "lock-tables": LOCK_TABLES,
    "tool-tables-apart": TOOL_TABLES_APART,
    "crlf": CRLF,
}


@pytest.mark.parametrize("text", ROUND_TRIPS.values(), ids=ROUND_TRIPS.keys())
@pytest.mark.parametrize("reason", [None, "fastmcp 2.x needs it"])
def test_add_then_remove_gives_the_file_back(tmp_path: Path, text: str, reason: str | None) -> None:
    path = project(tmp_path, text)
    add_override(path, "rich>=13.9.4", reason=reason)
    assert path.read_bytes() != text.encode()
    assert remove_override(path, "Rich") == "removed override rich>=13.9.4 in [tool.lockctl]"
    assert path.read_bytes() == text.encode()


@pytest.mark.parametrize("lock", ["requirements.txt", "requirements-mlflow.txt"])
def test_add_then_remove_on_a_lock_gives_the_file_back(tmp_path: Path, lock: str) -> None:
    path = project(tmp_path, LOCK_TABLES)
    add_override(path, "rich>=13.9.4", lock=lock, reason="fastmcp 2.x needs it")
    remove_override(path, "rich", lock=lock)
    assert text_of(path) == LOCK_TABLES


def test_a_bare_empty_section_goes_when_its_last_override_goes(tmp_path: Path) -> None:
    # Indistinguishable from a section that add created, so it is removed the same way;
    # an empty table and no table configure the same thing.
    text = '[project]\nname = "service"\n\n[tool.lockctl]\n\n[tool.ruff]\nline-length = 100\n'
    path = project(tmp_path, text)
    add_override(path, "rich>=13.9.4")
    remove_override(path, "rich")
    assert text_of(path) == text.replace("[tool.lockctl]\n\n", "")


# --- remove -------------------------------------------------------------------------------------


def test_remove_an_inline_entry_keeps_the_rest(tmp_path: Path) -> None:
    path = project(tmp_path, INLINE_ENTRIES)
    assert remove_override(path, "PANDAS") == "removed override pandas==2.1.1 in [tool.lockctl]"
    assert text_of(path) == '[tool.lockctl]\noverrides = [\n    "pydantic<3",\n]\n'


def test_remove_keeps_an_emptied_array_that_holds_a_comment(tmp_path: Path) -> None:
    path = project(tmp_path, WITH_COMMENTS)
    remove_override(path, "pydantic")
    assert text_of(path) == WITH_COMMENTS.replace('    "pydantic<3",\n', "")


def test_remove_from_a_lock_keeps_the_comment_of_an_emptied_array(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)
    message = remove_override(path, "pandas", lock="requirements-mlflow.txt")
    assert message == "removed override pandas==2.1.1 in the lock writing requirements-mlflow.txt"
    assert text_of(path) == LOCK_TABLES.replace('["pandas==2.1.1"]', "[]")


def test_remove_deletes_an_emptied_array(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES.replace("  # mlflow's pin", ""))
    remove_override(path, "pandas", lock="requirements-mlflow.txt")
    assert text_of(path) == LOCK_TABLES.replace(
        'overrides = ["pandas==2.1.1"]  # mlflow\'s pin\n', ""
    )


@pytest.mark.parametrize(
    ("text", "name", "lock", "message", "hint"),
    [
        pytest.param(
            INLINE_ENTRIES,
            "rich",
            None,
            "there is no override for rich in [tool.lockctl]",
            "the overrides there: pandas==2.1.1, pydantic<3",
            id="not-there",
        ),
        pytest.param(
            NO_SECTION,
            "rich",
            None,
            "there is no override for rich in [tool.lockctl]",
            "there are none",
            id="no-section",
        ),
        pytest.param(
            LOCK_TABLES,
            "pandas",
            "requirements.txt",
            "there is no override for pandas in the lock writing requirements.txt",
            "there are none",
            id="not-in-that-lock",
        ),
        pytest.param(
            LOCK_TABLES,
            "pandas",
            "requirements-dev.txt",
            "no [[tool.lockctl.lock]] table writes requirements-dev.txt",
            "the locks write: requirements.txt, requirements-mlflow.txt",
            id="no-such-lock",
        ),
        pytest.param(
            NO_SECTION,
            "pandas",
            "requirements.txt",
            "no [[tool.lockctl.lock]] table writes requirements.txt",
            "list the lock in pyproject.toml to give it overrides of its own",
            id="no-locks-listed",
        ),
        pytest.param(
            NO_SECTION,
            "pandas>=",
            None,
            "invalid requirement 'pandas>='",
            "",
            id="not-a-name",
        ),
    ],
)
def test_remove_errors(
    tmp_path: Path, text: str, name: str, lock: str | None, message: str, hint: str
) -> None:
    path = project(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        remove_override(path, name, lock=lock)
    assert caught.value.message.startswith(message)
    assert caught.value.hint == hint
    assert text_of(path) == text  # nothing written


def test_add_errors_leave_the_file_alone(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)
    with pytest.raises(UsageError, match="invalid requirement 'rich>>1'"):
        add_override(path, "rich>>1")
    with pytest.raises(UsageError, match=r"no .* table writes requirements-dev\.txt"):
        add_override(path, "rich>=13.9.4", lock="requirements-dev.txt")
    with pytest.raises(UsageError, match="the reason is empty"):
        add_override(path, "rich>=13.9.4", reason="  ")
    assert text_of(path) == LOCK_TABLES


def test_an_overrides_value_that_is_not_an_array_is_a_config_error(tmp_path: Path) -> None:
    path = project(tmp_path, '[tool.lockctl]\ngenerate-hashes = true\noverrides = "rich"\n')
    with pytest.raises(ConfigError) as caught:
        add_override(path, "rich>=13.9.4")
    (problem,) = caught.value.problems
    assert (problem.line, problem.key, problem.message) == (
        3,
        "tool.lockctl.overrides",
        "must be an array of requirements",
    )


# --- list ---------------------------------------------------------------------------------------


def test_list_global_then_each_lock(tmp_path: Path) -> None:
    text = LOCK_TABLES.replace(
        '[[tool.lockctl.lock]]\ninput = "requirements.in"',
        "[tool.lockctl]\noverrides = [\n"
        '    { requirement = "rich>=13.9.4", reason = "fastmcp" },\n]\n\n'
        '[[tool.lockctl.lock]]\ninput = "requirements.in"',
        1,
    )
    path = project(tmp_path, text)
    assert list_overrides(path) == [
        (
            None,
            OverrideEntry(
                requirement=Requirement("rich>=13.9.4"), reason="fastmcp", line=6, file=path
            ),
        ),
        (
            "requirements-mlflow.txt",
            OverrideEntry(
                requirement=Requirement("pandas==2.1.1"), reason=None, line=16, file=path
            ),
        ),
    ]


def test_list_needs_no_input_files_but_valid_overrides(tmp_path: Path) -> None:
    path = project(tmp_path, LOCK_TABLES)  # neither .in file exists
    assert [lock for lock, _ in list_overrides(path)] == ["requirements-mlflow.txt"]
    project(tmp_path, '[tool.lockctl]\noverrides = ["rich>="]\n')
    with pytest.raises(ConfigError):
        list_overrides(path)


def test_add_then_remove_keeps_a_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "pyproject.toml"
    original = b'\xef\xbb\xbf[project]\r\nname = "x"\r\n'
    path.write_bytes(original)
    add_override(path, "rich>=13.9.4")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf[project]\r\n")
    assert [str(e.requirement) for _, e in list_overrides(path)] == ["rich>=13.9.4"]
    remove_override(path, "rich")
    assert path.read_bytes() == original
