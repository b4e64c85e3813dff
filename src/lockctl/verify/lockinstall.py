"""Lock-only mode's install: the lock, and only the lock, into a base image, reusing the wheels
earlier runs downloaded.

The install is ``pip install --no-deps -r LOCK`` (pip-sync's way; ``--require-hashes`` when
the lock has hashes), so ``pip check`` afterwards proves the lock complete and consistent.

Why it is a ``LayerRequest`` (run, then commit) and not a Dockerfile build: the engines
lockctl meets (Debian's docker.io 20.10, podman's Docker-compatible socket, a remote engine)
all run containers with named volumes, but the classic builder, which the docker SDK drives,
mounts nothing during a build, and BuildKit's cache mounts are reached through the SDK only
by a private call whose progress comes back as protobuf. A container with the volume
``lockctl-pip-cache`` makes one layer on the base image, as the builder's ``RUN`` would.

Why a wheelhouse and not only pip's HTTP cache: pip caches a download only when the index's
answer says it may (``Cache-Control``, ``ETag``), and proxies strip those headers (the one in
front of the index here does). So the install is ``lockctl.verify.wheelhouse``, a script
run in the container: ``pip download`` into a folder that already holds the wheelhouse's
wheels of the lock's pins (the index still says which file each pin gets; pip downloads it
only when the folder lacks it), then ``pip install --no-index`` from that folder; new wheels
go into the wheelhouse. A lock changed by one pin downloads one wheel. The wheelhouse is one
folder per index configuration (a digest of the index options): a file of the same name
from another index is never taken.

``lock_only_dockerfile`` writes the plain install as a Dockerfile, for a person or a plain
``docker build`` to compare with.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Sequence
from pathlib import Path

from .runtime import CacheVolume, LayerRequest

__all__ = [
    "CACHE_LABEL",
    "LOCK_IN_IMAGE",
    "PIP_CACHE",
    "WHEELHOUSE_SOURCE",
    "index_key",
    "install_command",
    "lock_install_layer",
    "pip_settings",
]

LOCK_IN_IMAGE = "/lockctl/requirements.txt"
CACHE_LABEL = "lockctl.cache"  # on what lockctl keeps between runs: its value says what it is
# One volume for every base image and index: pip keys its HTTP cache by URL and its wheel
# cache by interpreter tags, and it writes both atomically, so parallel runs may share it.
PIP_CACHE = CacheVolume(
    name="lockctl-pip-cache",
    target="/var/cache/lockctl",  # not under $HOME: a base image may set another user
    labels=((CACHE_LABEL, "pip"),),
)
# The lock's own index options: they choose where pip looks as much as the environment does.
_INDEX_OPTIONS = frozenset(
    ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index")
)
_OPTION = re.compile(r"[\s=]")  # --index-url URL, --index-url=URL
# The install script: a standalone program, sent as ``python -c`` (as the probe is).
WHEELHOUSE_SOURCE = Path(__file__).with_name("wheelhouse.py").read_text(encoding="utf-8")
# PIP_CONFIG_FILE=/dev/null: a base image's own pip configuration must not send pip
# elsewhere than the index this run was given.
_PIP_SETTINGS = (
    ("PIP_CONFIG_FILE", "/dev/null"),
    ("PIP_DISABLE_PIP_VERSION_CHECK", "1"),
    ("PIP_ROOT_USER_ACTION", "ignore"),
)


def pip_settings(
    *, cache_dir: str | None, pip_environment: Sequence[tuple[str, str]] = ()
) -> tuple[tuple[str, str], ...]:
    """pip's environment for the install; ``pip_environment`` holds the index variables
    (``PIP_INDEX_URL``...), and the lock's own index lines still win inside pip."""
    cache = (("PIP_CACHE_DIR", cache_dir),) if cache_dir else (("PIP_NO_CACHE_DIR", "1"),)
    return (*_PIP_SETTINGS, *cache, *pip_environment)


def install_command(*, require_hashes: bool) -> tuple[str, ...]:
    hashes = ("--require-hashes",) if require_hashes else ()
    return ("python", "-m", "pip", "install", "--no-deps", *hashes, "-r", LOCK_IN_IMAGE)


def lock_install_layer(
    lock: bytes,
    base_image: str,
    *,
    tag: str,
    require_hashes: bool,
    pip_environment: Sequence[tuple[str, str]] = (),
    cache: CacheVolume | None = PIP_CACHE,
) -> LayerRequest:
    """``lock`` installed into ``base_image``, with the wheelhouse and pip's own cache on
    ``cache`` (None: the plain install, nothing kept)."""
    install = install_command(require_hashes=require_hashes)
    if cache is None:
        settings = pip_settings(cache_dir=None, pip_environment=pip_environment)
        command: tuple[str, ...] = install
    else:
        settings = pip_settings(cache_dir=f"{cache.target}/pip", pip_environment=pip_environment)
        wheelhouse = f"{cache.target}/wheels/{index_key(lock, pip_environment)}"
        hashes = ("--require-hashes",) if require_hashes else ()
        command = ("python", "-c", WHEELHOUSE_SOURCE, wheelhouse, LOCK_IN_IMAGE, *hashes)
    return LayerRequest(
        image=base_image,
        command=("env", *(f"{name}={value}" for name, value in settings), *command),
        instruction=f"RUN {shlex.join(install)}",  # the settings carry the index: not shown
        tag=tag,
        files=((LOCK_IN_IMAGE, lock),),
        cache=cache,
    )


def index_key(lock: bytes, pip_environment: Sequence[tuple[str, str]]) -> str:
    """The wheelhouse of one index configuration: the index variables and the lock's own
    index lines (whatever their order)."""
    lines = lock.decode("utf-8", "replace").splitlines()
    options = sorted(
        line.strip() for line in lines if _OPTION.split(line.strip())[0] in _INDEX_OPTIONS
    )
    variables = sorted(f"{name}={value}" for name, value in pip_environment if "INDEX" in name)
    digest = hashlib.sha256("\n".join([*variables, *options]).encode()).hexdigest()
    return digest[:16]
