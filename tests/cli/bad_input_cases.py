"""The bad-input corpus of ``test_bad_input.py``: each case is data run through the real CLI.

A case names the files to write into an empty working directory, the command line (after
``lockctl``), and what a demanding pip-tools or uv user expects: the exit code of the README
(0 ok, 1 conflict, 2 bad input, 3 index or network failure), text that stderr must hold (the
file and line, the argument, or the redacted URL), and the files the run may create. Every other
file of the directory must be byte-identical afterwards.

Placeholders, replaced in the command line, in text files, in the environment and in the
expected stderr: ``{index}`` the loopback index's simple URL, ``{host}`` its ``127.0.0.1:port``,
``{wheels}`` a find-links directory of the same wheels, ``{cache}`` the case's own cache
directory (outside the working directory), ``{work}`` the working directory.

``xfail`` marks a case that fails today (issue 14) with what is wrong; the expectation stays as
it should be, and the strict xfail turns into a failure once the fix lands.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

import pytest

from tests.support.faults import (
    Drip,
    Endless,
    Fault,
    Garbage,
    Hang,
    Reset,
    Status,
    Truncate,
    WrongHash,
)

__all__ = [
    "CASES",
    "LOCK",
    "TARGET",
    "Case",
    "FaultSpec",
    "IndexUse",
    "make_read_only",
    "undo_read_only",
]

Content = str | bytes
PathAction = Callable[[Path], None]
IndexUse = Literal["none", "shared", "own"]

_NOTHING: Mapping[str, Content] = MappingProxyType({})
_NO_LINKS: Mapping[str, str] = MappingProxyType({})
_NO_ENV: Mapping[str, str | None] = MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class FaultSpec:
    """A fault for the case's own index: ``IndexServer.inject(path_glob, fault, times=times)``."""

    path_glob: str
    fault: Fault
    times: int | None = None  # None: every matching request


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One command line on one directory, and what must come of it.

    ``stderr`` and ``not_in_stderr``: text that must (must not) be on stderr; ``files``,
    ``dirs`` and ``links``: what the working directory holds; ``writes``: the files the run
    must leave written (created, or replaced) and the only ones it may create.
    ``index``: "none" (no server; find-links or nothing), "shared" (the session's loopback
    index) or "own" (a fresh index for this case, with ``faults`` and ``range_support``).
    ``warm``: compile once against the index into ``{cache}`` first; ``damage`` then spoils
    that cache, and the run after the case's must find it sound again (or do without it).
    ``prepare`` runs on the working directory after its files are written; it may call
    ``pytest.skip`` when this machine cannot set the case up. ``max_stderr`` bounds the size
    of stderr in bytes. ``timeout``: seconds the run may take (a hang is a failure).
    """

    id: str
    argv: tuple[str, ...]
    exit: int
    stderr: tuple[str, ...] = ()
    not_in_stderr: tuple[str, ...] = ()
    files: Mapping[str, Content] = field(default_factory=dict)
    dirs: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)  # name -> where the link points
    env: Mapping[str, str | None] = field(default_factory=dict)
    writes: tuple[str, ...] = ()
    index: IndexUse = "none"
    faults: tuple[FaultSpec, ...] = ()
    range_support: bool = True
    auth: tuple[str, str] | None = None
    warm: bool = False
    damage: PathAction | None = None
    prepare: PathAction | None = None
    max_stderr: int | None = None
    timeout: float = 20.0
    xfail: str | None = None


# -- building blocks --------------------------------------------------------------------------

REQ = {"requirements.in": "app\n"}
# No index: the wheels of the find-links directory are enough to resolve every good input.
LOCAL = ("--no-index", "-f", "{wheels}")
TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")
LOCK = "requirements.txt"


def compile_in(*args: str) -> tuple[str, ...]:
    """``compile requirements.in ARGS`` on the find-links wheels, for Python 3.11 on Linux."""
    return ("compile", "requirements.in", *TARGET, *args, *LOCAL)


def reqfile(
    name: str,
    text: Content,
    *stderr: str,
    exit: int = 2,
    extra: Mapping[str, Content] = _NOTHING,
    xfail: str | None = None,
    max_stderr: int | None = None,
    dirs: tuple[str, ...] = (),
    timeout: float = 20.0,
) -> Case:
    """A requirements.in with ``text`` (and ``extra`` files) compiled with no index."""
    return Case(
        id=f"reqfile-{name}",
        argv=compile_in(),
        exit=exit,
        stderr=stderr,
        files={"requirements.in": text, **extra},
        dirs=dirs,
        xfail=xfail,
        max_stderr=max_stderr,
        writes=(LOCK,) if exit == 0 else (),
        timeout=timeout,
    )


def file_index(name: str, text: str, *stderr: str, xfail: str | None = None) -> Case:
    """A requirements.in whose index options are bad, compiled with no index option given:
    the file's own options are the ones in force (``--timeout 2``: a bad one is not waited on).
    """
    return Case(
        id=f"reqfile-{name}",
        argv=("compile", "requirements.in", "--timeout", "2", *TARGET),
        exit=2,
        stderr=stderr,
        files={"requirements.in": text},
        not_in_stderr=("hunter2",),
        xfail=xfail,
    )


def argv_case(
    name: str,
    argv: tuple[str, ...],
    *stderr: str,
    exit: int = 2,
    files: Mapping[str, Content] = REQ,
    xfail: str | None = None,
    writes: tuple[str, ...] = (),
    dirs: tuple[str, ...] = (),
    links: Mapping[str, str] = _NO_LINKS,
    env: Mapping[str, str | None] = _NO_ENV,
) -> Case:
    return Case(
        id=f"argv-{name}",
        argv=argv,
        exit=exit,
        stderr=stderr,
        files=files,
        xfail=xfail,
        writes=writes,
        dirs=dirs,
        links=links,
        env=env,
    )


# -- requirements files -----------------------------------------------------------------------

FIVE_MB = 5 * 1024 * 1024

REQFILE_CASES = [
    # not PEP 508
    reqfile("single-equals", "six==1.0\nrich=13.7.0\n", "requirements.in:2:", "rich=13.7.0"),
    reqfile("specifier-without-version", "six==\n", "requirements.in:1:", "six=="),
    reqfile("unclosed-extras", "app[cli\n", "requirements.in:1:", "app[cli"),
    reqfile("extras-not-a-name", "app[-]\n", "requirements.in:1:"),
    reqfile("marker-cut-short", "six; python_version <\n", "requirements.in:1:"),
    reqfile("marker-unknown-variable", 'six; colour == "blue"\n', "requirements.in:1:"),
    reqfile("marker-without-operator", "six; python_version\n", "requirements.in:1:"),
    reqfile("two-names", "six app\n", "requirements.in:1:", "six app"),
    reqfile("compatible-release-one-part", "six~=1\n", "requirements.in:1:", "six~=1"),
    reqfile("triple-equals-empty", "six===\n", "requirements.in:1:"),
    reqfile("wildcard-after-greater", "six>=1.*\n", "requirements.in:1:", "six>=1.*"),
    reqfile("double-comma", "six>=1,,<2\n", "requirements.in:1:"),
    reqfile("name-starts-with-dot", ".six==1\n", "requirements.in:1:"),
    reqfile("at-without-url", "six @\n", "requirements.in:1:"),
    reqfile("bare-url", "https://example.invalid/six/\n", "requirements.in:1:"),
    reqfile("bare-wheel-path", "./dist/six-1.0-py3-none-any.whl\n", "requirements.in:1:"),
    reqfile("undefined-variable", "six==${SIX_PIN}\n", "requirements.in:1:", "${SIX_PIN}"),
    reqfile("unclosed-quote", "six --config-settings 'a=b\n", "requirements.in:1:"),
    reqfile(
        "bad-line-after-continuation", "six==1.0 \\\n  ; python_version <\n", "requirements.in:2:"
    ),
    reqfile(
        "bad-line-deep-in-file", "# a\n\n# b\nsix\n\n\napp<<2\n", "requirements.in:7:", "app<<2"
    ),
    # options a requirements file may not hold, or holds wrongly
    reqfile("unknown-long-option", "--frobnicate\n", "requirements.in:1:1", "--frobnicate"),
    reqfile("unknown-short-option", "-x six\n", "requirements.in:1:1", "-x"),
    reqfile("option-typo", "--extra-index-urls http://127.0.0.1:9/\n", "requirements.in:1:1"),
    reqfile("unknown-option-after-requirement", "six --bogus\n", "requirements.in:1:5", "--bogus"),
    reqfile("flag-with-value", "--pre=yes\n", "requirements.in:1:1", "--pre"),
    reqfile("ambiguous-prefix", "--no-\n", "requirements.in:1:1", "--no-"),
    reqfile("global-option-after-requirement", "six --pre\n", "requirements.in:1:5", "--pre"),
    reqfile("stray-argument", "--pre six\n", "requirements.in:1:7", "six"),
    reqfile(
        "include-with-more",
        "-r other.in --pre\n",
        "requirements.in:1:",
        extra={"other.in": "six\n"},
    ),
    reqfile("option-missing-value", "-r\n", "requirements.in:1:1", "-r"),
    reqfile("trusted-host-missing-value", "--trusted-host\n", "requirements.in:1:1"),
    # hashes
    reqfile("hash-unknown-algorithm", "six --hash=md5:abc\n", "requirements.in:1:", "md5:abc"),
    reqfile("hash-empty-digest", "six --hash=sha256:\n", "requirements.in:1:"),
    reqfile("hash-without-colon", "six --hash=deadbeef\n", "requirements.in:1:", "deadbeef"),
    reqfile(
        "hash-on-its-own-line", "six==1.0\n--hash=sha256:" + "0" * 64 + "\n", "requirements.in:2:"
    ),
    reqfile("hash-missing-value", "six --hash\n", "requirements.in:1:5", "--hash"),
    # index options inside the file: no index on the command line, so the file's is used
    file_index(
        "index-url-not-a-url",
        "-i not-a-url\nsix\n",
        "requirements.in:1:",
        "not-a-url",
    ),
    file_index("index-url-empty", "--index-url=\nsix\n", "requirements.in:1:"),
    file_index("index-url-empty-quotes", "-i ''\nsix\n", "requirements.in:1:"),
    file_index(
        "index-url-ftp",
        "-i ftp://127.0.0.1/simple\nsix\n",
        "requirements.in:1:",
        "ftp://",
    ),
    file_index("index-url-no-host", "-i https:///simple\nsix\n", "requirements.in:1:"),
    reqfile("index-url-missing-value", "-i\nsix\n", "requirements.in:1:1", "-i"),
    file_index(
        "extra-index-url-not-a-url",
        "--extra-index-url nowhere\nsix\n",
        "requirements.in:1:",
        "nowhere",
    ),
    file_index(
        "index-url-plain-http-remote",
        "-i http://index.invalid/simple/\nsix\n",
        "http://index.invalid/simple/",
        "--trusted-host index.invalid",
    ),
    file_index(
        "index-url-credentials-redacted",
        "-i ftp://me:hunter2@127.0.0.1/simple\nsix\n",
        "requirements.in:1:",
        "me:****@",
    ),
    reqfile(
        "find-links-missing",
        "-f ./no-such-dir\nsix\n",
        "requirements.in:1:",
        "no-such-dir",
    ),
    reqfile(
        "remote-include",
        "-r https://me:pw@example.invalid/r.txt\n",
        "requirements.in:1:4",
        "me:****@",
    ),
    # includes
    reqfile("include-missing", "six\n-r missing.in\n", "requirements.in:2:", "missing.in"),
    reqfile("constraint-missing", "six\n-c missing.txt\n", "requirements.in:2:", "missing.txt"),
    reqfile(
        "include-missing-two-levels-down",
        "-r a.in\n",
        "a.in:2:",
        "gone.in",
        extra={"a.in": "six\n-r gone.in\n"},
    ),
    reqfile("include-is-a-directory", "-r sub\n", "requirements.in:1:", "sub", dirs=("sub",)),
    reqfile("constraint-is-a-directory", "-c sub\n", "requirements.in:1:", "sub", dirs=("sub",)),
    reqfile(
        "include-cycle",
        "-r a.in\n",
        "cycle",
        "b.in:1:",
        extra={"a.in": "-r b.in\n", "b.in": "-r a.in\n"},
    ),
    reqfile("include-itself", "six\n-r requirements.in\n", "cycle", "requirements.in:2:"),
    reqfile(
        "include-itself-other-spelling", "-c ./requirements.in\n", "cycle", "requirements.in:1:"
    ),
    reqfile(
        "constraint-cycle",
        "-c a.txt\nsix\n",
        "cycle",
        "a.txt:1:",
        extra={"a.txt": "-c requirements.in\n"},
    ),
    reqfile(
        "include-with-bad-line",
        "-r other.in\n",
        "other.in:2:",
        "six>>1",
        extra={"other.in": "app\nsix>>1\n"},
    ),
    reqfile(
        "include-not-utf8",
        "-r other.in\n",
        "other.in:2:",
        "0xff",
        extra={"other.in": b"six\n\xff\n"},
    ),
    reqfile(
        "include-a-wheel",
        "-r blob.whl\n",
        "blob.whl:1:",
        extra={"blob.whl": b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00\x01"},
    ),
    reqfile("include-empty-name", "-r ''\n", "requirements.in:1:"),
    reqfile("include-nul-in-name", "-r 'a\x00b.in'\n", "requirements.in:1:"),
    reqfile(
        "several-problems-at-once",
        "six==\n--bogus\napp\n-r nope.in\n",
        "requirements.in:1:",
        "requirements.in:2:",
        "requirements.in:4:",
        "nope.in",
    ),
    # bytes that are not text
    reqfile("latin1-comment", b"six\n# caf\xe9\n", "requirements.in:2:", "0xe9"),
    reqfile("invalid-utf8-requirement", b"six\napp\xff\n", "requirements.in:2:", "0xff"),
    reqfile("utf16-without-bom", "six\n".encode("utf-16-le"), "requirements.in:1:"),
    reqfile("nul-byte", b"six\x00\n", "requirements.in:1:"),
    reqfile("nul-byte-line-3", b"six\n\napp\x00==1\n", "requirements.in:3:"),
    reqfile("only-nul-bytes", b"\x00" * 64, "requirements.in:1:"),
    reqfile("lone-surrogate-bytes", b"six\n# \xed\xa0\x80\n", "requirements.in:2:"),
    reqfile(
        "five-megabyte-bad-line",
        "six\napp==1.0 " + "!" * FIVE_MB + "\n",
        "requirements.in:2:",
        max_stderr=64 * 1024,
        timeout=15,
    ),
    reqfile(
        "five-megabyte-name",
        "six\n" + "a" * FIVE_MB + "==1\n",
        "requirements.in:2:",
        max_stderr=64 * 1024,
        timeout=15,
    ),
    reqfile("utf8-bom-is-fine", b"\xef\xbb\xbfapp\n", exit=0),
    # editable and direct references
    reqfile("editable-not-a-project", "-e ./nothing-here\n", "requirements.in:1:", "nothing-here"),
    reqfile(
        "editable-bad-egg",
        "-e git+https://example.invalid/y.git#egg=bad!name\n",
        "requirements.in:1:",
    ),
    reqfile("two-editables", "-e ./a -e ./b\n", "requirements.in:1:"),
    reqfile("editable-missing-value", "-e\n", "requirements.in:1:1", "-e"),
    reqfile(
        "direct-url-missing-file",
        f"six @ {Path('/nonexistent-lockctl-test/six-1.0-py3-none-any.whl').as_uri()}\n",
        "requirements.in:1:",
        "nonexistent-lockctl-test",
    ),
    # well formed, but nothing satisfies it
    reqfile("unknown-project", "six\nnosuchproject\n", "nosuchproject", "requirements.in line 2"),
    reqfile(
        "version-that-does-not-exist", "six==9.9\n", "six==9.9", "requirements.in line 1", exit=1
    ),
    reqfile(
        "two-pins-disagree",
        "six==1.0\nsix==1.1\n",
        "requirements.in line 1",
        "requirements.in line 2",
        exit=1,
    ),
    reqfile(
        "include-and-file-disagree",
        "-r core.in\nsix==1.0\n",
        "core.in line 1",
        "requirements.in line 2",
        exit=1,
        extra={"core.in": "six==1.1\n"},
    ),
]

# -- command-line arguments ---------------------------------------------------------------------

ARGV_CASES = [
    # unknown, misspelt or abbreviated options: long options are never abbreviated
    argv_case("unknown-option", compile_in("--frobnicate"), "--frobnicate"),
    argv_case("abbreviated-extra-index-url", compile_in("--extra", "dev"), "--extra"),
    argv_case("abbreviated-output-file", compile_in("--out", "x.txt"), "--out"),
    argv_case("abbreviated-output", compile_in("--output", "x.txt"), "--output"),
    argv_case("abbreviated-generate-hashes", compile_in("--generate"), "--generate"),
    argv_case("abbreviated-upgrade-package", compile_in("--upgrade-pack", "six"), "--upgrade-pack"),
    argv_case("abbreviated-python-version", compile_in("--python", "3.11"), "--python"),
    argv_case("abbreviated-index-url", compile_in("--index", "{index}"), "--index"),
    argv_case("abbreviated-no-emit", compile_in("--no-emit"), "--no-emit"),
    argv_case("abbreviated-global-verbose", ("--verb", *compile_in()), "--verb"),
    argv_case("abbreviated-global-debug", ("--deb", *compile_in()), "--deb"),
    argv_case("abbreviated-inputs-option", ("inputs", "requirements.in", "--constr"), "--constr"),
    argv_case("abbreviated-override-lock", ("override", "add", "six", "--lo", "x.txt"), "--lo"),
    argv_case(
        "pip-compile-only-option",
        compile_in("--cert", "ca.pem"),
        "--cert is not supported by lockctl compile",
        "PIP_CERT",
    ),
    argv_case("unknown-command", ("compil", "requirements.in"), "compil"),
    argv_case("no-command", (), "COMMAND"),
    argv_case("option-missing-value", ("compile", "requirements.in", "-o"), "-o"),
    argv_case("metadata-without-requirements", ("metadata", *LOCAL), "REQUIREMENT"),
    # --python-version
    argv_case("python-version-empty", compile_in("--python-version", ""), "Python version"),
    argv_case("python-version-word", compile_in("--python-version", "three"), "three"),
    argv_case("python-version-major-only", compile_in("--python-version", "3"), "'3'"),
    argv_case("python-version-python-2", compile_in("--python-version", "2.7"), "2.7"),
    argv_case("python-version-no-dot", compile_in("--python-version", "311"), "311"),
    argv_case("python-version-double-dot", compile_in("--python-version", "3..11"), "3..11"),
    argv_case("python-version-wildcard", compile_in("--python-version", "3.11.x"), "3.11.x"),
    argv_case("python-version-negative", compile_in("--python-version=-3.11"), "-3.11"),
    argv_case("python-version-shell", compile_in("--python-version", "3.11;true"), "3.11;true"),
    argv_case(
        "metadata-python-version-bad",
        ("metadata", "six", "--python-version", "three", *LOCAL),
        "three",
    ),
    # --platform
    argv_case("platform-unknown", compile_in("--platform", "solaris_sparc"), "solaris_sparc"),
    argv_case("platform-empty", compile_in("--platform", ""), "--platform"),
    argv_case("platform-wheel-tag", compile_in("--platform", "manylinux2014_x86_64"), "manylinux"),
    argv_case("platform-wrong-case", compile_in("--platform", "Linux_X86_64"), "Linux_X86_64"),
    # --override, --override-file, -P
    argv_case("override-not-a-requirement", compile_in("--override", "six>>1"), "six>>1"),
    argv_case("override-empty", compile_in("--override", ""), "--override"),
    argv_case("override-an-option", compile_in("--override", "-r other.in"), "-r other.in"),
    argv_case(
        "override-bare-url",
        compile_in("--override", "https://x.invalid/a.whl"),
        "https://x.invalid/a.whl",
    ),
    argv_case(
        "overrides-conflict",
        compile_in("--override", "six==1.0", "--override", "six==1.1"),
        "six",
    ),
    argv_case(
        "overrides-conflict-spelling",
        compile_in("--override", "SIX==1.0", "--override", "six==1.1"),
        "six",
    ),
    argv_case("override-file-missing", compile_in("--override-file", "nope.txt"), "nope.txt"),
    argv_case(
        "override-file-directory", compile_in("--override-file", "sub"), "sub", dirs=("sub",)
    ),
    argv_case(
        "override-file-bad-line",
        compile_in("--override-file", "overrides.txt"),
        "overrides.txt:2:",
        files={**REQ, "overrides.txt": "six==1.0\nsix>>2\n"},
    ),
    argv_case(
        "override-file-not-utf8",
        compile_in("--override-file", "overrides.txt"),
        "overrides.txt:1:",
        files={**REQ, "overrides.txt": b"six\xff==1.0\n"},
    ),
    argv_case(
        "override-file-conflicts-with-option",
        compile_in("--override-file", "overrides.txt", "--override", "six==1.1"),
        "six",
        files={**REQ, "overrides.txt": "six==1.0\n"},
    ),
    argv_case("upgrade-package-empty", compile_in("-P", ""), "-P"),
    argv_case("upgrade-package-no-name", compile_in("-P", "==1.0"), "==1.0"),
    argv_case("upgrade-package-no-version", compile_in("-P", "six=="), "six=="),
    argv_case("upgrade-package-bad-name", compile_in("--upgrade-package", "six!"), "six!"),
    # --index-url and friends
    argv_case(
        "index-url-empty",
        ("compile", "requirements.in", "--index-url", "", "--timeout", "2", *TARGET),
        "--index-url",
    ),
    argv_case(
        "index-url-not-a-url",
        ("compile", "requirements.in", "--index-url", "not-a-url", *TARGET),
        "not-a-url",
    ),
    argv_case(
        "index-url-ftp",
        ("compile", "requirements.in", "--index-url", "ftp://x/simple", *TARGET),
        "ftp://x/simple",
    ),
    argv_case(
        "index-url-no-host",
        ("compile", "requirements.in", "--index-url", "http:///simple", *TARGET),
        "http:///simple",
    ),
    argv_case(
        "index-url-bad-port",
        ("compile", "requirements.in", "--index-url", "http://127.0.0.1:99999/simple", *TARGET),
        "99999",
    ),
    argv_case(
        "index-url-credentials-redacted",
        ("compile", "requirements.in", "-i", "ftp://me:hunter2@127.0.0.1/simple", *TARGET),
        "me:****@",
    ),
    Case(
        id="argv-extra-index-url-not-a-url",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--extra-index-url",
            "nowhere",
            *TARGET,
        ),
        exit=2,
        stderr=("nowhere",),
        files=REQ,
        index="shared",
    ),
    argv_case(
        "index-url-plain-http-remote",
        ("compile", "requirements.in", "-i", "http://index.invalid/simple", *TARGET),
        "--trusted-host index.invalid",
    ),
    argv_case(
        "find-links-missing-directory",
        ("compile", "requirements.in", "--no-index", "-f", "no-such-dir", *TARGET),
        "no-such-dir",
    ),
    argv_case(
        "find-links-empty",
        ("compile", "requirements.in", "--no-index", "-f", "", *TARGET),
        "--find-links",
    ),
    argv_case(
        "find-links-a-file",
        ("compile", "requirements.in", "--no-index", "-f", "requirements.in", *TARGET),
        "requirements.in",
    ),
    argv_case(
        "extra-index-url-empty",
        ("compile", "requirements.in", "--extra-index-url", "", *LOCAL, *TARGET),
        "--extra-index-url",
    ),
    argv_case(
        "cache-dir-empty",
        compile_in("--cache-dir", ""),
        "--cache-dir",
    ),
    argv_case(
        "metadata-index-url-not-a-url",
        ("metadata", "six", "--index-url", "not-a-url"),
        "not-a-url",
    ),
    # --jobs, --max-requests, --timeout
    argv_case("jobs-zero", compile_in("--jobs", "0"), "--jobs"),
    argv_case(
        "jobs-negative",
        compile_in("--jobs", "-1"),
        "--jobs",
    ),
    argv_case("jobs-word", compile_in("--jobs", "x"), "--jobs"),
    argv_case("jobs-fraction", compile_in("-j", "1.5"), "1.5"),
    argv_case(
        "max-requests-zero",
        compile_in("--max-requests", "0"),
        "--max-requests",
    ),
    argv_case("max-requests-word", compile_in("--max-requests", "many"), "many"),
    argv_case("timeout-zero", compile_in("--timeout", "0"), "--timeout"),
    argv_case("timeout-word", compile_in("--timeout", "x"), "--timeout"),
    argv_case("timeout-negative", compile_in("--timeout=-5"), "--timeout"),
    argv_case("timeout-nan", compile_in("--timeout", "nan"), "--timeout"),
    # --from-dockerfile
    argv_case(
        "dockerfile-missing",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
    ),
    argv_case(
        "dockerfile-directory",
        ("compile", "requirements.in", "--from-dockerfile", "docker", *LOCAL),
        "docker",
        dirs=("docker",),
    ),
    argv_case(
        "dockerfile-not-utf8",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": b"# \xff\xfe build\nFROM python:3.11-slim\n"},
    ),
    argv_case(
        "dockerfile-no-python",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": "FROM ubuntu:24.04\nRUN apt-get update\n"},
    ),
    argv_case(
        "dockerfile-empty",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": ""},
    ),
    argv_case(
        "dockerfile-python-latest",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": "FROM python:latest\n"},
    ),
    argv_case(
        "dockerfile-python-major-only",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": "FROM python:3\n"},
    ),
    argv_case(
        "dockerfile-python-2",
        ("compile", "requirements.in", "--from-dockerfile", "Dockerfile", *LOCAL),
        "Dockerfile",
        files={**REQ, "Dockerfile": "FROM python:2.7-slim\n"},
    ),
    argv_case(
        "dockerfile-and-python-version",
        (
            "compile",
            "requirements.in",
            "--from-dockerfile",
            "Dockerfile",
            "--python-version",
            "3.11",
            *LOCAL,
        ),
        "--python-version",
        files={**REQ, "Dockerfile": "FROM python:3.11\n"},
    ),
    # inputs and outputs named on the command line
    argv_case("input-missing", ("compile", "nope.in", *LOCAL), "nope.in"),
    argv_case("input-directory", ("compile", "reqs.in", *LOCAL), "reqs.in", dirs=("reqs.in",)),
    argv_case(
        "input-dangling-symlink",
        ("compile", "requirements.in", *LOCAL),
        "requirements.in",
        files={},
        links={"requirements.in": "gone.in"},
    ),
    argv_case(
        "input-symlink-loop",
        ("compile", "requirements.in", *LOCAL),
        "requirements.in",
        files={},
        links={"requirements.in": "requirements.in"},
    ),
    argv_case(
        "include-symlink-loop",
        compile_in(),
        "requirements.in:1:",
        "loop.in",
        files={"requirements.in": "-r loop.in\n"},
        links={"loop.in": "loop.in"},
    ),
    argv_case(
        "env-pip-index-url-not-a-url",
        ("compile", "requirements.in", *TARGET),
        "PIP_INDEX_URL",
        "not-a-url",
        env={"PIP_INDEX_URL": "not-a-url"},
    ),
    argv_case(
        "env-pip-extra-index-url-ftp",
        ("compile", "requirements.in", *LOCAL, *TARGET),
        "PIP_EXTRA_INDEX_URL",
        "ftp://127.0.0.1/simple",
        env={"PIP_EXTRA_INDEX_URL": "ftp://127.0.0.1/simple"},
    ),
    argv_case(
        "input-empty-name",
        ("compile", "", "-o", "out.txt", *LOCAL),
        "empty",
    ),
    argv_case(
        "input-not-utf8",
        compile_in(),
        "requirements.in:1:",
        files={"requirements.in": b"\xfe\xff\x00s\x00i\x00x\n"},
    ),
    argv_case(
        "several-inputs-without-output",
        ("compile", "requirements.in", "other.in", *LOCAL),
        "--output-file",
        files={**REQ, "other.in": "six\n"},
    ),
    argv_case(
        "txt-input-without-output",
        ("compile", "requirements.txt", *LOCAL),
        "--output-file",
        files={"requirements.txt": "six\n"},
    ),
    argv_case("inputs-command-missing-file", ("inputs", "nope.in"), "nope.in"),
    argv_case(
        "inputs-command-bad-line",
        ("inputs", "requirements.in"),
        "requirements.in:2:",
        files={"requirements.in": "six\napp[\n"},
    ),
    argv_case("metadata-bad-requirement", ("metadata", "six>>1", *LOCAL), "six>>1"),
    argv_case(
        "metadata-requirement-file-missing",
        ("metadata", "-r", "nope.in", *LOCAL),
        "nope.in",
    ),
    argv_case("format-unknown", compile_in("--format", "poetry"), "poetry"),
    argv_case(
        "json-empty-path",
        compile_in("--json", ""),
        "--json",
    ),
    argv_case(
        "jobs-valid-writes-the-lock",
        compile_in("--jobs", "1"),
        exit=0,
        writes=(LOCK,),
    ),
    # pip-compile's options (issue 13): accepted with its meaning, no-ops, or refused
    argv_case("allow-unsafe-writes-the-lock", compile_in("--allow-unsafe"), exit=0, writes=(LOCK,)),
    argv_case(
        "resolver-backtracking-no-op", compile_in("--resolver=backtracking"), exit=0, writes=(LOCK,)
    ),
    argv_case("resolver-legacy", compile_in("--resolver", "legacy"), "--resolver=backtracking"),
    argv_case("max-rounds-word", compile_in("--max-rounds", "many"), "--max-rounds", "many"),
    argv_case("newline-unknown", compile_in("--newline", "cr"), "--newline", "'cr'"),
    argv_case("annotation-style-unknown", compile_in("--annotation-style", "inline"), "inline"),
    argv_case("constraint-missing", compile_in("-c", "nope.txt"), "nope.txt"),
    argv_case("output-dash-writes-nothing", compile_in("-o", "-"), exit=0),
    argv_case("pip-args-no-binary", compile_in("--pip-args", "--no-binary :all:"), "--no-binary"),
    argv_case("pip-args-unknown", compile_in("--pip-args=--frobnicate"), "--frobnicate"),
    argv_case("pip-args-unsplittable", compile_in("--pip-args", "'open"), "--pip-args"),
    argv_case("config-missing", compile_in("--config", "nope.toml"), "nope.toml"),
    argv_case(
        "config-unknown-key",
        compile_in(),
        ".pip-tools.toml",
        "'frobnicate'",
        files={**REQ, ".pip-tools.toml": "[tool.pip-tools]\nfrobnicate = 1\n"},
    ),
    argv_case(
        "config-not-toml",
        compile_in(),
        "pyproject.toml",
        "TOML",
        files={**REQ, "pyproject.toml": "[tool.pip-tools\n"},
    ),
    argv_case(
        "no-input-for-output-file",
        ("compile", "-o", LOCK, *TARGET, *LOCAL),
        "requirements.in",
        files={},
    ),
]


# -- pyproject.toml ---------------------------------------------------------------------------

PROJECT_INPUTS = {
    "requirements-core.in": "six\n",
    "requirements-app.in": "-r requirements-core.in\napp\n",
}
# The project's settings: no index, the find-links wheels (written into the file by the case).
GOOD_SETTINGS = "".join(
    (
        'python-version = "3.11"\n',
        'platform = "linux_x86_64"\n',
        "no-index = true\n",
        'find-links = ["{wheels}"]\n',
    )
)


def lock_table(in_file: str, out_file: str | None = None) -> str:
    """A ``[[tool.lockctl.lock]]`` table, after a blank line."""
    text = f'\n[[tool.lockctl.lock]]\ninput = "{in_file}"\n'
    return text if out_file is None else f'{text}output = "{out_file}"\n'


GOOD_LOCKS = lock_table("requirements-core.in") + lock_table("requirements-app.in")


def project_case(
    name: str,
    pyproject: Content,
    *stderr: str,
    exit: int = 2,
    argv: tuple[str, ...] = ("compile",),
    extra: Mapping[str, Content] = _NOTHING,
    writes: tuple[str, ...] = (),
    xfail: str | None = None,
    dirs: tuple[str, ...] = (),
) -> Case:
    return Case(
        id=f"pyproject-{name}",
        argv=argv,
        exit=exit,
        stderr=stderr,
        files={"pyproject.toml": pyproject, **PROJECT_INPUTS, **extra},
        writes=writes,
        xfail=xfail,
        dirs=dirs,
    )


def settings(body: str, locks: str = GOOD_LOCKS) -> str:
    """``[tool.lockctl]`` with the good settings first, then ``body``, then the locks."""
    return f"[tool.lockctl]\n{GOOD_SETTINGS}{body}{locks}"


BOTH_LOCKS = ("requirements-core.txt", "requirements-app.txt")

PYPROJECT_CASES = [
    project_case("good-compiles", settings(""), exit=0, writes=BOTH_LOCKS),
    # wrong types: the key and its line
    project_case(
        "python-version-float",
        '[tool.lockctl]\npython-version = 3.11\nno-index = true\nfind-links = ["{wheels}"]\n',
        "pyproject.toml:2:",
        "tool.lockctl.python-version",
    ),
    project_case(
        "python-version-bad-text",
        settings("").replace('"3.11"', '"three"'),
        "pyproject.toml:2:",
        "three",
    ),
    project_case(
        "platform-integer",
        settings("").replace('"linux_x86_64"', "5"),
        "pyproject.toml:3:",
        "platform",
    ),
    project_case(
        "platform-unknown",
        settings("").replace("linux_x86_64", "beos_ppc"),
        "pyproject.toml:3:",
        "beos_ppc",
    ),
    project_case(
        "no-index-string",
        settings("").replace("no-index = true", 'no-index = "yes"'),
        "pyproject.toml:4:",
        "no-index",
    ),
    project_case(
        "generate-hashes-integer",
        settings("generate-hashes = 1\n"),
        "pyproject.toml:6:",
        "generate-hashes",
    ),
    project_case(
        "index-url-array", settings('index-url = ["{index}"]\n'), "pyproject.toml:6:", "index-url"
    ),
    project_case("index-url-empty", settings('index-url = ""\n'), "pyproject.toml:6:", "index-url"),
    project_case(
        "index-url-not-a-url",
        settings('index-url = "not-a-url"\n').replace("no-index = true\n", ""),
        "pyproject.toml",
        "not-a-url",
    ),
    project_case(
        "extra-index-url-string",
        settings('extra-index-url = "{index}"\n'),
        "pyproject.toml:6:",
        "extra-index-url",
    ),
    project_case(
        "find-links-integer-item",
        settings("").replace('["{wheels}"]', '["{wheels}", 7]'),
        "pyproject.toml:5:",
        "find-links",
    ),
    project_case(
        "trusted-host-table",
        settings("trusted-host = { host = 'x' }\n"),
        "pyproject.toml:6:",
        "trusted-host",
    ),
    project_case(
        "dockerfile-integer", settings("dockerfile = 3\n"), "pyproject.toml:6:", "dockerfile"
    ),
    project_case(
        "dockerfile-missing",
        settings('dockerfile = "Dockerfile.nope"\n').replace('python-version = "3.11"\n', ""),
        "pyproject.toml:5:",
        "Dockerfile.nope",
    ),
    project_case(
        "dockerfile-not-utf8",
        settings('dockerfile = "Dockerfile"\n').replace('python-version = "3.11"\n', ""),
        "Dockerfile",
        extra={"Dockerfile": b"FROM python:3.11\n# \xff\n"},
    ),
    project_case(
        "dockerfile-without-python",
        settings('dockerfile = "Dockerfile"\n').replace('python-version = "3.11"\n', ""),
        "Dockerfile",
        extra={"Dockerfile": "FROM alpine:3.20\n"},
    ),
    project_case(
        "dockerfile-is-a-directory",
        settings('dockerfile = "docker"\n').replace('python-version = "3.11"\n', ""),
        "pyproject.toml:5:",
        "docker",
        dirs=("docker",),
    ),
    project_case(
        "overrides-string", settings('overrides = "six==1.0"\n'), "pyproject.toml:6:", "overrides"
    ),
    project_case(
        "overrides-integer-item", settings("overrides = [1]\n"), "pyproject.toml:6:", "overrides"
    ),
    project_case(
        "overrides-bad-requirement",
        settings('overrides = ["six>>1"]\n'),
        "pyproject.toml:6:",
        "six>>1",
    ),
    project_case(
        "overrides-table-without-requirement",
        settings('overrides = [{ reason = "why" }]\n'),
        "pyproject.toml:6:",
        "requirement",
    ),
    project_case(
        "overrides-table-unknown-key",
        settings('overrides = [{ requirement = "six==1.0", reasn = "typo" }]\n'),
        "pyproject.toml:6:",
        "reasn",
    ),
    project_case(
        "overrides-twice-on-one-project",
        settings('overrides = [\n  "six==1.0",\n  "Six==1.1",\n]\n'),
        "pyproject.toml:8:",
        "six",
    ),
    project_case(
        "overrides-reason-integer",
        settings('overrides = [{ requirement = "six", reason = 5 }]\n'),
        "pyproject.toml:6:",
        "reason",
    ),
    # unknown keys and misplaced tables
    project_case(
        "unknown-key", settings("colour = 'blue'\n"), "pyproject.toml:6:", "tool.lockctl.colour"
    ),
    project_case(
        "underscore-spelling",
        settings('python_version = "3.11"\n'),
        "pyproject.toml:6:",
        "python-version",
    ),
    project_case(
        "every-problem-at-once",
        settings("colour = 1\ngenerate-hashes = 'no'\n"),
        "pyproject.toml:6:",
        "pyproject.toml:7:",
        "2 problems",
    ),
    project_case(
        "section-not-a-table", '[tool]\nlockctl = "yes"\n', "pyproject.toml:2:", "tool.lockctl"
    ),
    project_case(
        "lock-string",
        settings("", locks='lock = "requirements-core.in"\n'),
        "pyproject.toml:6:",
        "lock",
    ),
    project_case(
        "lock-integer-item", settings("", locks="lock = [1]\n"), "pyproject.toml:6:", "lock"
    ),
    project_case(
        "lock-without-input",
        settings("", locks='\n[[tool.lockctl.lock]]\noutput = "x.txt"\n'),
        "pyproject.toml:7:",
        "input",
    ),
    project_case(
        "lock-input-empty",
        settings("", locks='\n[[tool.lockctl.lock]]\ninput = ""\n'),
        "pyproject.toml:8:",
        "input",
    ),
    project_case(
        "lock-input-integer",
        settings("", locks="\n[[tool.lockctl.lock]]\ninput = 1\n"),
        "pyproject.toml:8:",
        "input",
    ),
    project_case(
        "lock-unknown-key",
        settings(
            "", locks='\n[[tool.lockctl.lock]]\ninput = "requirements-core.in"\noutptu = "x.txt"\n'
        ),
        "pyproject.toml:9:",
        "outptu",
    ),
    project_case(
        "lock-input-missing",
        settings("", locks=lock_table("requirements-gone.in")),
        "pyproject.toml:8:",
        "requirements-gone.in",
    ),
    project_case(
        "lock-input-directory",
        settings("", locks=lock_table("reqs.in")),
        "pyproject.toml:8:",
        "reqs.in",
        dirs=("reqs.in",),
    ),
    project_case(
        "lock-output-is-its-input",
        settings(
            "",
            locks=lock_table("requirements-core.in", "requirements-core.in"),
        ),
        "pyproject.toml:9:",
        "output",
    ),
    project_case(
        "lock-outputs-clash",
        settings(
            "",
            locks=lock_table("requirements-core.in", "same.txt")
            + lock_table("requirements-app.in", "same.txt"),
        ),
        "pyproject.toml:13:",
        "same.txt",
    ),
    project_case(
        "lock-outputs-clash-other-spelling",
        settings(
            "",
            locks=lock_table("requirements-core.in", "same.txt")
            + lock_table("requirements-app.in", "./sub/../same.txt"),
        ),
        "pyproject.toml:13:",
        "same.txt",
    ),
    project_case(
        "lock-output-is-another-locks-input",
        settings(
            "",
            locks=lock_table("requirements-core.in")
            + lock_table("requirements-app.in", "requirements-core.in"),
        ),
        "pyproject.toml:12:",
        "requirements-core.in",
    ),
    project_case(
        "lock-output-is-an-included-file",
        settings(
            "",
            locks=lock_table("requirements-app.in", "requirements-core.in"),
        ),
        "requirements-core.in",
    ),
    project_case(
        "lock-output-in-missing-directory",
        settings(
            "",
            locks=lock_table("requirements-core.in", "locks/core.txt"),
        ),
        "locks/core.txt",
    ),
    project_case(
        "layer-include-cycle",
        settings(""),
        "cycle",
        extra={"requirements-core.in": "six\n-r requirements-app.in\n"},
    ),
    project_case(
        "lock-input-bad-line",
        settings(""),
        "requirements-core.in:2:",
        extra={"requirements-core.in": "six\nsix>>1\n"},
    ),
    # the file itself
    project_case("invalid-toml", "[tool.lockctl\npython-version = '3.11'\n", "pyproject.toml:1"),
    project_case(
        "invalid-toml-unclosed-string", settings('index-url = "http://x\n'), "pyproject.toml:6"
    ),
    project_case(
        "duplicate-key",
        settings('python-version = "3.12"\n'),
        "pyproject.toml:6",
        "python-version",
    ),
    project_case(
        "duplicate-table",
        settings("") + '\n[tool.lockctl]\nplatform = "linux_x86_64"\n',
        "pyproject.toml:1",  # the header is on line 13 and its first key on 14
        "lockctl",
    ),
    project_case(
        "utf8-bom-is-fine",
        "\ufeff" + settings(""),  # written as UTF-8: the bytes EF BB BF first
        exit=0,
        writes=BOTH_LOCKS,
    ),
    project_case(
        "not-utf8", b"[tool.lockctl]\n# caf\xe9\n" + settings("").encode()[15:], "pyproject.toml"
    ),
    project_case(
        "nul-byte", settings("").replace("[tool.lockctl]", "[tool.lockctl]\x00"), "pyproject.toml"
    ),
    # the override command edits pyproject.toml: a bad file stays as it was
    project_case(
        "override-add-bad-requirement",
        settings(""),
        "six>>1",
        argv=("override", "add", "six>>1"),
    ),
    project_case(
        "override-add-unknown-lock",
        settings(""),
        "nope.txt",
        argv=("override", "add", "six==1.0", "--lock", "nope.txt"),
    ),
    project_case(
        "override-add-invalid-toml",
        "[tool.lockctl\n",
        "pyproject.toml:1",
        argv=("override", "add", "six==1.0"),
    ),
    project_case(
        "override-list-pyproject-is-a-directory",
        settings(""),
        "conf",
        argv=("override", "list", "--pyproject", "conf"),
        dirs=("conf",),
    ),
    project_case(
        "override-list-missing-pyproject",
        settings(""),
        "nope.toml",
        argv=("override", "list", "--pyproject", "nope.toml"),
    ),
    project_case(
        "override-add-duplicate-key",
        settings('python-version = "3.12"\n'),
        "pyproject.toml:6",
        argv=("override", "add", "six==1.0"),
    ),
]


# -- output paths -------------------------------------------------------------------------------


def output_case(
    name: str,
    args: tuple[str, ...],
    *stderr: str,
    exit: int = 2,
    files: Mapping[str, Content] = REQ,
    dirs: tuple[str, ...] = (),
    links: Mapping[str, str] = _NO_LINKS,
    writes: tuple[str, ...] = (),
    prepare: PathAction | None = None,
    xfail: str | None = None,
) -> Case:
    return Case(
        id=f"output-{name}",
        argv=compile_in(*args),
        exit=exit,
        stderr=stderr,
        files=files,
        dirs=dirs,
        links=links,
        writes=writes,
        prepare=prepare,
        xfail=xfail,
    )


_MADE_READ_ONLY: list[Path] = []
_READ_ONLY_LOCK = threading.Lock()  # cases run in parallel threads


def make_read_only(path: Path) -> None:
    """Make a directory refuse new files, even to root (``chattr +i``); undo with
    ``undo_read_only``. Skips the case where this machine cannot do it."""
    if os.geteuid() != 0:
        path.chmod(0o555)
    else:
        # Permission bits do not stop root; the immutable attribute does (ext4, xfs, btrfs).
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"running as root and cannot make {path} immutable: {done.stderr!r}")
    with _READ_ONLY_LOCK:
        _MADE_READ_ONLY.append(path)


def undo_read_only(under: Path) -> None:
    """Make writable again every directory below ``under`` that ``make_read_only`` locked."""
    with _READ_ONLY_LOCK:
        mine = [path for path in _MADE_READ_ONLY if path.is_relative_to(under)]
        _MADE_READ_ONLY[:] = [path for path in _MADE_READ_ONLY if path not in mine]
    for path in reversed(mine):
        if os.geteuid() != 0:
            path.chmod(0o755)
        else:
            subprocess.run(["chattr", "-i", str(path)], capture_output=True, check=True)


def _read_only_dir(name: str) -> PathAction:
    def prepare(work: Path) -> None:
        make_read_only(work / name)

    return prepare


OUTPUT_CASES = [
    output_case(
        "missing-directory",
        ("-o", "locks/requirements.txt"),
        "locks/requirements.txt",
    ),
    output_case(
        "is-a-directory",
        ("-o", "out"),
        "out",
        dirs=("out",),
    ),
    output_case(
        "default-output-is-a-directory",
        (),
        "requirements.txt",
        dirs=(LOCK,),
    ),
    output_case(
        "equals-the-input",
        ("-o", "requirements.in"),
        "requirements.in",
    ),
    output_case(
        "equals-the-input-other-spelling",
        ("-o", "./sub/../requirements.in"),
        "requirements.in",
        dirs=("sub",),
    ),
    output_case(
        "equals-an-included-file",
        ("-o", "core.in"),
        "core.in",
        files={"requirements.in": "-r core.in\napp\n", "core.in": "six\n"},
    ),
    output_case(
        "equals-a-constraints-file",
        ("-o", "constraints.txt"),
        "constraints.txt",
        files={"requirements.in": "-c constraints.txt\napp\n", "constraints.txt": "six<2\n"},
    ),
    output_case(
        "symlink-to-the-input",
        ("-o", "lock.txt"),
        "lock.txt",
        links={"lock.txt": "requirements.in"},
    ),
    output_case(
        "symlink-to-a-directory",
        ("-o", "lock.txt"),
        "lock.txt",
        dirs=("out",),
        links={"lock.txt": "out"},
    ),
    output_case(
        "equals-the-override-file",
        ("-o", "overrides.txt", "--override-file", "overrides.txt"),
        "overrides.txt",
        files={**REQ, "overrides.txt": "six==1.0\n"},
    ),
    output_case(
        "under-a-file",
        ("-o", "requirements.in/requirements.txt"),
        "requirements.in/requirements.txt",
    ),
    output_case(
        "empty",
        ("-o", ""),
        "--output-file",
    ),
    output_case(
        "json-in-missing-directory",
        ("--json", "out/resolution.json"),
        "out/resolution.json",
    ),
    output_case(
        "json-is-a-directory",
        ("--json", "out"),
        "out",
        dirs=("out",),
    ),
    output_case(
        "json-equals-the-input",
        ("--json", "requirements.in"),
        "requirements.in",
    ),
    output_case(
        "json-equals-the-lock",
        ("--json", "requirements.txt"),
        "requirements.txt",
    ),
    output_case(
        "read-only-directory",
        ("-o", "locked/requirements.txt"),
        "locked/requirements.txt",
        dirs=("locked",),
        prepare=_read_only_dir("locked"),
    ),
    output_case(
        "pylock-in-missing-directory",
        ("--format", "pylock", "-o", "locks/pylock.toml"),
        "locks/pylock.toml",
    ),
    # The previous lock is replaced by a fresh one: the one file that may change.
    output_case(
        "previous-lock-not-utf8-is-replaced",
        (),
        LOCK,
        exit=0,
        files={**REQ, LOCK: b"\xff\xfe\x00garbage\n"},
        writes=(LOCK,),
    ),
]


# -- locks read by check, reconcile and verify ------------------------------------------------

DIGEST = (
    "# lockctl: v1 target=3.11/linux_x86_64 inputs=c214fde169660e1e overrides=e3b0c44298fc1c14 "
    "options=e5d239f465a4f027 pins=333502f5116a24a7 files=requirements.in:8137cdb9f61c\n"
)


def locked(digest: str = DIGEST, pins: str = "app==1.0\n    # via -r requirements.in\n") -> str:
    """A lock as compile writes it: the header (its digest line is line 7), then ``pins``."""
    header = (
        "#\n# This file is autogenerated by pip-compile with Python 3.11\n"
        "# by the following command:\n#\n#    lockctl compile requirements.in\n#\n"
    )
    return f"{header}{digest}#\n{pins}six==1.1\n    # via app\n"


def lock_case(
    name: str,
    argv: tuple[str, ...],
    *stderr: str,
    lock: Content | None = None,
    files: Mapping[str, Content] = REQ,
    dirs: tuple[str, ...] = (),
    index: IndexUse = "none",
    env: Mapping[str, str | None] = _NO_ENV,
    xfail: str | None = None,
) -> Case:
    """``check``, ``reconcile`` or ``verify`` (the first word of ``name``) on a bad lock or
    bad arguments: exit 2, nothing written."""
    return Case(
        id=name,
        argv=argv,
        exit=2,
        stderr=stderr,
        files=files if lock is None else {**files, LOCK: lock},
        dirs=dirs,
        index=index,
        env=env,
        xfail=xfail,
    )


# No engine answers at this socket: bad input must be found before any engine is asked.
NO_ENGINE = {"DOCKER_HOST": "unix://{work}/no-engine.sock", "DOCKER_CONTEXT": None}
RECONCILE = ("reconcile", LOCK, "--input", "requirements.in", *TARGET, *LOCAL)

LOCK_CASES = [
    lock_case("check-lock-missing", ("check", "nope.txt"), "nope.txt"),
    lock_case(
        "check-lock-not-utf8",
        ("check", LOCK),
        "requirements.txt:1:",
        lock=b"\xff\xfeapp==1.0\n",
    ),
    lock_case(
        "check-lock-is-a-directory",
        ("check", "locks"),
        "locks",
        dirs=("locks",),
    ),
    lock_case(
        "check-digest-not-hex",
        ("check", LOCK),
        "requirements.txt:7",
        lock=locked(DIGEST.replace("inputs=c214fde169660e1e", "inputs=zzzz")),
    ),
    lock_case(
        "check-digest-cut-short",
        ("check", LOCK),
        "requirements.txt:7",
        lock=locked("# lockctl: v1 target=3.11/linux_x86_64\n"),
    ),
    lock_case(
        "check-digest-unknown-version",
        ("check", LOCK),
        "requirements.txt:7",
        lock=locked(DIGEST.replace(": v1 ", ": v99 ")),
    ),
    lock_case(
        "check-lock-bad-line",
        ("check", LOCK),
        "requirements.txt:9:",
        lock=locked(pins="app=1.0\n"),
    ),
    lock_case("check-format-unknown", ("check", LOCK, "--format", "yaml"), "yaml", lock=locked()),
    lock_case("check-abbreviated-option", ("check", LOCK, "--onl"), "--onl", lock=locked()),
    lock_case(
        "reconcile-pinned-twice",
        RECONCILE,
        "requirements.txt:11:",
        lock=locked(pins="app==1.0\nsix==1.0\n"),
    ),
    lock_case(
        "reconcile-pin-without-equals",
        RECONCILE,
        "requirements.txt:9:",
        lock=locked(pins="app>=1.0\n"),
    ),
    lock_case(
        "reconcile-line-does-not-parse",
        RECONCILE,
        "requirements.txt:9:",
        lock=locked(pins="app=1.0\n"),
    ),
    lock_case(
        "reconcile-lock-not-utf8",
        RECONCILE,
        "requirements.txt:2:",
        lock=b"app==1.0\n\xff\n",
    ),
    lock_case("reconcile-lock-missing", ("reconcile", "nope.txt", *LOCAL), "nope.txt"),
    lock_case(
        "reconcile-lock-is-a-directory", ("reconcile", "locks", *LOCAL), "locks", dirs=("locks",)
    ),
    lock_case("reconcile-no-lock", ("reconcile",), "LOCK"),
    lock_case(
        "reconcile-input-missing",
        ("reconcile", LOCK, "--input", "gone.in", *LOCAL),
        "gone.in",
        lock=locked(),
    ),
    lock_case(
        "reconcile-no-input-found",
        ("reconcile", "other.txt", *LOCAL),
        "other.txt",
        files={"other.txt": "app==1.0\n"},
    ),
    lock_case(
        "reconcile-bad-override",
        (*RECONCILE, "--override", "six>>1"),
        "six>>1",
        lock=locked(),
    ),
    lock_case(
        "reconcile-hash-of-no-file",
        ("reconcile", LOCK, "--input", "requirements.in", "-i", "{index}", *TARGET),
        "requirements.txt:10:",  # the --hash line
        lock=locked(pins="app==1.0 \\\n    --hash=sha256:" + "0" * 64 + "\n"),
        index="shared",
    ),
    lock_case(
        "verify-lock-missing",
        ("verify", "nope.txt", "--base-image", "python:3.11-slim"),
        "nope.txt",
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-lock-not-utf8",
        ("verify", LOCK, "--base-image", "python:3.11-slim"),
        "requirements.txt:1:",
        lock=b"\xff\xfe\n",
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-lock-bad-line",
        ("verify", LOCK, "--base-image", "python:3.11-slim"),
        "requirements.txt:9:",
        lock=locked(pins="app=1.0\n"),
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-build-arg-without-equals",
        ("verify", LOCK, "--dockerfile", "Dockerfile", "--build-arg", "FOO"),
        "FOO",
        lock=locked(),
        files={**REQ, "Dockerfile": "FROM python:3.11-slim\n"},
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-dockerfile-missing",
        ("verify", LOCK, "--dockerfile", "Missing.dockerfile"),
        "Missing.dockerfile",
        lock=locked(),
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-context-is-a-file",
        ("verify", LOCK, "--dockerfile", "Dockerfile", "--context", "requirements.in"),
        "requirements.in",
        lock=locked(),
        files={**REQ, "Dockerfile": "FROM python:3.11-slim\n"},
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-timeout-zero",
        ("verify", LOCK, "--base-image", "python:3.11-slim", "--timeout", "0"),
        "--timeout",
        lock=locked(),
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-sandbox-unknown",
        ("verify", LOCK, "--sandbox", "jail"),
        "jail",
        lock=locked(),
        env=NO_ENGINE,
    ),
    lock_case(
        "verify-abbreviated-option",
        ("verify", LOCK, "--base", "python:3.11-slim"),
        "--base",
        lock=locked(),
        env=NO_ENGINE,
    ),
]


# -- the cache --------------------------------------------------------------------------------


def _format_folders(cache: Path) -> list[Path]:
    """The folders named for a cache format (``v2``, ``v3``...): whatever the format is today,
    the damage goes where the entries are."""
    return sorted(p for p in cache.iterdir() if p.is_dir() and re.fullmatch(r"v\d+", p.name))


def _entries(cache: Path) -> list[Path]:
    """Every file in the format folders (not following links)."""
    return sorted(
        path
        for folder in _format_folders(cache)
        for path in folder.rglob("*")
        if path.is_file() and not path.is_symlink()
    )


def _kinds(cache: Path) -> list[Path]:
    """The folders right inside a format folder (one per kind of entry)."""
    return sorted(p for folder in _format_folders(cache) for p in folder.iterdir() if p.is_dir())


def _truncate(cache: Path) -> None:
    for entry in _entries(cache):
        data = entry.read_bytes()
        entry.write_bytes(data[: len(data) // 2])


def _empty(cache: Path) -> None:
    for entry in _entries(cache):
        entry.write_bytes(b"")


def _garbage(cache: Path) -> None:
    for entry in _entries(cache):
        entry.write_bytes(b"\x00\xff not a cache entry \xfe\n\n\n")


def _flip_last_byte(cache: Path) -> None:
    for entry in _entries(cache):
        data = bytearray(entry.read_bytes())
        data[-1] ^= 0x55
        entry.write_bytes(bytes(data))


def _nul_bytes(cache: Path) -> None:
    for entry in _entries(cache):
        entry.write_bytes(b"\x00" * entry.stat().st_size)


def _rotate(entries: list[Path]) -> None:
    """Each entry gets the content of the next: sound entries, each under another key."""
    contents = [entry.read_bytes() for entry in entries]
    for entry, content in zip(entries, contents[1:] + contents[:1], strict=True):
        entry.write_bytes(content)


def _swap_within_kinds(cache: Path) -> None:
    for kind in _kinds(cache):
        _rotate(sorted(p for p in kind.rglob("*") if p.is_file()))


def _swap_across_kinds(cache: Path) -> None:
    _rotate(_entries(cache))


def _entries_become_directories(cache: Path) -> None:
    for entry in _entries(cache):
        entry.unlink()
        entry.mkdir()
        (entry / "inside").write_text("x")


def _entries_become_dangling_links(cache: Path) -> None:
    for entry in _entries(cache):
        entry.unlink()
        entry.symlink_to(entry.with_name("gone"))


def _entries_become_link_loops(cache: Path) -> None:
    for entry in _entries(cache):
        entry.unlink()
        entry.symlink_to(entry.name)


def _folder_to_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_text("not a folder\n")


def _format_folder_is_a_file(cache: Path) -> None:
    for folder in _format_folders(cache):
        _folder_to_file(folder)


def _kind_folders_are_files(cache: Path) -> None:
    for kind in _kinds(cache):
        _folder_to_file(kind)


def _shard_folders_are_files(cache: Path) -> None:
    for kind in _kinds(cache):
        for shard in sorted(p for p in kind.iterdir() if p.is_dir()):
            _folder_to_file(shard)


def _stray_files(cache: Path) -> None:
    """Half-written files beside the entries, and foreign files and folders in the cache."""
    for entry in _entries(cache):
        entry.with_name(f".{entry.name}.tmp").write_bytes(b"half an entry")
    (cache / "v1").mkdir()
    (cache / "v1" / "pages").write_bytes(b"\x00 an older format")
    (cache / "v99").write_text("a newer format, as a file\n")
    (cache / "README").write_text("not lockctl's\n")


def _read_only_cache(cache: Path) -> None:
    for folder in sorted(p for p in cache.rglob("*") if p.is_dir()):
        make_read_only(folder)
    make_read_only(cache)


def cache_case(
    name: str,
    damage: PathAction,
    *,
    entry_warning: bool,
    xfail: str | None = None,
) -> Case:
    """Compile, spoil the cache, compile again: the second run must succeed all the same.

    ``entry_warning``: with -v, the damaged entries are reported with their path (README: "a
    corrupt one is reported with its path and fetched again").
    """
    return Case(
        id=f"cache-{name}",
        argv=(
            "-v",
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--cache-dir",
            "{cache}",
            *TARGET,
        ),
        exit=0,
        stderr=("corrupt cache entry {cache}",) if entry_warning else (),
        files=REQ,
        writes=(LOCK,),
        index="shared",
        warm=True,
        damage=damage,
        xfail=xfail,
    )


CACHE_CASES = [
    cache_case("entries-truncated", _truncate, entry_warning=True),
    cache_case("entries-empty", _empty, entry_warning=True),
    cache_case("entries-garbage", _garbage, entry_warning=True),
    cache_case("entries-checksum-mismatch", _flip_last_byte, entry_warning=True),
    cache_case("entries-nul-bytes", _nul_bytes, entry_warning=True),
    cache_case(
        "entries-swapped-within-kinds",
        _swap_within_kinds,
        entry_warning=True,
    ),
    cache_case(
        "entries-swapped-across-kinds",
        _swap_across_kinds,
        entry_warning=True,
    ),
    cache_case("stray-files", _stray_files, entry_warning=False),
    cache_case(
        "entries-dangling-symlinks",
        _entries_become_dangling_links,
        entry_warning=False,
    ),
    cache_case(
        "entries-symlink-loops",
        _entries_become_link_loops,
        entry_warning=True,
    ),
    cache_case(
        "entries-are-directories",
        _entries_become_directories,
        entry_warning=True,
    ),
    cache_case(
        "format-folder-is-a-file",
        _format_folder_is_a_file,
        entry_warning=False,
    ),
    cache_case(
        "kind-folders-are-files",
        _kind_folders_are_files,
        entry_warning=False,
    ),
    cache_case(
        "shard-folders-are-files",
        _shard_folders_are_files,
        entry_warning=False,
    ),
    cache_case("read-only", _read_only_cache, entry_warning=False),
    Case(
        id="cache-dir-is-a-file",
        argv=("compile", "requirements.in", "-i", "{index}", "--cache-dir", "cachefile", *TARGET),
        exit=0,
        files={**REQ, "cachefile": "I am a file\n"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-dir-under-a-file",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--cache-dir",
            "cachefile/sub",
            *TARGET,
        ),
        exit=0,
        files={**REQ, "cachefile": "I am a file\n"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-env-dir-is-a-file",
        argv=("compile", "requirements.in", "-i", "{index}", *TARGET),
        exit=0,
        files={**REQ, "cachefile": "I am a file\n"},
        env={"LOCKCTL_CACHE_DIR": "{work}/cachefile"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-home-is-a-file",
        argv=("compile", "requirements.in", "-i", "{index}", *TARGET),
        exit=0,
        files={**REQ, "home": "I am a file\n"},
        env={"LOCKCTL_CACHE_DIR": None, "XDG_CACHE_HOME": None, "HOME": "{work}/home"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-netrc-is-a-directory",
        argv=("compile", "requirements.in", "-i", "{index}", *TARGET),
        exit=0,
        files=REQ,
        dirs=("netrc",),
        env={"NETRC": "{work}/netrc"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-netrc-malformed",
        argv=("compile", "requirements.in", "-i", "{index}", *TARGET),
        exit=0,
        files={**REQ, "netrc": "machine\n\x00 login\n"},
        env={"NETRC": "{work}/netrc"},
        writes=(LOCK,),
        index="shared",
    ),
    Case(
        id="cache-offline-and-empty",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--offline",
            "--cache-dir",
            "{cache}",
            *TARGET,
        ),
        exit=3,
        stderr=("--offline", "{index}app/"),
        files=REQ,
        index="shared",
    ),
]


# -- index faults -------------------------------------------------------------------------------

APP_PAGE = "/simple/app/"
APP_WHEEL = "/files/app-1.0-*.whl"


def fault_case(
    name: str,
    *faults: FaultSpec,
    exit: int = 3,
    stderr: tuple[str, ...] = ("{index}app/",),
    range_support: bool = True,
    args: tuple[str, ...] = (),
    xfail: str | None = None,
    timeout: float = 30.0,
    not_in_stderr: tuple[str, ...] = (),
) -> Case:
    return Case(
        id=f"index-{name}",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--cache-dir",
            "{cache}",
            "--timeout",
            "2",
            *TARGET,
            *args,
        ),
        exit=exit,
        stderr=stderr,
        files=REQ,
        writes=(LOCK,) if exit == 0 else (),
        index="own",
        faults=faults,
        range_support=range_support,
        xfail=xfail,
        timeout=timeout,
        not_in_stderr=not_in_stderr,
    )


INDEX_CASES = [
    fault_case(
        "page-500-always",
        FaultSpec(path_glob=APP_PAGE, fault=Status(500)),
        stderr=("{index}app/", "500"),
    ),
    fault_case(
        "page-503-always",
        FaultSpec(path_glob=APP_PAGE, fault=Status(503)),
        stderr=("{index}app/", "503"),
    ),
    fault_case(
        "page-502-once-is-retried",
        FaultSpec(path_glob=APP_PAGE, fault=Status(502), times=1),
        exit=0,
        stderr=(),
    ),
    fault_case(
        "page-403", FaultSpec(path_glob=APP_PAGE, fault=Status(403)), stderr=("{index}app/", "403")
    ),
    fault_case(
        "page-404-is-an-unknown-project",
        FaultSpec(path_glob=APP_PAGE, fault=Status(404)),
        exit=2,
        stderr=("app",),
    ),
    fault_case("page-reset-always", FaultSpec(path_glob=APP_PAGE, fault=Reset())),
    fault_case(
        "page-reset-once-is-retried",
        FaultSpec(path_glob=APP_PAGE, fault=Reset(), times=1),
        exit=0,
        stderr=(),
    ),
    fault_case("page-truncated-always", FaultSpec(path_glob=APP_PAGE, fault=Truncate())),
    fault_case(
        "page-truncated-once-is-retried",
        FaultSpec(path_glob=APP_PAGE, fault=Truncate(), times=1),
        exit=0,
        stderr=(),
    ),
    fault_case("page-garbage", FaultSpec(path_glob=APP_PAGE, fault=Garbage())),
    fault_case(
        "page-garbage-as-json",
        FaultSpec(path_glob=APP_PAGE, fault=Garbage("application/vnd.pypi.simple.v1+json")),
    ),
    fault_case("page-garbage-as-html", FaultSpec(path_glob=APP_PAGE, fault=Garbage("text/html"))),
    fault_case(
        "dependency-page-500",
        FaultSpec(path_glob="/simple/six/", fault=Status(500)),
        stderr=("{index}six/", "500"),
    ),
    fault_case(
        "wheel-500",
        FaultSpec(path_glob=APP_WHEEL, fault=Status(500)),
        stderr=("app-1.0-py3-none-any.whl",),
    ),
    fault_case(
        "wheel-reset",
        FaultSpec(path_glob=APP_WHEEL, fault=Reset()),
        stderr=("app-1.0-py3-none-any.whl",),
    ),
    fault_case(
        "wheel-truncated",
        FaultSpec(path_glob=APP_WHEEL, fault=Truncate()),
        stderr=("app-1.0-py3-none-any.whl",),
    ),
    fault_case(
        "wheel-truncated-no-ranges",
        FaultSpec(path_glob=APP_WHEEL, fault=Truncate()),
        range_support=False,
        stderr=("app-1.0-py3-none-any.whl",),
    ),
    fault_case(
        "wheel-garbage",
        FaultSpec(path_glob=APP_WHEEL, fault=Garbage()),
        stderr=("app-1.0-py3-none-any.whl",),
    ),
    fault_case(
        "wrong-hash",
        FaultSpec(path_glob=APP_PAGE, fault=WrongHash()),
        range_support=False,
        stderr=("app-1.0-py3-none-any.whl", "does not match"),
    ),
    fault_case(
        "wrong-hash-with-generate-hashes",
        FaultSpec(path_glob=APP_PAGE, fault=WrongHash()),
        range_support=False,
        args=("--generate-hashes",),
        stderr=("app-1.0-py3-none-any.whl", "does not match"),
    ),
    fault_case(
        "root-page-500-for-unknown-project",
        FaultSpec(path_glob="/simple/", fault=Status(500)),
        FaultSpec(path_glob=APP_PAGE, fault=Status(404)),
        exit=2,
        stderr=("app",),
    ),
    fault_case(
        "page-drips",
        FaultSpec(path_glob=APP_PAGE, fault=Drip(0.5)),
        stderr=("{index}app/",),
        timeout=10,
    ),
    fault_case(
        "wheel-drips",
        FaultSpec(path_glob=APP_WHEEL, fault=Drip(0.5)),
        stderr=("app-1.0-py3-none-any.whl",),
        timeout=10,
    ),
    fault_case(
        "page-never-ends",
        FaultSpec(path_glob=APP_PAGE, fault=Endless()),
        stderr=("{index}app/",),
        timeout=10,
    ),
    fault_case(
        "wheel-never-ends",
        FaultSpec(path_glob=APP_WHEEL, fault=Endless()),
        stderr=("app-1.0-py3-none-any.whl",),
        timeout=10,
    ),
    fault_case(
        "page-429-once-is-retried",
        FaultSpec(path_glob=APP_PAGE, fault=Status(429, retry_after=1), times=1),
        exit=0,
        stderr=(),
    ),
    fault_case(
        "page-hangs",
        FaultSpec(path_glob=APP_PAGE, fault=Hang(60)),
        stderr=("{index}app/",),
        timeout=10,
    ),
    fault_case(
        "wheel-hangs",
        FaultSpec(path_glob=APP_WHEEL, fault=Hang(60)),
        stderr=("app-1.0-py3-none-any.whl",),
        timeout=10,
    ),
    fault_case(
        "retry-after-an-hour",
        FaultSpec(path_glob=APP_PAGE, fault=Status(503, retry_after=3600)),
        stderr=("{index}app/", "503"),
        timeout=10,
    ),
    Case(
        id="index-credentials-missing",
        argv=("compile", "requirements.in", "-i", "{index}", "--cache-dir", "{cache}", *TARGET),
        exit=3,
        stderr=("{index}app/", "401"),
        files=REQ,
        index="own",
        auth=("me", "right-password"),
    ),
    Case(
        id="index-credentials-rejected-are-redacted",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "http://me:hunter2@{host}/simple/",
            "--cache-dir",
            "{cache}",
            *TARGET,
        ),
        exit=3,
        stderr=("me:****@{host}",),
        not_in_stderr=("hunter2",),
        files=REQ,
        index="own",
        auth=("me", "right-password"),
    ),
    Case(
        id="index-credentials-in-file-redacted",
        argv=("compile", "requirements.in", "--cache-dir", "{cache}", *TARGET),
        exit=3,
        stderr=("me:****@{host}",),
        not_in_stderr=("hunter2",),
        files={"requirements.in": "-i http://me:hunter2@{host}/simple/\napp\n"},
        index="own",
        auth=("me", "right-password"),
    ),
    Case(
        id="index-unreachable-redacted",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "http://me:hunter2@127.0.0.1:9/simple/",
            "--cache-dir",
            "{cache}",
            "--timeout",
            "2",
            *TARGET,
        ),
        exit=3,
        stderr=("me:****@127.0.0.1:9",),
        not_in_stderr=("hunter2",),
        files=REQ,
    ),
    Case(
        id="index-metadata-command-500",
        argv=("metadata", "app", "-i", "{index}", "--cache-dir", "{cache}", "--timeout", "2"),
        exit=3,
        stderr=("{index}app/", "500"),
        index="own",
        faults=(FaultSpec(path_glob=APP_PAGE, fault=Status(500)),),
    ),
    Case(
        id="index-offline-with-warm-cache-works",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            "{index}",
            "--cache-dir",
            "{cache}",
            "--offline",
            *TARGET,
        ),
        exit=0,
        files=REQ,
        writes=(LOCK,),
        index="shared",
        warm=True,
    ),
]


CASES: tuple[Case, ...] = (
    *REQFILE_CASES,
    *ARGV_CASES,
    *PYPROJECT_CASES,
    *OUTPUT_CASES,
    *LOCK_CASES,
    *CACHE_CASES,
    *INDEX_CASES,
)


# -- a project that is not found: a wrong index URL, a typo, a host that does not resolve ------


def _not_found_case(
    name: str,
    requirements: str,
    index: str,
    *stderr: str,
    faults: tuple[FaultSpec, ...] = (),
    not_in_stderr: tuple[str, ...] = (),
) -> Case:
    return Case(
        id=f"not-found-{name}",
        argv=(
            "compile",
            "requirements.in",
            "-i",
            index,
            "--cache-dir",
            "{cache}",
            "--timeout",
            "10",
            *TARGET,
        ),
        exit=2,
        stderr=stderr,
        not_in_stderr=not_in_stderr,
        files={"requirements.in": requirements},
        index="own",
        faults=faults,
    )


NOT_FOUND_CASES = [
    _not_found_case(
        "index-path-wrong",
        "app\n",
        "http://{host}/wrong/",
        "error: the index URL http://{host}/wrong/ looks wrong",
        "HTTP 404",
        "hint: check the URL's path",
        not_in_stderr=("was not found",),
    ),
    _not_found_case(
        "index-root-gone",
        "app\n",
        "{index}",
        "looks wrong",
        faults=(
            FaultSpec(path_glob="/simple/", fault=Status(404)),
            FaultSpec(path_glob="/simple/app/", fault=Status(404)),
        ),
    ),
    _not_found_case(
        "typo-swapped-letters", "pap\n", "{index}", "pap was not found", "did you mean app?"
    ),
    _not_found_case(
        "typo-wrong-letter", "apq\n", "{index}", "apq was not found", "did you mean app?"
    ),
    _not_found_case(
        "typo-list-never-arrives",
        "apq\n",
        "{index}",
        "apq was not found",
        "no close names were suggested",
        faults=(FaultSpec(path_glob="/simple/", fault=Hang(60.0)),),
    ),
]

# A host name that does not resolve is not a case here: every case runs behind a dead proxy,
# which is asked instead of the resolver; tests/cli/test_did_you_mean.py runs it without one.

CASES = (*CASES, *NOT_FOUND_CASES)
