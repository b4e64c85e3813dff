"""``render_piptools`` writes what the real pip-compile 7.6 writes, byte for byte.

Each scenario runs pip-compile against the loopback index, rebuilds the same pins as a
``Resolution`` (see ``compiled``) and renders them with lockctl's writer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from lockctl.lockfiles import LockWriteOptions, parse_lockfile, render_piptools
from lockctl.resolver.models import (
    Origin,
    OverrideNote,
    Release,
    Resolution,
    ResolvedPin,
    RootRequirement,
)
from lockctl.urls import SecretURL
from tests.lockfiles.compiled import (
    COMMAND,
    index_files,
    pip_compile,
    resolution_from,
    roots_of,
    write_tree,
)
from tests.support.dists import DistFile, make_sdist, make_wheel
from tests.support.fixtures import IndexFactory
from tests.support.indexserver import IndexServer

pytestmark = pytest.mark.slow

TARGET = "3.11"  # the venv's Python: what pip-compile writes in its header

DJANGO_STACK = (
    make_wheel("Django", "4.2.0", requires_dist=["asgiref>=3.6", "sqlparse>=0.3.1"]),
    make_wheel("asgiref", "3.7.2"),
    make_wheel("sqlparse", "0.4.4"),
    make_wheel("celery", "5.3.0", requires_dist=["asgiref", "kombu>=5"]),
    make_wheel("kombu", "5.3.1"),
    make_wheel("kombu", "5.2.0"),
)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # pip-compile prints -r paths as the inputs were named from its working directory; the
    # inputs are parsed from the same directory so the origins match.
    work = tmp_path / "project"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


def _serve(server: IndexServer, dists: Sequence[DistFile]) -> None:
    for dist in dists:
        server.add(dist)


def _compare(
    server: IndexServer,
    workdir: Path,
    dists: Sequence[DistFile],
    inputs: Mapping[str, str],
    *args: str,
    options: LockWriteOptions | None = None,
    output: str = "requirements.txt",
) -> Resolution:
    """Compile with pip-compile, render the same pins with lockctl, and compare."""
    write_tree(workdir, inputs)
    src = next(iter(inputs))
    expected = pip_compile(workdir, src, server.simple_url, *args, output=output)
    locked = parse_lockfile(expected, path=workdir / output)
    resolution = resolution_from(
        locked, roots=roots_of(Path(src)), files=index_files(server, dists)
    )
    chosen = options or _options(server)
    assert render_piptools(resolution, chosen) == expected
    return resolution


def _options(server: IndexServer, **changes: object) -> LockWriteOptions:
    options = LockWriteOptions(
        python_version=TARGET,
        command="unused: CUSTOM_COMPILE_COMMAND wins",
        custom_command=COMMAND,
        index_url=SecretURL(server.simple_url),
    )
    return dataclasses.replace(options, **changes)  # type: ignore[arg-type]


def test_single_root(index_server: IndexServer, workdir: Path) -> None:
    dists = [
        make_wheel("Click", "8.1.7", requires_dist=["colorama"]),
        make_wheel("colorama", "0.4.6"),
    ]
    _serve(index_server, dists)
    _compare(index_server, workdir, dists, {"requirements.in": "click\n"})


def test_shared_dependency_with_two_parents(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, DJANGO_STACK)
    resolution = _compare(
        index_server, workdir, DJANGO_STACK, {"requirements.in": "Django\ncelery\n"}
    )
    asgiref = resolution.get("asgiref")
    assert asgiref is not None and asgiref.parents == ("celery", "django")


def test_nested_includes_across_directories(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, DJANGO_STACK)
    inputs = {
        "requirements.in": "django\n-r layers/base.in\n",
        "layers/base.in": "asgiref\n-r ../shared/queue.in\n-r deeper/more.in\n",
        "shared/queue.in": "celery\n",
        "layers/deeper/more.in": "sqlparse\ncelery\n",
    }
    _compare(index_server, workdir, DJANGO_STACK, inputs)
    text = (workdir / "requirements.txt").read_text(encoding="utf-8")
    assert "    #   -r shared/queue.in\n" in text  # current pip normalises the joined path


def test_constraints_file(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, DJANGO_STACK)
    inputs = {
        "requirements.in": "-c constraints.txt\ncelery\n",
        # kombu is pinned back by the constraint; django is constrained but never required.
        "constraints.txt": "kombu<5.3\ncelery==5.3.0\ndjango==4.2.0\n",
    }
    resolution = _compare(index_server, workdir, DJANGO_STACK, inputs)
    assert resolution.get("django") is None
    kombu = resolution.get("kombu")
    assert kombu is not None and kombu.version == Version("5.2.0")


EXTRAS_STACK = (
    make_wheel(
        "celery",
        "5.3.0",
        requires_dist=["Kombu[Redis]>=5", 'requests[socks]; extra == "web"'],
        provides_extra=["web"],
    ),
    make_wheel(
        "kombu", "5.3.1", requires_dist=['redis; extra == "redis"'], provides_extra=["redis"]
    ),
    make_wheel("redis", "5.0.0"),
    make_wheel(
        "requests", "2.31.0", requires_dist=['PySocks; extra == "socks"'], provides_extra=["socks"]
    ),
    make_wheel("pysocks", "1.7.1"),
)


def test_extras_kept_and_stripped(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, EXTRAS_STACK)
    inputs = {"requirements.in": "celery[web]\n"}
    options = _options(index_server, strip_extras=False)
    resolution = _compare(
        index_server, workdir, EXTRAS_STACK, inputs, "--no-strip-extras", options=options
    )
    assert "kombu[redis]==5.3.1\n" in render_piptools(resolution, options)
    # The same pins, written with pip-tools 8's default --strip-extras.
    stripped = pip_compile(
        workdir, "requirements.in", index_server.simple_url, output="stripped.txt"
    )
    assert render_piptools(resolution, _options(index_server)) == stripped


def test_generate_hashes_with_several_files_per_release(
    index_server: IndexServer, workdir: Path
) -> None:
    dists = [
        *DJANGO_STACK,
        make_wheel("sqlparse", "0.4.4", tag="py2-none-any"),
        make_wheel("sqlparse", "0.4.4", tag="cp311-cp311-manylinux_2_17_x86_64"),
        make_sdist("sqlparse", "0.4.4"),
        make_sdist("asgiref", "3.7.2"),
    ]
    _serve(index_server, dists)
    inputs = {"requirements.in": "django; python_version >= '3.8'\n"}
    options = _options(index_server, generate_hashes=True)
    resolution = _compare(
        index_server, workdir, dists, inputs, "--generate-hashes", options=options
    )
    text = render_piptools(resolution, options)
    assert text.count("--hash=sha256:") == 1 + 2 + 4
    assert 'django==4.2.0 ; python_version >= "3.8" \\\n' in text


UNSAFE_STACK = (
    make_wheel("tool", "1.0", requires_dist=["setuptools>=60", "pip"]),
    make_wheel("setuptools", "69.0.0"),
    make_wheel("pip", "24.0"),
)


def test_unsafe_packages_pinned_in_their_section(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, UNSAFE_STACK)
    _compare(index_server, workdir, UNSAFE_STACK, {"requirements.in": "tool\n"})


@pytest.mark.parametrize("hashes", [False, True], ids=["plain", "hashes"])
def test_pip_tools_7_unsafe_style(index_server: IndexServer, workdir: Path, hashes: bool) -> None:
    _serve(index_server, UNSAFE_STACK)
    write_tree(workdir, {"requirements.in": "tool\n"})
    args = ["--no-allow-unsafe", *(["--generate-hashes"] if hashes else [])]
    expected = pip_compile(
        workdir, "requirements.in", index_server.simple_url, *args, output="requirements.txt"
    )
    locked = parse_lockfile(expected, path=workdir / "requirements.txt")
    assert locked.unsafe_unpinned == ("pip", "setuptools")
    # pip-compile does not pin them here; the resolution lockctl would have does.
    files = index_files(index_server, UNSAFE_STACK)
    resolution = resolution_from(locked, roots=roots_of(Path("requirements.in")), files=files)
    extra = [
        ResolvedPin(
            name=canonicalize_name(name),
            version=Version(version),
            release=Release(
                name=canonicalize_name(name),
                version=Version(version),
                files=(),
                all_files=tuple(f for f in files if f.filename.startswith(f"{name}-")),
            ),
            parents=(canonicalize_name("tool"),),
        )
        for name, version in (("pip", "24.0"), ("setuptools", "69.0.0"))
    ]
    resolution = Resolution(pins=tuple(sorted((*resolution.pins, *extra), key=lambda p: p.name)))
    options = _options(index_server, unsafe_style="omit", generate_hashes=hashes)
    assert render_piptools(resolution, options) == expected


def test_index_options_and_redacted_credentials(
    index_server: IndexServer, make_index: IndexFactory, workdir: Path
) -> None:
    _serve(index_server, DJANGO_STACK)
    private = make_index()
    private.add(make_wheel("internal-tool", "1.0"))
    secret_url = private.simple_url.replace("http://", "http://deploy:s3cr3t@")
    args = ("--extra-index-url", secret_url, "--trusted-host", "127.0.0.1")
    write_tree(workdir, {"requirements.in": "django\ninternal-tool\n"})
    expected = pip_compile(
        workdir, "requirements.in", index_server.simple_url, *args, output="requirements.txt"
    )
    locked = parse_lockfile(expected, path=workdir / "requirements.txt")
    files = index_files(index_server, DJANGO_STACK)
    resolution = resolution_from(locked, roots=roots_of(Path("requirements.in")), files=files)
    options = _options(
        index_server, extra_index_urls=(SecretURL(secret_url),), trusted_hosts=("127.0.0.1",)
    )
    rendered = render_piptools(resolution, options)
    # pip-tools writes the password as given; lockctl writes pip's redacted form instead.
    assert "s3cr3t" in expected and "s3cr3t" not in rendered
    assert rendered == expected.replace("deploy:s3cr3t@", "deploy:****@")


@pytest.mark.parametrize(
    ("args", "changes"),
    [
        (("--no-header",), {"emit_header": False}),
        (("--no-emit-index-url",), {"emit_index_url": False}),
        (("--annotation-style", "line"), {"annotation_style": "line"}),
        (("--no-annotate",), {"annotate": False}),
    ],
    ids=["no-header", "no-emit-index-url", "line-style", "no-annotate"],
)
def test_output_switches(
    index_server: IndexServer, workdir: Path, args: tuple[str, ...], changes: dict[str, object]
) -> None:
    _serve(index_server, DJANGO_STACK)
    inputs = {
        "requirements.in": "django\ncelery\n-c constraints.txt\n",
        "constraints.txt": "kombu\n",
    }
    _compare(
        index_server,
        workdir,
        DJANGO_STACK,
        inputs,
        *args,
        options=_options(index_server, **changes),
    )


def test_line_style_with_hashes(index_server: IndexServer, workdir: Path) -> None:
    _serve(index_server, DJANGO_STACK)
    options = _options(index_server, annotation_style="line", generate_hashes=True)
    _compare(
        index_server,
        workdir,
        DJANGO_STACK,
        {"requirements.in": "django\ncelery\n"},
        "--annotation-style",
        "line",
        "--generate-hashes",
        options=options,
    )


def test_pip_compile_reads_override_comments_as_comments(
    index_server: IndexServer, workdir: Path
) -> None:
    """pip-tools takes an existing lock's pins as preferences: our comments must not bother it."""
    _serve(index_server, DJANGO_STACK)
    inputs = {"requirements.in": "celery\n"}
    resolution = _compare(index_server, workdir, DJANGO_STACK, inputs)
    kombu = resolution.get("kombu")
    assert kombu is not None
    note = OverrideNote(
        override=RootRequirement(
            requirement=Requirement("kombu==5.2.0"), origin=Origin(line=None), kind="override"
        ),
        replaced=(("celery", Requirement("kombu>=5")),),
    )
    older = dataclasses.replace(kombu, version=Version("5.2.0"), overrides=(note,))
    pins = tuple(older if p.name == "kombu" else p for p in resolution.pins)
    written = render_piptools(Resolution(pins=pins), _options(index_server))
    assert "    # override: `kombu==5.2.0` from the command line replaces" in written
    (workdir / "requirements.txt").write_text(written, encoding="utf-8")
    again = pip_compile(
        workdir, "requirements.in", index_server.simple_url, output="requirements.txt"
    )
    assert "kombu==5.2.0\n" in again  # the preference was read from our file
