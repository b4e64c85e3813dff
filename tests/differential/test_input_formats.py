"""The input-format matrix against the real pip-compile 7.6: byte-equal locks (issue 13 item 2).

Each case writes a project into an empty directory and compiles it twice against the loopback
index, with the real ``pip-compile`` and with ``lockctl compile``, the same inputs and the same
``CUSTOM_COMPILE_COMMAND`` (so both headers name the same command). The locks must be the same,
byte for byte, once lockctl's own ``# lockctl:`` digest line is left out: the header, the
option lines, every pin, ``-e`` line and ``# via`` annotation (``-r -`` for stdin,
``name (pyproject.toml)`` for a project input, the project's name for an editable's
dependencies).

pip-compile builds setup.cfg and ``-e`` projects through setuptools; the runs use
``--no-build-isolation`` so that the venv's setuptools serves, and nothing but the loopback
index is asked. lockctl reads those projects statically, so it needs no build at all.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.differential.peers import BIN, peer_environment, read_pins
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

pytestmark = pytest.mark.slow

COMMAND = "make lock"  # CUSTOM_COMPILE_COMMAND for both tools

BUILD_SYSTEM = (
    '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n'
)
PYPROJECT = f"""\
{BUILD_SYSTEM}
[project]
name = "My_Project"
version = "0.1"
dependencies = [
    "alpha>=1",
    'beta; python_version >= "3.8"',
]

[project.optional-dependencies]
Dev = ["dev-tool", "delta"]
test = ['gamma; python_version >= "3.8"']  # pip-compile writes no marker for an extra's
"""
SETUP_CFG = """\
[metadata]
name = cfg-proj
version = 1.0

[options]
install_requires =
    alpha>=1
    beta; python_version >= "3.8"
    # a comment

[options.extras_require]
Test_X =
    gamma
all =
    delta; sys_platform != "win32"
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    id: str
    files: Mapping[str, str]
    inputs: Sequence[str]
    args: Sequence[str] = ()
    stdin: str | None = None
    lockctl_args: Sequence[str] = ()  # lockctl's alone (--allow-build: pip-compile builds anyway)
    expect: Sequence[str] = field(default_factory=tuple)  # lines the lock must hold


# An in-tree PEP 517 backend (PEP 517's backend-path) with no build requirements, so that the
# isolated build environment needs no index: its metadata declares the dependencies, as a
# setup.py project's build would. setup.py itself must never run.
BACKEND = """\
import os

METADATA = \"\"\"Metadata-Version: 2.1
Name: Built_Proj
Version: 0.3
Provides-Extra: fast
Requires-Dist: alpha>=1
Requires-Dist: beta ; python_version >= "3.8"
Requires-Dist: delta ; extra == "fast"
\"\"\"


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    info = os.path.join(metadata_directory, "built_proj-0.3.dist-info")
    os.makedirs(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(METADATA)
    return "built_proj-0.3.dist-info"


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    raise RuntimeError("metadata only")


# PEP 660: what pip asks of an -e project's backend.
prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel
build_editable = build_wheel
"""
IN_TREE_BUILD = {
    "backend.py": BACKEND,
    "pyproject.toml": '[build-system]\nrequires = []\nbuild-backend = "backend"\n'
    'backend-path = ["."]\n',
    "setup.py": "raise SystemExit('setup.py must not run')\n",
}

