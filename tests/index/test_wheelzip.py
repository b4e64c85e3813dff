"""Reading METADATA out of zip files, including ZIP64 and odd layouts."""

from __future__ import annotations

import io
import zipfile

import pytest

from lockctl.index import wheelzip
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


def _zip_with_extra(members: dict[str, bytes], extra: bytes) -> bytes:
    """Like ``_zip``, with ``extra`` in the central directory's extra field of every entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            info.extra = (0xCAFE).to_bytes(2, "little") + len(extra).to_bytes(2, "little") + extra
            archive.writestr(info, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "extra"),
    [
        # names that contain the suffix without being the wheel's METADATA
        ({"demo-1.0.dist-info/METADATA.orig": b"no", "demo-1.0.dist-info/METADATA": METADATA}, b""),
        ({"x/y.dist-info/METADATA": b"no", "demo-1.0.dist-info/METADATA": METADATA}, b""),
        # the suffix in another field, and a header signature inside it: the slow path decides
        ({"demo/a.py": b"", "demo-1.0.dist-info/METADATA": METADATA}, b".dist-info/METADATA"),
        ({"demo-1.0.dist-info/METADATA": METADATA}, b"PK\x01\x02.dist-info/METADATA"),
    ],
    ids=["longer-name", "nested-name", "in-extra-field", "signature-in-extra-field"],
)
def test_names_and_fields_that_look_like_metadata(members: dict[str, bytes], extra: bytes) -> None:
    assert read_member_from_bytes(_zip_with_extra(members, extra)) == METADATA


def test_two_metadata_members_are_refused() -> None:
    data = _zip({"a-1.0.dist-info/METADATA": METADATA, "b-1.0.dist-info/METADATA": METADATA})
    with pytest.raises(WheelFormatError, match="found 2"):
        read_member_from_bytes(data)


def test_a_large_directory_is_not_read_entry_by_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    members = {f"demo/module_{i}.py": b"pass\n" for i in range(3000)}
    data = _zip(
        {**members, "demo-1.0.dist-info/METADATA": METADATA, "demo-1.0.dist-info/RECORD": b""}
    )

    def every_entry(directory: bytes, entries: int) -> list[object]:
        raise AssertionError("the quick search should have found METADATA")

    monkeypatch.setattr(wheelzip, "_members", every_entry)
    assert read_member_from_bytes(data) == METADATA
