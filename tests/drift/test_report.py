"""lockctl drift on a lock the index moved away from: exactly the findings, in every format.

The lock is compiled, then the index changes (``conftest.move_on``); the report must name
each change once, with its facts: nothing more.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from lockctl.ops.commands import DRIFT_KINDS
from tests.drift.conftest import osv, write_json


def drift(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["drift", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out, err


@pytest.fixture
def advisories(tmp_path: Path) -> Path:
    """An OSV folder: one advisory names the pinned vuln 1.0; the others do not apply."""
    folder = tmp_path / "osv"
    write_json(
        folder / "GHSA-vuln.json",
        osv(
            "GHSA-1111-2222-3333", "vuln", fixed="1.1", aliases=("CVE-2026-1111",), severity="HIGH"
        ),
    )
    write_json(folder / "old-lib.json", osv("PYSEC-2020-1", "lib", introduced="0", fixed="0.5"))
    write_json(folder / "npm" / "lib.json", osv("GHSA-npm", "lib", fixed="9", ecosystem="npm"))
    return folder


def findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    (lock,) = report["locks"]
    found: list[dict[str, Any]] = lock["findings"]
    return found


def test_the_json_report_lists_exactly_what_changed(
    moved_on: Path, advisories: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift(
        capsys, "requirements.txt", "--advisories", str(advisories), "--format", "json"
    )
    assert code == 1
    report = json.loads(out)
    lines = {
        name: number
        for number, line in enumerate(moved_on.read_text().splitlines(), start=1)
        for name in ("app", "dropped", "lib", "old", "tool", "vuln")
        if line.startswith(f"{name}==")
    }

    def pin(name: str) -> dict[str, Any]:
        return {"name": name, "version": "1.0", "line": lines[name]}

    assert findings(report) == [
        {
            "kind": "vulnerable",
            **pin("vuln"),
            "blocked_by": [],
            "advisory": {
                "id": "GHSA-1111-2222-3333",
                "aliases": ["CVE-2026-1111"],
                "summary": "vuln is vulnerable",
                "severity": "HIGH",
                "file": str(advisories / "GHSA-vuln.json"),
            },
            "fixed": ["1.1"],
            "fixed_allowed": "1.1",
        },
        {"kind": "yanked", **pin("old"), "reason": "broken build, use 0.9"},
        {"kind": "gone", **pin("dropped"), "reason": "version-not-listed"},
        {
            "kind": "blocked",
            **pin("lib"),
            "latest": "2.0",
            "blocked_by": [
                {
                    "requirement": "lib<2",
                    "kind": "parent",
                    "file": None,
                    "line": None,
                    "required_by": "app==1.0",
                }
            ],
        },
        {
            "kind": "blocked",
            **pin("tool"),
            "latest": "2.0",
            "blocked_by": [
                {
                    "requirement": "tool<2",
                    "kind": "requirement",
                    "file": "requirements.in",
                    "line": 3,
                    "required_by": None,
                }
            ],
        },
        {"kind": "outdated", **pin("dropped"), "latest": "1.1"},
        {"kind": "outdated", **pin("lib"), "latest": "1.5"},
        {"kind": "outdated", **pin("vuln"), "latest": "1.1"},
    ]
    (lock,) = report["locks"]
    assert lock["recompile"] == {
        "status": "resolves",
        "moves": [
            {"name": "dropped", "from": "1.0", "to": "1.1"},
            {"name": "lib", "from": "1.0", "to": "1.5"},
            {"name": "old", "from": "1.0", "to": "0.9"},
            {"name": "vuln", "from": "1.0", "to": "1.1"},
        ],
        "written": False,
        "error": None,
    }
    assert {k: v for k, v in report.items() if k != "locks"} == {
        "version": 1,
        "drift": True,
        "fail_on": list(DRIFT_KINDS),
        "counts": {
            "unresolvable": 0,
            "vulnerable": 1,
            "yanked": 1,
            "gone": 1,
            "blocked": 2,
            "outdated": 3,
            "unknown": 0,
        },
        "exclude_newer": None,
        "advisories": {
            "files": [
                str(advisories / "GHSA-vuln.json"),
                str(advisories / "npm" / "lib.json"),
                str(advisories / "old-lib.json"),
            ],
            "count": 2,
        },
        "updated": False,
    }
    assert (lock["lock"], lock["target"], lock["pins"], lock["unknown"]) == (
        "requirements.txt",
        {"python_version": "3.11", "platform": "linux_x86_64"},
        6,
        [],
    )


MARKDOWN = """\
## Dependency drift

**8 findings in 1 lock: 1 vulnerable, 1 yanked, 1 gone, 2 blocked, 3 outdated** (2 advisories read)

### Vulnerable (1)

| lock | package | pinned | advisory | aliases | severity | fixed in | the inputs allow |
|---|---|---|---|---|---|---|---|
| `requirements.txt` | `vuln` | 1.0 | GHSA-1111-2222-3333 | CVE-2026-1111 | HIGH | 1.1 | 1.1 |

### Yanked (1)

| lock | package | pinned | reason |
|---|---|---|---|
| `requirements.txt` | `old` | 1.0 | broken build, use 0.9 |

### Gone from the index (1)

