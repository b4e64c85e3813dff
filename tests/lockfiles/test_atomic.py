"""Atomic writes: the old file or the new one, never a piece, and no litter."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from lockctl.atomic import check_writable, write_all
from lockctl.errors import OutputError
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
    with pytest.raises(OutputError, match="No space left"):
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


def test_all_or_nothing_when_a_later_file_cannot_be_staged(tmp_path: Path) -> None:
    first = tmp_path / "core.txt"
    first.write_text("old\n", encoding="utf-8")
    with pytest.raises(OutputError, match="nothing was written"):
        write_all([(first, "new\n"), (tmp_path / "missing" / "all.txt", "new\n")])
    assert first.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["core.txt"]


def test_all_or_nothing_when_a_later_rename_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing, new = tmp_path / "core.txt", tmp_path / "resolution.json"
    existing.write_text("old\n", encoding="utf-8")
    real_replace = os.replace
    calls: list[object] = []

    def second_fails(source: str | Path, target: str | Path) -> None:
        calls.append(target)
        if len(calls) == 3:  # core.txt, resolution.json, then all.txt fails
            raise OSError(28, "No space left on device", str(target))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", second_fails)
    with pytest.raises(OutputError, match=r"all\.txt: No space left on device"):
        write_all([(existing, "new\n"), (new, "{}\n"), (tmp_path / "all.txt", "new\n")])
    monkeypatch.undo()
    assert existing.read_text(encoding="utf-8") == "old\n"  # put back from its hard link
    assert sorted(p.name for p in tmp_path.iterdir()) == ["core.txt"]  # no temp, no .old


def test_every_file_written_when_all_can_be(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("old\n", encoding="utf-8")
    write_all([(tmp_path / "a.txt", "A\n"), (tmp_path / "b.txt", "B\n")])
    assert [p.read_text(encoding="utf-8") for p in sorted(tmp_path.iterdir())] == ["A\n", "B\n"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("relative", "message"),
    [
        ("missing/out.txt", "is in a directory that does not exist"),
        ("adir", "is a directory"),
        ("afile/out.txt", "which is a file"),
    ],
)
def test_check_writable_says_why_before_any_work(
    tmp_path: Path, relative: str, message: str
) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "afile").write_text("", encoding="utf-8")
    with pytest.raises(OutputError, match=message) as caught:
        check_writable(tmp_path / relative)
    assert caught.value.path == tmp_path / relative
