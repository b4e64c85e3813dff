"""Atomic writes: the old file or the new one, never a piece, and no litter."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lockctl.lockfiles import write_atomically


def test_writes_new_file_with_default_permissions(tmp_path: Path) -> None:
    target = tmp_path / "requirements.txt"
    write_atomically(target, "a==1\r\nb==2\n")
    assert target.read_bytes() == b"a==1\r\nb==2\n"  # written as given, no translation
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_keeps_the_permissions_of_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "requirements.txt"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    write_atomically(target, "new\n")
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_writes_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_atomically(link, "new\n")
    assert link.is_symlink()
    assert real.read_text(encoding="utf-8") == "new\n"


@pytest.mark.parametrize("failing", ["replace", "fsync"])
def test_failure_leaves_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    target = tmp_path / "requirements.txt"
    old = b"django==4.2.0\n    # via -r requirements.in\n"
    target.write_bytes(old)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "django==5.0\n" * 1000)
    monkeypatch.undo()
    assert target.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["requirements.txt"]


def test_interrupt_mid_write_cleans_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "requirements.txt"
    target.write_text("old\n", encoding="utf-8")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomically(target, "new\n")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["requirements.txt"]
