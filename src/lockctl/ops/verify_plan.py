"""What one lock's verification will do, settled before anything is built.

Every input is read and checked here, so a bad lock, a missing Dockerfile, a context that is
not a folder or a base image that cannot be found is refused (exit 2) before a container or
an image exists. The plan also carries what pip inside needs: the index (``--index-url``,
else ``PIP_INDEX_URL``; the lock's own ``--index-url`` line wins inside pip, as always) and
the host's proxy variables, as build arguments and as container environment.

The base image of lock-only mode is ``--base-image``, else ``[tool.lockctl] base-image``,
else the ``FROM`` of the project's Dockerfile (``[tool.lockctl] dockerfile``, else
``Dockerfile`` in the current folder).
"""

from __future__ import annotations

import platform
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lockctl.config import ProjectConfig, find_pyproject, load_config
from lockctl.config.validate import image_reference_problem
from lockctl.errors import UsageError
from lockctl.lockfiles import LockedFile, read_lockfile
from lockctl.ops.commands import VerifyCommand
from lockctl.verify.dockerfile import Dockerfile, Instruction, read_dockerfile

__all__ = ["VerifyPlan", "plan_verification"]

# Docker passes these through without an ARG line (its predefined build arguments).
_PROXY_VARIABLES = tuple(
    name
    for base in ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
    for name in (base, base.lower())
)
_PYTHON_TAG = re.compile(r"(?:^|/)python:(?P<version>\d+\.\d+)")


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifyPlan:
    lock_path: Path
    lock: LockedFile
    mode: Literal["lock-only", "project"]
    base_image: str | None  # lock-only: what the lock goes into; project: what the image is from
    images: tuple[str, ...]  # every image the build starts from: must be on the engine
    dockerfile: Dockerfile | None = None  # project mode
    context: Path | None = None
    target: str | None = None
    build_args: tuple[tuple[str, str], ...] = ()  # proxies, index, then the user's (which win)
    environment: tuple[tuple[str, str], ...] = ()  # for the containers that run the probe
    pip_environment: tuple[tuple[str, str], ...] = ()  # the index variables alone
    require_hashes: bool = False

    @property
    def install_lines(self) -> tuple[Instruction, ...]:
        return self.dockerfile.install_lines() if self.dockerfile is not None else ()


def plan_verification(
    command: VerifyCommand, lock_path: Path, cwd: Path, environ: Mapping[str, str]
) -> VerifyPlan:
    lock = read_lockfile(lock_path)
    if not lock.pins and not lock.direct:
        raise UsageError(
            f"{lock_path} pins nothing: it is not a lock",
            hint="give the .txt that lockctl compile (or pip-compile) wrote",
        )
    pip_environment = _index_variables(command, environ)
    proxies = tuple((name, environ[name]) for name in _PROXY_VARIABLES if environ.get(name))
    build_args = (*proxies, *pip_environment, *command.build_args)  # a Dockerfile may read them
    environment = (*proxies, ("PIP_CONFIG_FILE", "/dev/null"))
    # pip's hash-checking mode: on as soon as one requirement has a --hash, and then every
    # one needs one (a name @ URL line too); pip says which does not.
    hashes = any(pin.hashes for pin in lock.pins) or any(pin.hashes for pin in lock.direct)
    if command.dockerfile is not None:
        if command.sandbox == "venv":
            raise UsageError("--sandbox venv cannot build a Dockerfile: leave out --dockerfile")
        if command.base_image is not None:
            raise UsageError("--base-image is for lock-only mode: the Dockerfile names its own")
        dockerfile = read_dockerfile(command.dockerfile)
        context = command.context if command.context is not None else command.dockerfile.parent
        if not context.is_dir():
            raise UsageError(f"the build context {context} is not a folder")
        values = dict(build_args)
        return VerifyPlan(
            lock_path=lock_path,
            lock=lock,
            mode="project",
            base_image=dockerfile.base_image(values, command.target),
            images=dockerfile.external_images(values, command.target),
            dockerfile=dockerfile,
            context=context,
            target=command.target,
            build_args=build_args,
            environment=environment,
            pip_environment=pip_environment,
            require_hashes=hashes,
        )
    if command.context is not None or command.target is not None:
        raise UsageError("--context and --target are for a build: give --dockerfile too")
    base = _lock_only_base_image(command, cwd, dict(build_args))
    if command.sandbox == "venv":
        _check_python(command.python_version or _python_of(base) or lock.python_version, lock_path)
    elif base is None:
        raise UsageError(
            f"no base image to install {lock_path} into",
            hint="pass --base-image IMAGE, or --dockerfile FILE to build the project's own",
        )
    else:
        _check_urls_reachable(lock, lock_path)
    return VerifyPlan(
        lock_path=lock_path,
        lock=lock,
        mode="lock-only",
        base_image=base,
        images=(base,) if base else (),
        build_args=(*proxies, *command.build_args),  # for the Dockerfile's FROM, if read
        # The install layer is no build: a --build-arg proxy (Docker passes its predefined
        # proxy arguments to every RUN) reaches pip through the environment instead.
        environment=(*_proxies(command.build_args), *environment),
        pip_environment=pip_environment,
        require_hashes=hashes,
    )