| lock | package | pinned | why |
|---|---|---|---|
| `requirements.txt` | `dropped` | 1.0 | the index no longer lists 1.0 |

### Blocked (2)

| lock | package | pinned | newest | blocked by |
|---|---|---|---|---|
| `requirements.txt` | `lib` | 1.0 | 2.0 | lib<2 required by app==1.0 |
| `requirements.txt` | `tool` | 1.0 | 2.0 | tool<2 (requirements.in line 3) |

### Outdated (3)

| lock | package | pinned | newest allowed |
|---|---|---|---|
| `requirements.txt` | `dropped` | 1.0 | 1.1 |
| `requirements.txt` | `lib` | 1.0 | 1.5 |
| `requirements.txt` | `vuln` | 1.0 | 1.1 |

### What a fresh `lockctl compile --upgrade` would change

| lock | package | from | to |
|---|---|---|---|
| `requirements.txt` | `dropped` | 1.0 | 1.1 |
| `requirements.txt` | `lib` | 1.0 | 1.5 |
| `requirements.txt` | `old` | 1.0 | 0.9 |
| `requirements.txt` | `vuln` | 1.0 | 1.1 |
"""


def test_the_markdown_report_is_grouped_by_severity(
    moved_on: Path, advisories: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift(
        capsys, "requirements.txt", "--advisories", str(advisories), "--format", "markdown"
    )
    assert (code, out) == (1, MARKDOWN)


def test_the_table_names_each_pin_once_per_finding(
    moved_on: Path, advisories: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift(capsys, "requirements.txt", "--advisories", str(advisories))
    assert code == 1
    assert out.splitlines() == [
        "requirements.txt (Python 3.11 on linux_x86_64, 6 pins)",
        "  package  pinned  finding     details",
        "  vuln     1.0     vulnerable  GHSA-1111-2222-3333 (CVE-2026-1111) [HIGH]: fixed in 1.1;"
        " the inputs allow 1.1",
        "  old      1.0     yanked      yanked: broken build, use 0.9",
        "  dropped  1.0     gone        the index no longer lists 1.0",
        "  lib      1.0     blocked     2.0, blocked by lib<2 required by app==1.0",
        "  tool     1.0     blocked     2.0, blocked by tool<2 (requirements.in line 3)",
        "  dropped  1.0     outdated    1.1 allowed",
        "  lib      1.0     outdated    1.5 allowed",
        "  vuln     1.0     outdated    1.1 allowed",
        "  compile --upgrade: resolves; would move dropped 1.0 -> 1.1, lib 1.0 -> 1.5,"
        " old 1.0 -> 0.9, vuln 1.0 -> 1.1",
        "8 findings in 1 lock: 1 vulnerable, 1 yanked, 1 gone, 2 blocked, 3 outdated",
    ]


@pytest.mark.parametrize(
    ("fail_on", "expected"),
    [
        ("unresolvable", 0),
        ("vulnerable", 1),
        ("yanked", 1),
        ("gone", 1),
        ("blocked", 1),
        ("outdated", 1),
        ("unresolvable,gone", 1),
    ],
)
def test_fail_on_chooses_the_findings_that_count(
    moved_on: Path,
    advisories: Path,
    capsys: pytest.CaptureFixture[str],
    fail_on: str,
    expected: int,
) -> None:
    code, out, _ = drift(
        capsys,
        "requirements.txt",
        "--advisories",
        str(advisories),
        "--fail-on",
        fail_on,
        "--format",
        "json",
    )
    report = json.loads(out)
    assert (code, report["drift"], report["fail_on"]) == (
        expected,
        bool(expected),
        fail_on.split(","),
    )
    assert sum(report["counts"][kind] for kind in DRIFT_KINDS) == 8  # still all reported


def test_without_advisories_a_vulnerable_pin_is_only_outdated(
    moved_on: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift(capsys, "requirements.txt", "--fail-on", "vulnerable", "--format", "json")
    assert code == 0
    assert [f["kind"] for f in findings(json.loads(out))].count("vulnerable") == 0


def test_a_lock_the_index_did_not_move_from_is_exit_0(
    stale_lock: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = drift(capsys, "requirements.txt")
    assert (code, out) == (
        0,
        "requirements.txt (Python 3.11 on linux_x86_64, 6 pins)\n"
        "  every pin is current\n"
        "  compile --upgrade: resolves, no pin moves\n"
        "no drift in 1 lock (6 pins)\n",
    )
    code, out, _ = drift(capsys, "requirements.txt", "--format", "markdown")
    assert (code, out) == (0, "## Dependency drift\n\n**no drift in 1 lock (6 pins)**\n")


def test_output_writes_the_report_to_a_file_instead(
    moved_on: Path, advisories: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = drift(
        capsys,
        "requirements.txt",
        "--advisories",
        str(advisories),
        "--format",
        "markdown",
        "--output",
        "drift.md",
    )
    assert (code, out) == (1, "")
    assert (moved_on.parent / "drift.md").read_text() == MARKDOWN
    assert "wrote the drift report to drift.md" in err


def test_an_output_that_cannot_be_written_is_refused_before_any_work(
    moved_on: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = drift(capsys, "requirements.txt", "--output", "missing/drift.md")
    assert (code, out) == (2, "")
    assert "missing/drift.md is in a directory that does not exist" in err
