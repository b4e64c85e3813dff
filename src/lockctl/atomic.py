"""Write a file so that readers see the old text or the new text, never a part of either.

The text goes to a temporary file in the same directory (``os.replace`` is atomic only within
one file system), is flushed and fsynced, takes the old file's permission bits, and is then
renamed over the target; the directory is fsynced so the rename survives a crash. On any
error, including KeyboardInterrupt, the temporary file is removed and the old file is as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

__all__ = ["write_atomically"]


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


def write_atomically(path: Path, text: str, *, encoding: str = "utf-8") -> None:
    """Replace ``path`` with ``text``, written as is (no newline translation)."""
    target = _target(path)
    data = text.encode(encoding)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = _default_mode()
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        temp.chmod(mode)  # mkstemp makes 0o600; keep what the old file had
        # os.replace, not Path.replace: on Python 3.10 pathlib binds os.replace at import time.
        os.replace(temp, target)  # noqa: PTH105
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    _fsync_directory(target.parent)
