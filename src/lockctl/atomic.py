"""Write files so that readers see the old texts or the new ones, never a part of either.

``write_all`` is all or nothing across several files: each text goes to a temporary file in
its target's directory (``os.replace`` is atomic only within one file system), flushed,
fsynced and given the old file's permission bits; only when every temporary file is written
are they renamed over their targets, each old file first kept as a hard link beside it. If a
rename fails, the files already replaced get their old contents back, and a file that did not
exist before is removed. On any error, including KeyboardInterrupt, every temporary file is
removed and every existing file is as it was. ``check_writable`` says beforehand, as a plain
error, why a path could not be written, so a run can refuse before doing any work.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from lockctl.errors import OutputError

__all__ = ["check_writable", "edit_lock", "write_all", "write_atomically"]


def _default_mode() -> int:
    # What open() would give a new file: 0o666 less the umask. Reading the umask means
    # setting it, so restore it at once.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _target(path: Path) -> Path:
    # Writing through a symlink replaces the file it points to, as open(path, "w") would,
    # instead of turning the link into a regular file.
    return path.resolve() if path.is_symlink() else path


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # Windows cannot open a directory; its rename is durable enough
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)


def check_writable(path: Path, *, what: str = "output") -> None:
    """Raise ``OutputError`` when ``path`` could not be written as a file, saying why."""
    target = _target(path)
    directory = target.parent
    if target.is_dir():
        raise OutputError(f"the {what} {path} is a directory", path=path)
    if not directory.exists():
        raise OutputError(
            f"the {what} {path} is in a directory that does not exist",
            path=path,
            hint=f"create {directory} first, or choose another path",
        )
    if not directory.is_dir():
        raise OutputError(f"the {what} {path} is inside {directory}, which is a file", path=path)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise OutputError(
            f"the {what} {path} cannot be written: no permission to write in {directory}",
            path=path,
        )


@dataclass(slots=True)
class _Staged:
    target: Path
    temp: Path
    backup: Path | None = None  # a hard link to the old file, while the new one is put in place
    placed: bool = False


def _stage(path: Path, text: str, encoding: str, *, durable: bool) -> _Staged:
    target = _target(path)
    data = text.encode(encoding)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _default_mode()
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    staged = _Staged(target=target, temp=Path(temp_name))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        staged.temp.chmod(mode)  # mkstemp makes 0o600; keep what the old file had
    except BaseException:
        with contextlib.suppress(OSError):
            staged.temp.unlink()
        raise
    return staged


def _keep_old(staged: _Staged) -> None:
    """A hard link to the old file under a fresh name beside it, to put back on failure."""
    if not staged.target.exists():
        return
    while True:
        backup = staged.target.with_name(f".{staged.target.name}.{secrets.token_hex(4)}.old")
        try:
            os.link(staged.target, backup)
        except FileExistsError:
            continue
        staged.backup = backup
        return


def _undo(staged: _Staged) -> None:
    with contextlib.suppress(OSError):
        if staged.placed and staged.backup is not None:
            os.replace(staged.backup, staged.target)  # noqa: PTH105 (see write_all)
            staged.backup = None
        elif staged.placed:
            staged.target.unlink()
    for leftover in (staged.temp, staged.backup):
        if leftover is not None:
            with contextlib.suppress(OSError):
                leftover.unlink()


def write_all(
    files: Sequence[tuple[Path, str]], *, encoding: str = "utf-8", durable: bool = True
) -> None:
    """Replace every path with its text (written as is, no newline translation), or none.

    ``durable=False`` skips the fsyncs, for files a crash may lose (cache entries): atomic
    still, so a reader never sees a part.
    """
    staged: list[_Staged] = []
    try:
        for path, text in files:
            staged.append(_stage(path, text, encoding, durable=durable))
        for each in staged:
            _keep_old(each)
        for each in staged:
            # os.replace, not Path.replace: on Python 3.10 pathlib binds it at import time.
            os.replace(each.temp, each.target)  # noqa: PTH105
            each.placed = True
    except OSError as error:
        for each in reversed(staged):
            _undo(each)
        failed = error.filename or (staged[-1].target if staged else "")
        raise OutputError(
            f"cannot write {failed}: {error.strerror or error}; nothing was written",
            path=Path(str(failed)),
        ) from None
    except BaseException:
        for each in reversed(staged):
            _undo(each)
        raise
    for each in staged:
        if each.backup is not None:
            with contextlib.suppress(OSError):
                each.backup.unlink()
    if durable:
        for directory in {each.target.parent for each in staged}:
            _fsync_directory(directory)


def write_atomically(
    path: Path, text: str, *, encoding: str = "utf-8", durable: bool = True
) -> None:
    """Replace ``path`` with ``text``, written as is (no newline translation)."""
    write_all([(path, text)], encoding=encoding, durable=durable)


@contextlib.contextmanager
def edit_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock for read-modify-write edits of ``path`` by lockctl processes.

    The lock is taken on the file's directory, not the file: an edit replaces the file by a
    rename, so a lock on the old file would not stop the next editor from opening the new one.
    Where ``fcntl`` does not exist (Windows), edits are not serialised.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(_target(path).parent, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock
