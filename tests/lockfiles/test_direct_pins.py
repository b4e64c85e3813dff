"""A ``name @ URL`` line of a lock read back as a pin by URL (``LockedDirectPin``).

The lock text is written as pip-compile writes such a pin (the URL, then ``# via``; hashes
after a `` \\`` continuation); URLs use a reserved host, nothing is fetched.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from lockctl.lockfiles import LockedDirectPin, LockedRoot, parse_lockfile
from lockctl.lockfiles.quickscan import quick_pins_digest
from lockctl.ops.fingerprint import pins_digest

HOST = "https://files.example.invalid/packages"
WHEEL = f"{HOST}/alpha-1.0-py3-none-any.whl"
HASH = "a" * 64

LOCK = (
    f"alpha[fast] @ {WHEEL} ; python_version >= '3.8' \\\n"
    f"    --hash=sha256:{HASH}\n"
    "    # via -r requirements.in\n"
    "beta==2.0 \\\n"
    f"    --hash=sha256:{'b' * 64}\n"
    "    # via\n"
    "    #   alpha\n"
    "    #   gamma\n"
    f"gamma @ git+{HOST}/gamma.git@v1.2\n"
    "    # via -r requirements.in\n"
    "-e ./delta\n"
)


def read(text: str = LOCK) -> tuple[LockedDirectPin, ...]:
    return parse_lockfile(text, path=Path("requirements.txt"), environ={}).direct


def test_a_url_line_is_a_pin_by_url_with_its_via_lines_and_hashes() -> None:
    locked = parse_lockfile(LOCK, path=Path("requirements.txt"), environ={})
    alpha = locked.get_direct("Alpha")
    assert alpha is not None
    assert alpha.url == WHEEL  # as written
    assert alpha.version == Version("1.0")  # from the wheel's file name
    assert alpha.extras == {"fast"}
    assert str(alpha.marker) == 'python_version >= "3.8"'
    assert alpha.hashes == (f"sha256:{HASH}",)
    assert alpha.roots == (LockedRoot(kind="requirement", path="requirements.in"),)
    assert alpha.source.line == 1
    beta = locked.get("beta")
    assert beta is not None and beta.parents == ("alpha", "gamma")
    assert [pin.name for pin in locked.pins] == ["beta"]
    assert locked.get("alpha") is None  # not a name==version pin
    assert locked.pinned_names() == {"alpha", "beta", "gamma"}
    # -e stays apart: the lock cannot say what it pins
    assert [entry.editable_target for entry in locked.unpinned] == ["./delta"]


def test_a_repository_has_no_version_until_built() -> None:
    gamma = next(pin for pin in read() if pin.name == "gamma")
    assert gamma.url == f"git+{HOST}/gamma.git@v1.2"
    assert gamma.version is None
    assert gamma.parents == () and gamma.hashes == ()


@pytest.mark.parametrize(
    ("url", "version"),
    [
        (f"{HOST}/alpha-2.1.tar.gz", Version("2.1")),
        (f"{HOST}/alpha-2.1.zip#sha256={HASH}", Version("2.1")),
        (f"{HOST}/alpha-3.0-cp311-cp311-manylinux_2_17_x86_64.whl", Version("3.0")),
        (f"{HOST}/omega-1.0-py3-none-any.whl", None),  # another project's file: not trusted
        (f"{HOST}/alpha-latest.whl", None),  # not a wheel file name
    ],
)
def test_the_version_is_the_file_names(url: str, version: Version | None) -> None:
    [alpha] = read(f"alpha @ {url}\n")
    assert alpha.version == version


def test_a_directory_has_no_version(tmp_path: Path) -> None:
    [alpha] = read(f"alpha @ {tmp_path.as_uri()}\n")
    assert alpha.version is None and alpha.url == tmp_path.as_uri()


def test_the_digest_of_a_lock_with_url_pins_covers_the_url() -> None:
    locked = parse_lockfile(LOCK, path=Path("requirements.txt"), environ={})
    digest = pins_digest(locked.pins, locked.unpinned, locked.direct)
    edited = parse_lockfile(
        LOCK.replace("alpha-1.0-", "alpha-1.1-"), path=Path("requirements.txt"), environ={}
    )
    assert pins_digest(edited.pins, edited.unpinned, edited.direct) != digest
    assert quick_pins_digest(LOCK) is None  # the line scan leaves such a lock to the reader


def full_digest(text: str) -> str:
    locked = parse_lockfile(text, path=Path("requirements.txt"), environ={})
    return pins_digest(locked.pins, locked.unpinned, locked.direct)


@pytest.mark.parametrize(
    "text",
    [
        LOCK.replace("-e ./delta\n", ""),
        f"alpha @ {WHEEL}#sha256={HASH}\nbeta==2.0\n",
        f"Alpha[fast,cli] @ {WHEEL}  ;  python_version>='3.8' \\\n    --hash=sha256:{HASH}\n",
        f"zeta @ git+{HOST}/z.git@main#subdirectory=sub\nalpha==1.0\n",
    ],
)
def test_the_line_scan_reads_url_pins_as_the_reader_does(text: str) -> None:
    # check's fast path: the scan's digest of a lock in sync must be the reader's, or check
    # would call a lock with a URL pin edited by hand after any change of its inputs.
    quick = quick_pins_digest(text)
    assert quick is not None
    assert quick == full_digest(text)
    edited = text.replace("alpha", "alpha2", 1)
    assert quick_pins_digest(edited) != quick


@pytest.mark.parametrize(
    "line",
    [
        f"alpha @ {WHEEL}  # via -r requirements.in",  # pip-tools' line annotation style
        "alpha @ https://${HOST}/alpha-1.0-py3-none-any.whl",  # pip expands ${VAR}
        f"alpha @ {WHEEL} --hash=sha256:{HASH}",  # an option on the line
        f"{WHEEL}",  # a bare URL: not a pin the scan knows
    ],
)
def test_the_line_scan_leaves_other_url_lines_to_the_reader(line: str) -> None:
    assert quick_pins_digest(f"beta==2.0\n{line}\n") is None
