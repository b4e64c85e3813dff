"""OSV advisories read from files: which pinned versions they affect, and files that are not
OSV (exit 2, naming the file and the first bad record)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.cli.main import main
from lockctl.errors import UsageError
from lockctl.ops.advisories import read_advisories
from tests.drift.conftest import osv, write_json
from tests.support.indexserver import IndexServer


def affected(record: dict[str, Any], tmp_path: Path, *versions: str) -> list[str]:
    database = read_advisories([write_json(tmp_path / "a.json", record)])
    (name,) = {entry["package"]["name"] for entry in record["affected"]}
    return [v for v in versions if database.affecting(canonicalize_name(name), Version(v))]


def test_introduced_and_fixed(tmp_path: Path) -> None:
    record = osv("A", "lib", introduced="1.0", fixed="1.4")
    assert affected(record, tmp_path, "0.9", "1.0", "1.3.9", "1.4", "2.0") == ["1.0", "1.3.9"]


def test_last_affected_and_several_ranges(tmp_path: Path) -> None:
    record = osv("A", "lib")
    record["affected"][0]["ranges"] = [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"last_affected": "1.2"}]},
        {"type": "ECOSYSTEM", "events": [{"fixed": "3.1"}, {"introduced": "3.0"}]},  # unsorted
        {"type": "GIT", "events": [{"introduced": "abc123"}], "repo": "https://example.test"},
    ]
    found = affected(record, tmp_path, "0.1", "1.2", "1.2.1", "2.9", "3.0", "3.0.5", "3.1")
    assert found == ["0.1", "1.2", "3.0", "3.0.5"]


def test_listed_versions_and_names_as_pypi_spells_them(tmp_path: Path) -> None:
    record = osv("A", "Zope.Interface", versions=("4.0", "4.1", "not a version!"))
    record["affected"][0]["ranges"] = []
    database = read_advisories([write_json(tmp_path / "a.json", record)])
    assert [
        a.id for a in database.affecting(canonicalize_name("zope-interface"), Version("4.1"))
    ] == ["A"]
    assert database.affecting(canonicalize_name("zope-interface"), Version("4.2")) == ()


def test_a_file_of_several_records_and_a_withdrawn_one(tmp_path: Path) -> None:
    withdrawn = {**osv("W", "lib", fixed="9"), "withdrawn": "2026-01-01T00:00:00Z"}
    other = osv("N", "lib", fixed="9", ecosystem="npm")
    path = write_json(tmp_path / "all.json", [osv("A", "lib", fixed="2"), withdrawn, other])
    database = read_advisories([path])
    assert [a.id for a in database.affecting(canonicalize_name("lib"), Version("1"))] == ["A"]
    assert database.count == 1
    (advisory,) = database.affecting(canonicalize_name("lib"), Version("1"))
    assert advisory.fixed_for(Version("1")) == (Version("2"),)
    assert advisory.to_dict() == {
        "id": "A",
        "aliases": [],
        "summary": "lib is vulnerable",
        "severity": None,
        "file": str(path),
    }


def test_severity_from_the_database_or_the_first_score(tmp_path: Path) -> None:
    scored = osv("A", "lib", fixed="2")
    scored["severity"] = [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H"}]
    database = read_advisories([write_json(tmp_path / "a.json", scored)])
    (advisory,) = database.affecting(canonicalize_name("lib"), Version("1"))
    assert advisory.severity == "CVSS_V3 CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([osv("A", "lib"), {"affected": []}], "record 2: no id"),
        ([osv("A", "lib"), "GHSA-x"], "record 2: an advisory is a JSON object, not a string"),
        (
            {"id": "B", "affected": [{"package": {"ecosystem": "PyPI"}}]},
            "record 1 (B): affected[0].package has no name",
        ),
        (
            {"id": "B", "affected": [{"package": {"name": "lib"}}]},
            "record 1 (B): affected[0].package has no ecosystem",
        ),
        (
            {"id": "B", "affected": "lib"},
            "record 1 (B): affected is not a list",
        ),
        (
            {
                "id": "C",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "lib"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixd": "1.0"}]}],
                    }
                ],
            },
            "record 1 (C): affected[0].ranges[0].events[0] is not one of "
            "{introduced, fixed, last_affected, limit: VERSION}",
        ),
        (
            {
                "id": "C",
                "affected": [
                    {
                        "package": {"ecosystem": "PyPI", "name": "lib"},
                        "ranges": [{"type": "ECOSYSTEM", "events": [{"fixed": "one"}]}],
                    }
                ],
            },
            "record 1 (C): affected[0].ranges[0]: fixed 'one' is not a PyPI version",
        ),
        ({"id": "D", "aliases": "CVE-1"}, "record 1 (D): aliases is not a list of strings"),
    ],
)
def test_a_file_that_is_not_osv_names_the_first_bad_record(
    tmp_path: Path, document: object, message: str
) -> None:
    path = write_json(tmp_path / "bad.json", document)
    with pytest.raises(UsageError) as raised:
        read_advisories([tmp_path])
    assert raised.value.message == f"the advisories file {path} is not OSV: {message}"
    assert "osv-schema" in raised.value.hint


def test_through_the_command_line_it_is_exit_2_before_the_index_is_asked(
    moved_on: Path, index_server: IndexServer, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = moved_on.parent / "osv"
    write_json(folder / "a-good.json", osv("GOOD", "vuln", fixed="1.1"))
    write_json(folder / "b-bad.json", [osv("GOOD-2", "lib"), {"id": "BAD", "affected": [1]}])
    asked = index_server.count()
    capsys.readouterr()
    assert main(["drift", "requirements.txt", "--advisories", str(folder)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: the advisories file {folder / 'b-bad.json'} is not OSV: record 2 (BAD): "
        "affected[0] is not an object\n"
        "  hint: an OSV advisory is a JSON object with an id and affected[].package "
        "{ecosystem, name}, ranges and versions (https://ossf.github.io/osv-schema/)\n"
    )
    (folder / "b-bad.json").write_text('{"id": "X",\n  "affected": [}\n')
    assert main(["drift", "requirements.txt", "--advisories", str(folder)]) == 2
    assert (
        f"error: the advisories file {folder / 'b-bad.json'} is not JSON: Expecting value at "
        "line 2, column 16\n"
    ) in capsys.readouterr().err
    assert main(["drift", "requirements.txt", "--advisories", "nowhere.json"]) == 2
    assert "error: --advisories nowhere.json: no such file or folder" in capsys.readouterr().err
    assert index_server.count() == asked


def test_a_lock_without_its_input_or_a_folder_without_locks_is_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["drift"]) == 2
    assert "nothing to check: no [[tool.lockctl.lock]]" in capsys.readouterr().err
    (tmp_path / "deps.txt").write_text("six==1.0\n")
    assert main(["drift", "deps.txt"]) == 2
    err = capsys.readouterr().err
    assert "error: cannot tell which input deps.txt was compiled from" in err
