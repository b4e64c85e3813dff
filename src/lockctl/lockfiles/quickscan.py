"""An optimisation: the pins digest of a lock read by a line scan, for ``lockctl check``.

The plain way is ``parse_lockfile`` (the lossless requirements parser, with every position
kept for messages), then ``ops.fingerprint.pins_digest``. For a lock in sync, check needs only
the digest, and the full parse was most of check's run time on a project of five locks of
150 pins (``benchmarks/check.py`` measures check with and without locks to parse).

The scan knows the lines lockctl writes: comments, index options, ``name==version`` pins with
an optional marker, ``name @ URL`` pins (read by ``packaging`` as the parser reads them, so
their text is the one ``pins_digest`` takes), and ``--hash`` continuation lines. On any other
line (an ``-e``, a ``${VAR}`` to expand, a comment after a URL) it gives up (None) and the
caller parses the lock properly, so it can never call an edited lock in sync: an edit either
changes the digest or makes the scan give up.
"""

from __future__ import annotations

import re

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from lockctl.lockfiles.digest import digest_of

__all__ = ["quick_pins_digest"]

_PIN = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[A-Za-z0-9._,-]*\])?==([^\s;\\]+)(?: ?;[^\\]*)?"
)
_AFTER_URL = re.compile(r"\s(?:#|-)")
_OPTIONS = (
    "--index-url ",
    "--extra-index-url ",
    "--find-links ",
    "--trusted-host ",
    "--no-binary ",
    "--only-binary ",
    "--pre",
    "--no-index",
)


def quick_pins_digest(text: str) -> str | None:
    pins: list[tuple[str, str, list[str]]] = []  # (name, version, hashes)
    by_url: list[tuple[str, list[str]]] = []  # (requirement, hashes)
    last: list[str] | None = None  # the hashes of the line above
    for raw in text.splitlines():
        line = raw.strip().removesuffix("\\").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            if last is None:
                return None
            last.append(line.removeprefix("--hash="))
            continue
        if line.startswith(_OPTIONS):
            continue
        match = _PIN.fullmatch(line)
        if match is None:
            direct = _direct(line)
            if direct is None:
                return None
            by_url.append((direct, last := []))
            continue
        try:
            version = str(Version(match[2]))
        except InvalidVersion:
            return None
        pins.append((canonicalize_name(match[1]), version, last := []))
    pins.sort(key=lambda pin: pin[0])
    lines = [
        f"{name}=={version} {' '.join(sorted(hashes))}".rstrip() for name, version, hashes in pins
    ]
    others = [
        f"{requirement} {' '.join(sorted(hashes))}".rstrip() for requirement, hashes in by_url
    ]
    return digest_of([*lines, *sorted(others)])


def _direct(line: str) -> str | None:
    """A ``name @ URL`` line's requirement as packaging prints it, or None for any line the
    requirements parser might read otherwise: ``$`` (``${VAR}`` expansion), a comment or an
    option after the URL (pip: ``#`` after whitespace starts a comment)."""
    if " @ " not in line or "$" in line or _AFTER_URL.search(line):
        return None
    try:
        requirement = Requirement(line)
    except InvalidRequirement:
        return None
    return str(requirement) if requirement.url else None
