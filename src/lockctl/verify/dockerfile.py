"""The Dockerfile ``verify`` writes for a lock; reading a project's Dockerfile is
``lockctl.dockerfile`` (shared with ``compile --from-dockerfile``), re-exported here.

Written: lock-only mode's install as a Dockerfile (the lock alone, ``--no-deps``, as
pip-sync does), what a plain ``docker build`` of it would do.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from lockctl.dockerfile import Dockerfile, Instruction, Stage, read_dockerfile

from .lockinstall import LOCK_IN_IMAGE, install_command, pip_settings
from .runtime import RUN_LABEL

__all__ = [
    "LOCK_IN_CONTEXT",
    "Dockerfile",
    "Instruction",
    "Stage",
    "lock_only_dockerfile",
    "read_dockerfile",
]

LOCK_IN_CONTEXT = "requirements.txt"  # the lock's name in the build context


def lock_only_dockerfile(
    base_image: str,
    *,
    run_id: str,
    require_hashes: bool,
    pip_environment: Sequence[tuple[str, str]] = (),
) -> str:
    """Lock-only mode's install as a Dockerfile, without pip's cache: what a plain
    ``docker build`` does for it (``lockctl.verify.lockinstall`` says why verify runs the
    same install as a layer instead). The lock is ``requirements.txt`` in the context.

    pip's settings ride on the RUN line rather than ARG lines: the classic builder commits an
    image for every instruction, and each costs about a second.
    """
    install = install_command(require_hashes=require_hashes)
    settings = [
        f"{name}={shlex.quote(value)}"
        for name, value in pip_settings(cache_dir=None, pip_environment=pip_environment)
    ]
    lines = [
        "# Written by lockctl verify: the lock alone, without dependencies (pip-sync's way),",
        "# so that pip check afterwards proves it complete and consistent.",
        f"FROM {base_image}",
        f"LABEL {RUN_LABEL}={run_id}",
        f"COPY {LOCK_IN_CONTEXT} {LOCK_IN_IMAGE}",
        f"RUN {' '.join(settings)} {shlex.join(install)}",
    ]
    return "\n".join(lines) + "\n"
