"""A lock beside a probe's answer: pip check read against the lock's overrides, drift with the
base image excused, markers evaluated with the sandbox's values, failed imports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

from lockctl.cli.verify_cmd import render_report
from lockctl.lockfiles import parse_lockfile
from lockctl.verify.compare import compare, root_distributions
from lockctl.verify.report import VerifyReport
from lockctl.verify.sandbox import ProbeResult

LOCK = """\
fastmcp==2.12.4
    # via mlflow
mlflow==3.4.0
    # via -r requirements.in
pywin32==306 ; sys_platform == "win32"
    # via mlflow
rich==13.7.0
    # via
    #   -r requirements-core.in
    #   fastmcp
    # override: `rich==13.7.0` from pyproject.toml replaces `rich>=13.9.4` asked by fastmcp
"""


def _probe(**answer: Any) -> ProbeResult:
    installed = answer.pop("installed", {})
    document = {
        "python": "3.11.2",
        "pip_check": {"status": 1 if answer.get("lines") else 0, "lines": answer.pop("lines", [])},
        "inspect": {
            "ok": True,
            "environment": {"sys_platform": "linux", "python_version": "3.11"},
            "installed": [
                {"name": n, "version": v, "requested": False} for n, v in installed.items()
            ],
        },
        "imports": answer.pop("imports", []),
    }
    return ProbeResult.from_json("some noise\n" + json.dumps(document) + "\n")


def _lock() -> Any:
    return parse_lockfile(LOCK, path=Path("requirements.txt"))


INSTALLED = {"fastmcp": "2.12.4", "mlflow": "3.4.0", "rich": "13.7.0", "pip": "23.0.1"}


def test_a_conflict_on_an_overridden_project_is_as_the_lock_says() -> None:
    line = "fastmcp 2.12.4 has requirement rich>=13.9.4, but you have rich 13.7.0."
    result = compare(_lock(), _probe(lines=[line], installed=INSTALLED), base=None, extras=False)
    (finding,) = result.findings
    assert finding.kind == "overridden" and not finding.fails
    assert finding.override == "rich==13.7.0"
    assert result.pins == 3  # pywin32's marker does not hold on linux


def test_a_conflict_on_a_project_that_is_not_overridden_fails() -> None:
    lock = parse_lockfile("app==1.0\nhelper==1.0\n", path=Path("r.txt"))
    line = "app 1.0 has requirement helper>=2, but you have helper 1.0."
    probe = _probe(lines=[line], installed={"app": "1.0", "helper": "1.0"})
    (finding,) = compare(lock, probe, base=None, extras=False).findings
    assert finding.kind == "conflict" and finding.fails


def test_drift_excuses_what_the_base_image_brings() -> None:
    installed = {**INSTALLED, "rich": "14.0.0", "boto3": "1.40.0", "numpy": "2.0.0"}
    del installed["fastmcp"]
    probe = _probe(installed=installed)
    base = frozenset({canonicalize_name("numpy")})
    findings = compare(_lock(), probe, base=base, extras=True).findings
    assert [(f.kind, f.name, f.locked, f.installed) for f in findings] == [
        ("not-installed", "fastmcp", "2.12.4", None),
        ("version-differs", "rich", "13.7.0", "14.0.0"),
        ("extra", "boto3", None, "1.40.0"),
    ]


def test_failed_imports_of_installed_distributions_fail() -> None:
    imports = [
        {"distribution": "mlflow", "module": "mlflow", "ok": False, "error": "ImportError: x"},
        {"distribution": "pywin32", "module": "", "ok": False, "error": "not installed"},
    ]
    findings = compare(
        _lock(), _probe(installed=INSTALLED, imports=imports), base=None, extras=False
    )
    assert [(f.kind, f.name, f.error) for f in findings.findings] == [
        ("import-failed", "mlflow", "ImportError: x")
    ]


def test_roots_are_the_pins_an_input_asked_for() -> None:
    assert root_distributions(_lock()) == ("mlflow", "rich")
    plain = parse_lockfile("a==1\nb==2\n", path=Path("r.txt"))
    assert root_distributions(plain) == ("a", "b")  # no '# via': every pin


def test_the_report_words_findings_and_json_carries_them() -> None:
    line = "fastmcp 2.12.4 has requirement rich>=13.9.4, but you have rich 13.7.0."
    result = compare(_lock(), _probe(lines=[line], installed=INSTALLED), base=None, extras=False)
    report = VerifyReport(
        lock=Path("requirements.txt"),
        mode="lock-only",
        sandbox="container",
        where="a container at unix:///var/run/docker.sock (the default socket)",
        base_image="python:3.11-slim",
        python="3.11.2",
        pins=result.pins,
        installed=4,
        findings=result.findings,
    )
    text = render_report(report)
    assert text.startswith(
        "requirements.txt: verified (lock alone, --no-deps, from python:3.11-slim"
    )
    assert "  3 pins, 4 distributions installed, pip check: clean" in text
    assert (
        "  overridden (as the lock says): fastmcp 2.12.4 requires rich>=13.9.4, rich 13.7.0 is "
        "installed by the override rich==13.7.0" in text
    )
    data = report.to_dict()
    assert data["ok"] is True
    assert data["findings"][0]["kind"] == "overridden"
