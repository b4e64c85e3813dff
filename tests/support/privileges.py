"""Run a child process that file permissions apply to, even when the tests run as root.

Root reads and writes through any permission bits. ``unprivileged`` prefixes a command with
``setpriv`` dropping the capabilities that allow it, so a directory with mode 000 refuses the
child as it would refuse any user; without root, the command runs as it is.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence

import pytest

__all__ = ["unprivileged"]

_CAPABILITIES = "-dac_override,-dac_read_search,-fowner"


def unprivileged(argv: Sequence[str]) -> list[str]:
    """``argv``, to run where permission bits bind; skips the test if that cannot be arranged."""
    if os.geteuid() != 0:
        return list(argv)
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permission bits would not apply")
    return [setpriv, f"--bounding-set={_CAPABILITIES}", *argv]
