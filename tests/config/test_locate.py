"""The line of every key: the scanner follows TOML's strings, arrays, tables and comments."""

from __future__ import annotations

import tomlkit

from lockctl.config.locate import KeyPath, locate

TRICKY = '''\
# [tool.lockctl] in a comment is not a header
title = """
[tool.lockctl]
overrides = ["not a key"]
"""
literal = \'\'\'a ] } # \'\'\'\'
"quoted.key" = "value # not a comment"
when = 1979-05-27 07:32:00Z

[tool.lockctl]  # the real one
python-version = "3.11"
overrides = [  # global
    "pydantic<3",

    { requirement = "rich>=13.9.4", reason = "a ] in text" },
    [ "nested", "array" ],
]
tool.ignored = 1

[[tool.lockctl.lock]]
input = "a.in"

[tool.lockctl.lock.extra]
key = true

[[tool.lockctl.lock]]
input = "b.in"
"with \\" quote" = 2
'''


def lockctl(*parts: str | int) -> KeyPath:
    return ("tool", "lockctl", *parts)


def test_lines_of_keys_elements_and_headers() -> None:
    tomlkit.parse(TRICKY)  # the scanner is only ever given text tomlkit accepted
    lines = locate(TRICKY)
    section = ("tool", "lockctl")
    assert lines.keys[("title",)] == 2
    assert lines.keys[("literal",)] == 6
    assert lines.keys[("quoted.key",)] == 7
    assert lines.keys[("when",)] == 8
    assert lines.keys[section] == 10
    assert lines.keys[lockctl("python-version")] == 11
    assert lines.keys[lockctl("overrides")] == 12
    assert lines.keys[lockctl("overrides", 0)] == 13
    assert lines.keys[lockctl("overrides", 1)] == 15
    assert lines.keys[lockctl("overrides", 1, "reason")] == 15
    assert lines.keys[lockctl("overrides", 2, 1)] == 16
    assert lines.keys[lockctl("tool", "ignored")] == 18
    assert lines.keys[lockctl("lock", 0)] == 20
    assert lines.keys[lockctl("lock", 0, "extra", "key")] == 24
    assert lines.keys[lockctl("lock", 1)] == 26
    assert lines.keys[lockctl("lock", 1, "input")] == 27
    assert lines.keys[lockctl("lock", 1, 'with " quote')] == 28
    assert lockctl("not a key") not in lines.keys
    assert [line for line, _ in lines.headers] == [10, 20, 23, 26]
    assert lines.header_line(section) == 10
    assert lines.next_header_after(10) == 20


def test_a_missing_path_falls_back_to_its_nearest_ancestor() -> None:
    lines = locate('[tool.lockctl]\noverrides = ["a"]\n')
    assert lines.line_of(("tool", "lockctl", "overrides", 0, "requirement")) == 2
    assert lines.line_of(("project",)) is None


def test_crlf_and_dotted_table_keys() -> None:
    text = '[ tool . "lockctl" ]\r\nplatform = "linux_x86_64"\r\n'
    lines = locate(text)
    assert lines.keys[("tool", "lockctl", "platform")] == 2
