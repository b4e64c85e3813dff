"""Tiny but valid wheels and sdists, built in memory and byte-for-byte reproducible."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import random
import tarfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from packaging.tags import parse_tag
from packaging.utils import canonicalize_name
from packaging.version import Version

__all__ = ["DistFile", "make_sdist", "make_wheel"]

_NO_FILES: Mapping[str, bytes] = MappingProxyType({})
# Fixed timestamps keep builds reproducible, so a file's sha256 is stable across test runs.
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class DistFile:
    filename: str
    content: bytes
    metadata: bytes  # the core metadata file (METADATA / PKG-INFO); empty if there is none

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def metadata_sha256(self) -> str:
        return hashlib.sha256(self.metadata).hexdigest()

    @property
    def size(self) -> int:
        return len(self.content)


def _escape_name(name: str) -> str:
    # Binary distribution format spec: normalise, then "-" becomes "_" in file names.
    return canonicalize_name(name).replace("-", "_")


def _core_metadata(
    *,
    metadata_version: str,
    name: str,
    version: str,
    requires_dist: Iterable[str],
    requires_python: str | None,
    provides_extra: Iterable[str] = (),
    dynamic: Iterable[str] = (),
) -> bytes:
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    lines += [f"Dynamic: {field}" for field in dynamic]
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Provides-Extra: {extra}" for extra in provides_extra]
    lines += [f"Requires-Dist: {req}" for req in requires_dist]
    return ("\n".join(lines) + "\n\n").encode()


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def _wheel_file(tag: str) -> bytes:
    # A compressed tag set ("py2.py3-none-any") expands to one Tag line per member.
    tags = sorted(str(t) for t in parse_tag(tag))
    lines = ["Wheel-Version: 1.0", "Generator: lockctl-tests", "Root-Is-Purelib: true"]
    lines += [f"Tag: {t}" for t in tags]
    return ("\n".join(lines) + "\n").encode()


def make_wheel(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    provides_extra: Iterable[str] = (),
    tag: str = "py3-none-any",
    metadata_version: str = "2.1",
    extra_files: Mapping[str, bytes] = _NO_FILES,
    padding: int = 0,
) -> DistFile:
    """A real wheel; ``padding`` adds that many stored, incompressible bytes of data."""
    stem = f"{_escape_name(name)}-{Version(version)}"
    filename = f"{stem}-{tag}.whl"
    dist_info = f"{stem}.dist-info"
    metadata = _core_metadata(
        metadata_version=metadata_version,
        name=name,
        version=version,
        requires_dist=requires_dist,
        requires_python=requires_python,
        provides_extra=provides_extra,
    )
    module = _escape_name(name)
    files: dict[str, bytes] = {f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode()}
    if padding:
        # Seeded by file name so the wheel (and its hash) is the same on every run.
        files[f"{module}/_padding.bin"] = random.Random(filename).randbytes(padding)
    files.update(extra_files)
    files[f"{dist_info}/METADATA"] = metadata
    files[f"{dist_info}/WHEEL"] = _wheel_file(tag)
    record_path = f"{dist_info}/RECORD"
    record = [_record_line(path, data) for path, data in files.items()] + [f"{record_path},,"]
    files[record_path] = ("\n".join(record) + "\n").encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_EPOCH)
            stored = path.endswith("_padding.bin")
            info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return DistFile(filename=filename, content=buffer.getvalue(), metadata=metadata)


def _pyproject(
    name: str, version: str, requires_dist: Iterable[str], dynamic: Iterable[str]
) -> str:
    dynamic_fields = {field.lower() for field in dynamic}
    lines = [
        "[build-system]",
        'requires = ["setuptools>=68"]',
        'build-backend = "setuptools.build_meta"',
        "",
        "[project]",
        f'name = "{name}"',
        f'version = "{version}"',
    ]
    if "requires-dist" in dynamic_fields:
        lines.append('dynamic = ["dependencies"]')
    else:
        deps = ", ".join(f'"{req}"' for req in requires_dist)
        lines.append(f"dependencies = [{deps}]")
    return "\n".join(lines) + "\n"


def make_sdist(
    name: str,
    version: str,
    *,
    requires_dist: Iterable[str] = (),
    requires_python: str | None = None,
    metadata_version: str = "2.2",
    dynamic: Iterable[str] = (),
    with_pkg_info: bool = True,
) -> DistFile:
    """A real ``.tar.gz`` sdist (PEP 625 file name); ``with_pkg_info=False`` omits PKG-INFO."""
    requires_dist = tuple(requires_dist)
    dynamic = tuple(dynamic)
    stem = f"{_escape_name(name)}-{Version(version)}"
    metadata = b""
    files: dict[str, bytes] = {}
    if with_pkg_info:
        metadata = _core_metadata(
            metadata_version=metadata_version,
            name=name,
            version=version,
            requires_dist=requires_dist,
            requires_python=requires_python,
            dynamic=dynamic,
        )
        files["PKG-INFO"] = metadata
    files["pyproject.toml"] = _pyproject(name, version, requires_dist, dynamic).encode()
    files[f"{_escape_name(name)}/__init__.py"] = f'__version__ = "{version}"\n'.encode()

    buffer = io.BytesIO()
    # mtime=0 in both gzip and tar headers keeps the archive reproducible.
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as compressed,
        tarfile.open(fileobj=compressed, mode="w", format=tarfile.PAX_FORMAT) as archive,
    ):
        for path, data in files.items():
            info = tarfile.TarInfo(f"{stem}/{path}")
            info.size = len(data)
            info.mode = 0o644
            archive.addfile(info, io.BytesIO(data))
    return DistFile(filename=f"{stem}.tar.gz", content=buffer.getvalue(), metadata=metadata)
