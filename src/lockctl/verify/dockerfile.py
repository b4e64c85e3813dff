"""The Dockerfile ``verify`` writes for a lock; reading a project's Dockerfile is
``lockctl.dockerfile`` (shared with ``compile --from-dockerfile``), re-exported here.

Written: lock-only mode's Dockerfile, which installs the lock alone (``--no-deps``, as
pip-sync does), so that ``pip check`` afterwards proves the lock complete and consistent.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from lockctl.dockerfile import Dockerfile, Instruction, Stage, read_dockerfile

from .runtime import RUN_LABEL

__all__ = [
    "LOCK_IN_CONTEXT",
    "Dockerfile",
    "Instruction",
    "Stage",
    "lock_only_dockerfile",
    "read_dockerfile",
]

LOCK_IN_CONTEXT = "requirements.txt"  # the lock's name in lock-only mode's build context
_LOCK_IN_IMAGE = "/lockctl/requirements.txt"
# pip's settings for the install step. PIP_CONFIG_FILE=/dev/null: a base image's own pip
# configuration must not send pip elsewhere than the index this run was given.
_PIP_SETTINGS = (
    ("PIP_CONFIG_FILE", "/dev/null"),
    ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ("PIP_NO_CACHE_DIR", "1"),
    ("PIP_ROOT_USER_ACTION", "ignore"),
)


def lock_only_dockerfile(
    base_image: str,
    *,
    run_id: str,
    require_hashes: bool,
    pip_environment: Sequence[tuple[str, str]] = (),
) -> str:
    """Install the lock, and only the lock, into ``base_image``.

    pip's settings ride on the RUN line rather than ARG lines: the classic builder commits an
    image for every instruction, and each costs about a second. ``pip_environment`` holds
    the index variables (``PIP_INDEX_URL``...); the lock's own index lines still win in pip.
    """
    install = ["python", "-m", "pip", "install", "--no-deps"]
    if require_hashes:
        install.append("--require-hashes")
    install += ["-r", _LOCK_IN_IMAGE]
    settings = [
        f"{name}={shlex.quote(value)}" for name, value in (*_PIP_SETTINGS, *pip_environment)
    ]
    lines = [
        "# Written by lockctl verify: the lock alone, without dependencies (pip-sync's way),",
        "# so that pip check afterwards proves it complete and consistent.",
        f"FROM {base_image}",
        f"LABEL {RUN_LABEL}={run_id}",
        f"COPY {LOCK_IN_CONTEXT} {_LOCK_IN_IMAGE}",
        f"RUN {' '.join(settings)} {shlex.join(install)}",
    ]
    return "\n".join(lines) + "\n"
