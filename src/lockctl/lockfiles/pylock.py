"""A ``Resolution`` as a PEP 751 ``pylock.toml`` (lock-version 1.0).

lockctl compiles for one target, so the file names that target twice: ``requires-python``
(the target's minor version as the minimum, as PEP 751 defines the key) and ``environments``
(a marker that matches only the target's Python and platform). Each package lists every file
of its release with ``url``, ``size`` and ``hashes``, like ``--generate-hashes`` does, so
installers pick the file for their own tags. ``dependencies`` names the pinned projects each
package requires. Overrides go under ``[packages.tool.lockctl]``.

URLs are written without credentials: a lock is committed, a token is not.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import tomlkit
from packaging.utils import NormalizedName
from tomlkit.items import AoT, Array, InlineTable, Table

from lockctl.index.models import DistributionFile
from lockctl.resolver.models import EditableProject, OverrideNote, Resolution, ResolvedPin
from lockctl.target import PLATFORMS, TargetEnvironment
from lockctl.urls import SecretURL

from .comments import override_source

__all__ = ["render_pylock"]

LOCK_VERSION = "1.0"
CREATED_BY = "lockctl"


def render_pylock(
    resolution: Resolution,
    *,
    target: TargetEnvironment,
    index_url: SecretURL | str | None,
    lock_dir: Path | None = None,
) -> str:
    """``index_url`` is the simple-API base the files came from (PEP 751 ``packages.index``,
    an optional key: None leaves it out). Credentials, or their redacted form, are dropped.
    ``lock_dir``: where the file goes; an editable's directory is written relative to it."""
    index = None if index_url is None else _public(index_url)
    document = tomlkit.document()
    document["lock-version"] = LOCK_VERSION
    document["environments"] = _array([_environment_marker(target)])
    document["requires-python"] = f">={target.python_minor}"
    document["created-by"] = CREATED_BY
    packages = AoT([])
    pins = sorted(resolution.pins, key=lambda pin: pin.name)
    children = _children(pins)
    for editable in resolution.editables:
        packages.append(_editable(editable, resolution, lock_dir))
    for pin in pins:
        packages.append(_package(pin, index=index, dependencies=children.get(pin.name, ())))
    document["packages"] = packages
    return tomlkit.dumps(document)


def _editable(editable: EditableProject, resolution: Resolution, lock_dir: Path | None) -> Table:
    """An ``-e`` project: PEP 751's ``packages.directory`` with ``editable = true``, its path
    relative to the lock's folder (the spec's rule for a relative path), as POSIX."""
    package = tomlkit.table()
    package["name"] = editable.name
    directory = Path(url2pathname(urlsplit(editable.url).path))
    if lock_dir is not None:
        directory = Path(os.path.relpath(directory, lock_dir))
    named: list[ResolvedPin | EditableProject] = [*resolution.pins, *resolution.editables]
    needs = sorted(  # an -e project may need another
        {item.name for item in named for root in item.roots if root.origin.parent == editable.name}
    )
    if needs:
        deps = tomlkit.array()
        for name in needs:
            entry = tomlkit.inline_table()
            entry["name"] = name
            deps.append(entry)
        package["dependencies"] = deps
    location = tomlkit.inline_table()
    location["path"] = directory.as_posix()
    location["editable"] = True
    package["directory"] = location
    return package


def _public(url: SecretURL | str) -> str:
    secret = url if isinstance(url, SecretURL) else SecretURL(url)
    return secret.without_credentials().secret


def _array(items: Sequence[object]) -> Array:
    array = tomlkit.array()
    array.extend(items)
    return array


def _environment_marker(target: TargetEnvironment) -> str:
    sys_platform, _system, machine, _os_name, _tags = PLATFORMS[target.platform]
    return (
        f'python_version == "{target.python_minor}" and sys_platform == "{sys_platform}"'
        f' and platform_machine == "{machine}"'
    )


def _children(pins: Sequence[ResolvedPin]) -> dict[NormalizedName, list[NormalizedName]]:
    """parent -> the pins that name it as a parent (what it depends on), sorted."""
    children: dict[NormalizedName, list[NormalizedName]] = {}
    for pin in pins:
        for parent in pin.parents:
            children.setdefault(parent, []).append(pin.name)
    return {parent: sorted(set(names)) for parent, names in children.items()}


def _package(
    pin: ResolvedPin, *, index: str | None, dependencies: Sequence[NormalizedName]
) -> Table:
    package = tomlkit.table()
    package["name"] = pin.name
    package["version"] = str(pin.version)
    if pin.release.requires_python is not None and str(pin.release.requires_python):
        package["requires-python"] = str(pin.release.requires_python)
    if dependencies:
        deps = tomlkit.array()
        for name in dependencies:
            entry = tomlkit.inline_table()
            entry["name"] = name
            deps.append(entry)
        package["dependencies"] = deps
    if index is not None and pin.release.direct_reference is None:  # name @ URL: no index
        package["index"] = index
    files = [dist for dist in pin.release.all_files if dist.hashes]
    sdists = [dist for dist in files if not dist.is_wheel]
    wheels = [dist for dist in files if dist.is_wheel]
    if sdists:
        package["sdist"] = _file_table(sdists[0])  # PEP 751 allows one sdist per package
    if wheels:
        array = AoT([])
        for dist in sorted(wheels, key=lambda d: d.filename):
            array.append(_file_table(dist))
        package["wheels"] = array
    if pin.overrides:
        tool = tomlkit.table()
        tool["overrides"] = _array([_override(note) for note in pin.overrides])
        package["tool"] = {"lockctl": tool}
    return package


def _override(note: OverrideNote) -> InlineTable:
    """The override and each requirement it replaced, with who asked (as in the .txt)."""
    table = tomlkit.inline_table()
    table["requirement"] = str(note.override.requirement)
    table["from"] = override_source(note.override.origin, None)
    replaced = tomlkit.array()
    for requirement, who in sorted({(str(req), who) for who, req in note.replaced}):
        item = tomlkit.inline_table()
        item["requirement"] = requirement
        item["asked-by"] = who
        replaced.append(item)
    table["replaces"] = replaced
    return table


def _file_table(dist: DistributionFile) -> Table:
    table = tomlkit.table()
    table["name"] = dist.filename
    table["url"] = dist.url.without_credentials().secret
    if dist.size is not None:
        table["size"] = dist.size
    hashes = tomlkit.inline_table()
    for algorithm in sorted(dist.hashes):
        hashes[algorithm] = dist.hashes[algorithm]
    table["hashes"] = hashes
    return table
