"""Edits of pyproject.toml that run at once: none is lost."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from lockctl.config import list_overrides


def test_override_adds_run_at_once_all_land(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project]\nname = "demo"\n')
    names = [f"pkg{n}" for n in range(8)]
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "lockctl", "override", "add", f"{name}>=1"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for name in names
    ]
    for run in runs:
        _, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
    added = sorted(str(entry.requirement) for _, entry in list_overrides(pyproject))
    assert added == [f"{name}>=1" for name in names]
