"""The ``# lockctl:`` line in a lock's header: what decided the lock, as digests.

``lockctl compile`` writes one comment line at the end of the pip-tools header::

    # lockctl: v1 target=3.11/linux_x86_64 inputs=3f1c0a9e2b7d4c55 overrides=e3b0c44298fc1c14
    #   options=9a1f... pins=5d2e... files=requirements-core.in:1a2b3c4d5e6f,requirements.in:...

(on one line in the file). ``target`` is the Python and platform the lock is for; ``files``
each file of the ``-r``/``-c`` include graph of the lock's input, relative to the lock's
directory (percent-encoded), with a digest of its requirement, option and include lines
(comments and blank lines do not count); ``inputs`` a digest of all of those together;
``overrides`` of the overrides that applied; ``options`` of the options that change the
resolution (``--pre``); ``pins`` of the pins written (name, version, hashes). A comment line
survives pip-tools, pip and update bots, which read past comments.

``lockctl check`` compares these with the inputs as they are now, offline: the digests are
sha256, cut to 16 hex digits (12 for a file): enough to tell an edit, not a security claim.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from lockctl.errors import RequirementsFileError, SourceSpan

__all__ = ["DIGEST_PREFIX", "LockDigest", "digest_of", "find_digest", "format_digest"]

DIGEST_PREFIX = "# lockctl: "
_VERSION = "v1"
_KEYS = ("target", "inputs", "overrides", "options", "pins", "files")


def digest_of(parts: Iterable[str], *, length: int = 16) -> str:
    """sha256 of the parts, each ended by a newline, cut to ``length`` hex digits."""
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode("utf-8"))
        hasher.update(b"\n")
    return hasher.hexdigest()[:length]


@dataclass(frozen=True, slots=True, kw_only=True)
class LockDigest:
    target: str  # "3.11/linux_x86_64"
    inputs: str
    overrides: str
    options: str
    pins: str
    files: tuple[tuple[str, str], ...]  # (path relative to the lock's folder, digest)

    def to_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "inputs": self.inputs,
            "overrides": self.overrides,
            "options": self.options,
            "pins": self.pins,
            "files": {path: digest for path, digest in self.files},
        }


def format_digest(digest: LockDigest) -> str:
    """The header line, without its newline."""
    files = ",".join(f"{quote(path, safe='/')}:{value}" for path, value in digest.files)
    return (
        f"{DIGEST_PREFIX}{_VERSION} target={digest.target} inputs={digest.inputs} "
        f"overrides={digest.overrides} options={digest.options} pins={digest.pins} "
        f"files={files}"
    )


def find_digest(text: str, *, path: Path) -> LockDigest | None:
    """The digest line of a lock's header, or None when it has none (not written by lockctl).

    A line that starts like one but does not parse was edited by hand: that is bad input.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.startswith("#"):
            if line.strip():
                return None  # past the header
            continue
        if line.startswith(DIGEST_PREFIX):
            return _parse(line, path=path, number=number)
    return None


def _parse(line: str, *, path: Path, number: int) -> LockDigest:
    words = line[len(DIGEST_PREFIX) :].split(" ")
    fields = dict(word.partition("=")[::2] for word in words[1:])
    if words[0] != _VERSION or set(fields) != set(_KEYS) or not all(fields.values()):
        raise _bad(line, path=path, number=number)
    if not all(_is_hex(fields[key], 16) for key in ("inputs", "overrides", "options", "pins")):
        raise _bad(line, path=path, number=number)
    files: list[tuple[str, str]] = []
    for item in fields["files"].split(","):
        name, _, value = item.rpartition(":")
        if not name or not _is_hex(value, 12):
            raise _bad(line, path=path, number=number)
        files.append((unquote(name), value))
    return LockDigest(
        target=fields["target"],
        inputs=fields["inputs"],
        overrides=fields["overrides"],
        options=fields["options"],
        pins=fields["pins"],
        files=tuple(files),
    )


def _is_hex(value: str, length: int) -> bool:
    return len(value) == length and all(c in "0123456789abcdef" for c in value)


def _bad(line: str, *, path: Path, number: int) -> RequirementsFileError:
    return RequirementsFileError(
        "the lockctl digest line was edited by hand or is damaged",
        span=SourceSpan(path=path, line=number, column=1, text=line, length=len(line)),
        hint="compile the lock again: lockctl compile",
    )