CASES = [
    Case(
        id="in-file",
        files={"requirements.in": "alpha\ndelta\n"},
        inputs=["requirements.in"],
        expect=["    #   -r requirements.in\n"],
    ),
    Case(
        id="pyproject",
        files={"pyproject.toml": PYPROJECT},
        inputs=["pyproject.toml"],
        expect=['beta==1.5 ; python_version >= "3.8"\n', "    # via My_Project (pyproject.toml)\n"],
    ),
    Case(
        id="pyproject-extra",
        files={"pyproject.toml": PYPROJECT},
        inputs=["pyproject.toml"],
        args=["--extra", "dev"],  # the extra is written "Dev": PEP 685 names match
        expect=["dev-tool==0.9\n", "delta==3.0\n"],
    ),
    Case(
        id="pyproject-all-extras",
        files={"pyproject.toml": PYPROJECT},
        inputs=["pyproject.toml"],
        args=["--all-extras"],
        expect=["gamma==1.1\n", "dev-tool==0.9\n"],
    ),
    Case(
        id="pyproject-in-a-folder",
        files={"app/pyproject.toml": PYPROJECT},
        inputs=["app/pyproject.toml"],
        args=["--extra", "test"],
        expect=["    #   My_Project (app/pyproject.toml)\n", "gamma==1.1\n"],
    ),
    Case(
        id="setup-cfg",
        files={"setup.cfg": SETUP_CFG, "pyproject.toml": BUILD_SYSTEM},
        inputs=["setup.cfg"],
        args=["--extra", "test-x", "--extra", "all"],
        expect=['delta==3.0 ; sys_platform != "win32"\n', "    # via cfg-proj (setup.cfg)\n"],
    ),
    Case(
        id="editable",
        files={"sub/pyproject.toml": PYPROJECT, "requirements.in": "-e ./sub\ngamma\n"},
        inputs=["requirements.in"],
        expect=["    # via my-project\n"],  # and "-e" with sub's file: URL, checked below
    ),
    Case(
        id="editable-hashed",
        files={"sub/pyproject.toml": PYPROJECT, "requirements.in": "-e ./sub\ngamma\n"},
        inputs=["requirements.in"],
        args=["--generate-hashes"],
        expect=["# WARNING: pip install will require the following package to be hashed.\n"],
    ),
    Case(
        id="editable-with-extra",
        files={"sub/pyproject.toml": PYPROJECT, "requirements.in": "-e ./sub[dev]\n"},
        inputs=["requirements.in"],
        expect=["dev-tool==0.9\n"],
    ),
    Case(
        id="editables-requiring-each-other",
        files={
            "core/pyproject.toml": f'{BUILD_SYSTEM}[project]\nname = "core"\nversion = "1"\n'
            'dependencies = ["beta"]\n',
            "app/pyproject.toml": f'{BUILD_SYSTEM}[project]\nname = "app"\nversion = "1"\n'
            'dependencies = ["core", "gamma"]\n',
            "r.in": "-e ./core\n-e ./app\n",
        },
        inputs=["r.in"],
        expect=["    #   -r r.in\n    #   app\n", "    # via core\n"],
    ),
    Case(
        id="stdin",
        files={},
        inputs=["-"],
        stdin="alpha\ndelta\n",
        expect=["    #   -r -\n", "    # via -r -\n"],
    ),
    Case(
        id="setup-py-built",
        files=IN_TREE_BUILD,
        inputs=["setup.py"],
        args=["--extra", "fast"],
        lockctl_args=["--allow-build"],
        expect=["    # via Built_Proj (setup.py)\n", "delta==3.0\n"],
    ),
    Case(
        id="pyproject-dynamic-built",
        files={
            **IN_TREE_BUILD,
            "pyproject.toml": IN_TREE_BUILD["pyproject.toml"]
            + '[project]\nname = "Built_Proj"\nversion = "0.3"\ndynamic = ["dependencies"]\n',
        },
        inputs=["pyproject.toml"],
        lockctl_args=["--allow-build"],
        expect=["    # via Built_Proj (pyproject.toml)\n"],
    ),
    Case(
        id="editable-built",
        files={**{f"sub/{name}": text for name, text in IN_TREE_BUILD.items()}, "r.in": "-e sub\n"},
        inputs=["r.in"],
        lockctl_args=["--allow-build"],
        expect=["    # via built-proj\n"],
    ),
    Case(
        id="mixed",
        files={"pyproject.toml": PYPROJECT, "requirements-dev.in": "delta\n"},
        inputs=["pyproject.toml", "requirements-dev.in"],
        expect=["    #   My_Project (pyproject.toml)\n", "    # via -r requirements-dev.in\n"],
    ),
]


def _serve(server: IndexServer) -> None:
    for name, version, requires in [
        ("alpha", "1.0", []),
        ("alpha", "2.0", ["gamma>=1"]),
        ("beta", "1.5", []),
        ("gamma", "1.1", []),
        ("delta", "3.0", ["alpha"]),
        ("Dev_Tool", "0.9", []),
        ("sphinx", "7.0", []),
    ]:
        server.add(make_wheel(name, version, requires_dist=requires))


def _run(argv: Sequence[str], work: Path, cache: Path, stdin: str | None) -> str:
    done = subprocess.run(
        argv,
        cwd=work,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        check=False,
        env=peer_environment(cache, CUSTOM_COMPILE_COMMAND=COMMAND),
        timeout=600,
    )
    assert done.returncode == 0, f"{argv[0]} failed:\n{done.stderr}"
    return (work / argv[argv.index("--output-file") + 1]).read_text(encoding="utf-8")


def _without_digest(text: str) -> str:
    """lockctl's lock less its ``# lockctl:`` header line and the ``#`` after it."""
    return text.replace(
        "".join(line for line in text.splitlines(keepends=True) if line.startswith("# lockctl:"))
        + "#\n",
        "",
        1,
    )


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_lockctl_writes_the_lock_pip_compile_writes(
    case: Case, tmp_path: Path, index_server: IndexServer
) -> None:
    _serve(index_server)
    work = tmp_path / "work"
    for relative, text in case.files.items():
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(text, encoding="utf-8")
    work.mkdir(exist_ok=True)
    cache = tmp_path / "cache"
    index = index_server.simple_url
    pip_compile = [
        str(BIN / "pip-compile"),
        "--quiet",
        "--strip-extras",
        "--no-build-isolation",
        "--index-url",
        index,
        "--cache-dir",
        str(cache / "pip-tools"),
        *case.args,
        "--output-file",
        "pip.txt",
        *case.inputs,
    ]
    lockctl = [
        sys.executable,
        "-m",
        "lockctl",
        "-q",
        "compile",
        *case.inputs,
        "--index-url",
        index,
        "--python-version",
        f"{sys.version_info.major}.{sys.version_info.minor}",
        *case.args,
        *case.lockctl_args,
        "--output-file",
        "lockctl.txt",
    ]
    expected = _run(pip_compile, work, cache, case.stdin)
    ours = _run(lockctl, work, cache, case.stdin)

    assert "# lockctl: v1 " in ours
    assert _without_digest(ours) == expected
    assert read_pins(expected), "pip-compile pinned nothing: the case tests nothing"
    for line in case.expect:
        assert line in expected, line
    if case.id.startswith("editable-") or case.id == "editable":
        # pip-tools writes the editable's link, absolute (pip makes the path absolute).
        assert f"-e {(work / 'sub').as_uri()}\n" in expected


def test_the_digest_line_is_all_that_is_left_out() -> None:
    lock = "#\n# by the following command:\n#\n#    make lock\n#\n# lockctl: v1 x\n#\nalpha==1\n"
    assert (
        _without_digest(lock) == "#\n# by the following command:\n#\n#    make lock\n#\nalpha==1\n"
    )
