"""Run the real pip-compile on the loopback index, and rebuild its result as a ``Resolution``.

The ``Resolution`` is built from pip-compile's own output (pins, extras, parents, read back
with lockctl's reader), the input files (root requirements with their origins, read with
lockctl's requirements parser) and the index's file list (hashes), so the writer is compared
with pip-tools independently of lockctl's resolver.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.utils import NormalizedName, canonicalize_name

from lockctl.index.models import DistributionFile
from lockctl.lockfiles import LockedFile
from lockctl.reqfile import parse_file
from lockctl.resolver.models import Origin, Release, Resolution, ResolvedPin, RootRequirement
from lockctl.urls import SecretURL
from tests.support.dists import DistFile
from tests.support.indexserver import IndexServer

__all__ = ["COMMAND", "index_files", "pip_compile", "resolution_from", "roots_of", "write_tree"]

COMMAND = "lockctl compile --target 3.11"
PIP_COMPILE = Path(sys.executable).parent / "pip-compile"


def write_tree(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _environment() -> dict[str, str]:
    # Only the loopback index: no pip configuration, no PIP_* settings of this machine.
    environ = {key: value for key, value in os.environ.items() if not key.startswith("PIP_")}
    environ.update(
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
        CUSTOM_COMPILE_COMMAND=COMMAND,
    )
    return environ


def pip_compile(workdir: Path, src: str, index_url: str, *args: str, output: str) -> str:
    """pip-compile 7.6 with pip-tools 8's defaults unless ``args`` say otherwise."""
    defaults = ["--allow-unsafe"] if "--no-allow-unsafe" not in args else []
    if "--no-strip-extras" not in args:
        defaults.append("--strip-extras")
    command = [
        str(PIP_COMPILE),
        *defaults,
        *args,
        "--index-url",
        index_url,
        "--cache-dir",
        str(workdir.parent / "pip-cache"),
        "--output-file",
        output,
        src,
    ]
    result = subprocess.run(
        command, cwd=workdir, env=_environment(), capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return (workdir / output).read_text(encoding="utf-8")


def index_files(server: IndexServer, dists: Iterable[DistFile]) -> list[DistributionFile]:
    """The index's file list, as the index layer would give it."""
    return [
        DistributionFile(
            filename=dist.filename,
            url=SecretURL(server.file_url(dist.filename)),
            hashes={"sha256": dist.sha256},
            size=dist.size,
        )
        for dist in dists
    ]


def roots_of(src: Path) -> dict[NormalizedName, list[RootRequirement]]:
    """Every requirement and constraint line of the inputs, in pip's reading order."""
    roots: dict[NormalizedName, list[RootRequirement]] = {}
    for located in parse_file(src).iter_requirements(constraints=True):
        requirement = located.entry.requirement
        assert requirement is not None
        roots.setdefault(canonicalize_name(requirement.name), []).append(
            RootRequirement(
                requirement=requirement,
                origin=Origin(line=located.entry.source, via=located.via),
                kind="constraint" if located.constraint else "requirement",
            )
        )
    return roots


def resolution_from(
    locked: LockedFile,
    *,
    roots: Mapping[NormalizedName, Sequence[RootRequirement]],
    files: Sequence[DistributionFile],
) -> Resolution:
    pins = []
    for pin in locked.pins:
        release_files = tuple(
            dist
            for dist in files
            if dist.parsed is not None
            and dist.parsed.name == pin.name
            and dist.parsed.version == pin.version
        )
        release = Release(
            name=pin.name, version=pin.version, files=release_files, all_files=release_files
        )
        pins.append(
            ResolvedPin(
                name=pin.name,
                version=pin.version,
                release=release,
                extras=pin.extras,
                parents=pin.parents,
                roots=tuple(roots.get(pin.name, ())),
            )
        )
    return Resolution(pins=tuple(sorted(pins, key=lambda p: p.name)))
