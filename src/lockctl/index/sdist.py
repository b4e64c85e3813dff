"""Metadata of source distributions, without running them.

PEP 643 (Metadata-Version 2.2) lets an sdist's PKG-INFO be trusted: a field not listed as
``Dynamic`` is exactly what the built wheel will say. So an sdist whose PKG-INFO is 2.2 or newer
and does not mark Requires-Dist or Requires-Python dynamic is read statically. Anything else
needs a build, which runs the project's code: lockctl refuses unless the user allowed it.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from packaging.version import Version

from lockctl.index.coremeta import CoreMetadata, MetadataParseError, parse_core_metadata
from lockctl.index.wheelzip import WheelFormatError, read_member_from_bytes

__all__ = ["NeedsBuild", "build_metadata", "read_static_metadata"]

_RESOLUTION_FIELDS = ("requires-dist", "requires-python")


class NeedsBuild(Exception):
    """The sdist has no static metadata; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def read_static_metadata(filename: str, data: bytes) -> CoreMetadata:
    """Static core metadata of the sdist ``data``, or NeedsBuild."""
    pkg_info = _pkg_info(filename, data)
    if pkg_info is None:
        raise NeedsBuild("it has no top-level PKG-INFO")
    try:
        metadata = parse_core_metadata(pkg_info)
    except MetadataParseError as exc:
        raise NeedsBuild(f"its PKG-INFO cannot be read ({exc})") from None
    if Version(metadata.metadata_version) < Version("2.2"):
        raise NeedsBuild(
            f"its PKG-INFO is Metadata-Version {metadata.metadata_version}, "
            "older than 2.2, so its dependencies are not known without a build"
        )
    dynamic = [field for field in _RESOLUTION_FIELDS if field in metadata.dynamic]
    if dynamic:
        raise NeedsBuild(f"its PKG-INFO marks {', '.join(dynamic)} as Dynamic")
    return metadata


def _pkg_info(filename: str, data: bytes) -> bytes | None:
    """PKG-INFO at ``{name}-{version}/PKG-INFO``, the one place the sdist spec puts it."""
    import tarfile  # sdists are rare next to wheels; keep their modules off the common path
    import zipfile

    try:
        if filename.endswith(".zip"):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = [n for n in archive.namelist() if n.count("/") == 1]
                member = next((n for n in names if n.endswith("/PKG-INFO")), None)
                return None if member is None else archive.read(member)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as archive:
            for info in archive:
                parts = info.name.strip("./").split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO" and info.isfile():
                    handle = archive.extractfile(info)
                    return None if handle is None else handle.read()
    except (tarfile.TarError, zipfile.BadZipFile, OSError, EOFError):
        return None
    return None


def build_metadata(filename: str, data: bytes) -> CoreMetadata:
    """Build a wheel from the sdist with pip, run as a program, and read its METADATA.

    Only called when the user allowed builds: it runs the project's build backend on this host.
    """
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="lockctl-build-") as scratch:
        source = Path(scratch) / filename
        source.write_bytes(data)
        wheels = Path(scratch) / "wheels"
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels)]
        result = subprocess.run(
            [*command, str(source)], capture_output=True, text=True, check=False
        )
        built = sorted(wheels.glob("*.whl")) if wheels.is_dir() else []
        if result.returncode != 0 or not built:
            last = (result.stderr.strip().splitlines() or ["no output"])[-1]
            raise NeedsBuild(f"building it failed: {last}")
        try:
            return parse_core_metadata(read_member_from_bytes(built[0].read_bytes()))
        except (WheelFormatError, MetadataParseError) as exc:
            raise NeedsBuild(f"the wheel built from it has no readable METADATA ({exc})") from None