def _proxies(build_args: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    return tuple((name, value) for name, value in build_args if name in _PROXY_VARIABLES)


def _check_urls_reachable(lock: LockedFile, lock_path: Path) -> None:
    """A ``name @ file:...`` pin names a file of this machine, which a container does not
    have (pip inside would fail on it after the base image is started): refused first."""
    local = [pin for pin in lock.direct if pin.url.startswith("file:")]
    if local:
        pin = local[0]
        raise UsageError(
            f"{lock_path} line {pin.source.line}: {pin.name} @ {pin.url} is a file of this "
            "machine, which a container cannot install",
            hint="verify it with --sandbox venv, or point the requirement at an http(s) URL",
        )


def _index_variables(
    command: VerifyCommand, environ: Mapping[str, str]
) -> tuple[tuple[str, str], ...]:
    """pip's own variables for the index options: the command line's, else the environment's
    (never pip's configuration files: their file:// paths mean nothing inside a container)."""
    given = {
        "PIP_INDEX_URL": command.index_url or "",
        "PIP_EXTRA_INDEX_URL": " ".join(command.extra_index_urls),
        "PIP_TRUSTED_HOST": " ".join(command.trusted_hosts),
    }
    return tuple(
        (name, value or environ.get(name, ""))
        for name, value in given.items()
        if value or environ.get(name)
    )


def _lock_only_base_image(
    command: VerifyCommand, cwd: Path, build_args: dict[str, str]
) -> str | None:
    """``--base-image``, else ``[tool.lockctl] base-image`` (checked when the file is read),
    else the ``FROM`` of the project's Dockerfile."""
    if command.base_image is not None:
        problem = image_reference_problem(command.base_image)
        if problem is not None:
            raise UsageError(f"--base-image: {problem}", hint="name an image on the engine")
        return command.base_image
    pyproject = find_pyproject(cwd)
    config = load_config(pyproject) if pyproject is not None else None
    if config is not None and config.base_image is not None:
        return config.base_image
    return _dockerfile_base_image(config, cwd, build_args)


def _dockerfile_base_image(
    config: ProjectConfig | None, cwd: Path, build_args: dict[str, str]
) -> str | None:
    configured = config.dockerfile if config is not None else None
    path = configured or (cwd / "Dockerfile")
    if not path.is_file():
        return None
    return read_dockerfile(path).base_image(build_args, None)


def _python_of(image: str | None) -> str | None:
    match = _PYTHON_TAG.search(image or "")
    return match["version"] if match else None


def _check_python(target: str | None, lock_path: Path) -> None:
    """A virtual environment proves the lock for its own Python only."""
    running = ".".join(platform.python_version_tuple()[:2])
    if target is None:
        return
    wanted = ".".join(target.split(".")[:2])
    if wanted != running:
        raise UsageError(
            f"{lock_path} is for Python {wanted}; --sandbox venv would use this one, {running}",
            hint=f"run lockctl with Python {wanted}, or verify in a container",
        )
