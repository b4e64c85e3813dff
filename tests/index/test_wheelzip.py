"""Reading METADATA out of zip files, including ZIP64 and odd layouts."""

from __future__ import annotations

import io
import zipfile

import pytest

from lockctl.index.wheelzip import WheelFormatError, read_member_from_bytes

METADATA = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nRequires-Dist: six\n"


def _zip(members: dict[str, bytes], *, force_zip64: bool = False, comment: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            with archive.open(name, "w", force_zip64=force_zip64) as handle:
                handle.write(data)
        archive.comment = comment
    return buffer.getvalue()


def test_reads_the_metadata_member() -> None:
    data = _zip({"demo/__init__.py": b"", "demo-1.0.dist-info/METADATA": METADATA})
    assert read_member_from_bytes(data) == METADATA


def test_reads_zip64_members_and_a_trailing_comment() -> None:
    data = _zip({"demo-1.0.dist-info/METADATA": METADATA}, force_zip64=True, comment=b"x" * 300)
    assert read_member_from_bytes(data) == METADATA


def test_a_nested_metadata_file_is_not_the_wheel_metadata() -> None:
    data = _zip({"vendor/other-1.0.dist-info/METADATA": METADATA})
    with pytest.raises(WheelFormatError, match="found 0"):
        read_member_from_bytes(data)


def test_not_a_zip() -> None:
    with pytest.raises(WheelFormatError, match="end-of-central-directory"):
        read_member_from_bytes(b"<html>not a wheel</html>")
