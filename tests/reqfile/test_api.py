"""Behaviour that the data corpus cannot express: path spellings, defaults, reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.errors import IncludeError, RequirementsFileError
from lockctl.reqfile import (
    BlankEntry,
    IncludeEntry,
    RequirementEntry,
    RequirementsFile,
    RequirementsFileErrors,
    SourceLine,
    parse_file,
    parse_text,
)


def test_relative_paths_stay_relative(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "top.in").write_text("-r sub/mid.in\n", encoding="utf-8")
    (tmp_path / "sub" / "mid.in").write_text("-r leaf.in\n", encoding="utf-8")
    (tmp_path / "sub" / "leaf.in").write_text("rich==13.7.0\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    parsed = parse_file(Path("top.in"), environ={})

    include = parsed.entries[0]
    assert isinstance(include, IncludeEntry)
    assert include.path == Path("sub/mid.in")
    assert include.file.path == Path("sub/mid.in")
    [located] = parsed.iter_requirements()
    assert located.entry.source.path == Path("sub/leaf.in")
    assert [(line.path, line.line) for line in located.via] == [
        (Path("top.in"), 1),
        (Path("sub/mid.in"), 1),
    ]


def test_missing_top_level_file_has_no_span(tmp_path: Path) -> None:
    with pytest.raises(IncludeError) as info:
        parse_file(tmp_path / "absent.in", environ={})
    assert info.value.span is None
    assert info.value.path == tmp_path / "absent.in"
    assert "not found" in info.value.message


def test_environ_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LOCKCTL_TEST_PIN", "1.2")
    parsed = parse_text("foo==${LOCKCTL_TEST_PIN}\n", path=tmp_path / "r.in")
    [entry] = parsed.entries
    assert isinstance(entry, RequirementEntry)
    assert entry.requirement is not None
    assert str(entry.requirement.specifier) == "==1.2"
    assert parsed.render() == "foo==${LOCKCTL_TEST_PIN}\n"


def test_repr_never_shows_a_password(tmp_path: Path) -> None:
    parsed = parse_text(
        "--index-url https://alice:hunter2@pkgs.example/simple\n", path=tmp_path / "r.in"
    )
    assert "hunter2" not in repr(parsed)
    assert "alice:****@pkgs.example" in repr(parsed)


def test_hand_built_lines_render_with_a_newline() -> None:
    source = SourceLine(path=Path("x.in"), line=1, end_line=1, text="   ")
    built = RequirementsFile(path=Path("x.in"), text="   \n", entries=(BlankEntry(source=source),))
    assert built.render() == "   \n"


def test_diamond_include_parses_shared_file_once(tmp_path: Path) -> None:
    (tmp_path / "top.in").write_text("-r a.in\n-r b.in\n", encoding="utf-8")
    (tmp_path / "a.in").write_text("-r common.in\n", encoding="utf-8")
    (tmp_path / "b.in").write_text("-r common.in\n", encoding="utf-8")
    (tmp_path / "common.in").write_text("six\n", encoding="utf-8")
    parsed = parse_file(tmp_path / "top.in", environ={})
    files = []
    for entry in parsed.entries:
        assert isinstance(entry, IncludeEntry)
        inner = entry.file.entries[0]
        assert isinstance(inner, IncludeEntry)
        files.append(inner.file)
    assert files[0] is files[1]


def test_several_problems_keep_their_spans(tmp_path: Path) -> None:
    with pytest.raises(RequirementsFileErrors) as info:
        parse_text("foo==\nbar baz\n", path=tmp_path / "r.in", environ={})
    errors = info.value.errors
    assert [type(e) for e in errors] == [RequirementsFileError, RequirementsFileError]
    assert [(e.span.line, e.span.column) for e in errors if e.span] == [(1, 4), (2, 5)]
    assert info.value.exit_code == 2


def test_requirement_name_none_only_for_unnamed_editable(tmp_path: Path) -> None:
    parsed = parse_text("-e ./here\nFoo.Bar\n", path=tmp_path / "r.in", environ={})
    names = [e.name for e in parsed.entries if isinstance(e, RequirementEntry)]
    assert names == [None, "foo-bar"]
