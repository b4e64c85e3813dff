"""Each named platform accepts the wheels pip accepts for it, in packaging's order of preference.

Three witnesses: ``packaging.tags.sys_tags()`` for the platform the tests run on; packaging's
own platform generators (``mac_platforms``, the manylinux and musllinux rules with the libc
version the target assumes) for the others; and the real pip (``pip index versions`` with
``--platform``, ``--python-version``, ``--abi``) over wheels on the loopback index.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Iterator

import pytest
from packaging import _manylinux, _musllinux
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms, sys_tags

from lockctl.target import PLATFORMS, TargetEnvironment
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

PYTHONS = ["3.8", "3.11", "3.12", "3.13", "3.14"]


def _packaging_platforms(name: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The platform tags packaging generates on a machine of that kind: glibc 2.36, musl
    1.2, macOS 14 (the versions lockctl's targets assume, see lockctl.target)."""
    machine = PLATFORMS[name].platform_machine
    if name.startswith("macos_"):
        return list(mac_platforms((14, 0), machine))
    if name.startswith("windows_"):
        return [f"win_{machine.lower()}"]
    monkeypatch.setattr(_manylinux, "_get_glibc_version", lambda: (2, 36))
    monkeypatch.setattr(_manylinux, "_have_compatible_abi", lambda executable, archs: True)
    # packaging 26.3 on: the native linux_<arch> tag first, then manylinux, then musllinux
    if name.endswith("_musl"):
        version = _musllinux._MuslVersion(major=1, minor=2)
        monkeypatch.setattr(_musllinux, "_get_musl_version", lambda executable: version)
        return [f"linux_{machine}", *_musllinux.platform_tags([machine])]
    return [f"linux_{machine}", *_manylinux.platform_tags([machine])]


@pytest.mark.parametrize("python", PYTHONS)
@pytest.mark.parametrize("name", sorted(PLATFORMS))
def test_every_named_platform_has_packagings_tags(
    name: str, python: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    platforms = _packaging_platforms(name, monkeypatch)
    major, minor = (int(part) for part in python.split("."))
    expected = [
        *cpython_tags((major, minor), abis=[f"cp{major}{minor}"], platforms=platforms),
        *compatible_tags((major, minor), interpreter=f"cp{major}{minor}", platforms=platforms),
    ]
    assert list(PLATFORMS[name].wheel_platforms) == platforms
    assert TargetEnvironment.create(python_version=python, platform=name).tags() == expected


def _host_is_what_the_targets_assume() -> str | None:
    """Why sys_tags() cannot be compared here, or None when it can."""
    if not sys.platform.startswith("linux") or platform.machine() not in ("x86_64", "aarch64"):
        return f"lockctl's Linux targets only are checked against sys_tags ({sys.platform})"
    if hasattr(sys, "gettotalrefcount") or getattr(sys, "_is_gil_enabled", lambda: True)() is False:
        return "a debug or free-threaded interpreter has other ABI tags than the target"
    libc, version = platform.libc_ver()
    if libc == "glibc" and version != "2.36":
        return f"this machine's glibc is {version}; the targets assume 2.36"
    return None


def test_the_running_platform_is_exactly_sys_tags() -> None:
    """The same tags in the same order as pip computes for this interpreter."""
    reason = _host_is_what_the_targets_assume()
    if reason is not None:
        pytest.skip(reason)
    target = TargetEnvironment.create()  # this machine's Python and platform
    assert target.tags() == list(sys_tags())


def _tags(text: str) -> set[Tag]:
    return {Tag(*text.split("-"))}


@pytest.mark.parametrize(
    ("name", "accepted", "refused"),
    [
        (
            "macos_arm64",
            [
                "cp312-cp312-macosx_11_0_arm64",
                "cp312-cp312-macosx_14_0_arm64",
                "cp312-cp312-macosx_10_9_universal2",
                "cp312-cp312-macosx_11_0_universal2",
                "cp38-abi3-macosx_10_9_universal2",
            ],
            [
                "cp312-cp312-macosx_15_0_arm64",
                "cp312-cp312-macosx_10_9_x86_64",
                "cp312-cp312-macosx_11_0_x86_64",
            ],
        ),
        (
            "macos_x86_64",
            [
                "cp312-cp312-macosx_10_9_x86_64",
                "cp312-cp312-macosx_10_4_intel",
                "cp312-cp312-macosx_10_16_universal2",
                "cp312-cp312-macosx_13_0_x86_64",
            ],
            ["cp312-cp312-macosx_11_0_arm64", "cp312-cp312-macosx_10_3_x86_64"],
        ),
        (
            "linux_x86_64",
            [
                "cp312-cp312-manylinux_2_36_x86_64",
                "cp312-cp312-manylinux2014_x86_64",
                "cp312-cp312-manylinux1_x86_64",
                "cp312-cp312-manylinux_2_5_x86_64",
                "cp312-cp312-linux_x86_64",
            ],
            ["cp312-cp312-manylinux_2_39_x86_64", "cp312-cp312-musllinux_1_2_x86_64"],
        ),
        (
            "linux_aarch64",
            ["cp312-cp312-manylinux_2_17_aarch64", "cp312-cp312-manylinux2014_aarch64"],
            ["cp312-cp312-manylinux_2_12_aarch64", "cp312-cp312-manylinux_2_17_x86_64"],
        ),
        (
            "linux_x86_64_musl",
            ["cp312-cp312-musllinux_1_2_x86_64", "cp312-cp312-musllinux_1_0_x86_64"],
            ["cp312-cp312-manylinux_2_17_x86_64", "cp312-cp312-musllinux_1_3_x86_64"],
        ),
        (
            "linux_aarch64_musl",
            ["cp312-abi3-musllinux_1_1_aarch64"],
            ["cp312-cp312-musllinux_1_1_x86_64", "cp312-cp312-manylinux2014_aarch64"],
        ),
        ("windows_amd64", ["cp312-cp312-win_amd64"], ["cp312-cp312-win32"]),
        ("windows_arm64", ["cp312-cp312-win_arm64"], ["cp312-cp312-win_amd64"]),
    ],
)
def test_what_each_platform_accepts(name: str, accepted: list[str], refused: list[str]) -> None:
    tags = set(TargetEnvironment.create(python_version="3.12", platform=name).tags())
    assert [t for t in accepted if not _tags(t) <= tags] == []
    assert [t for t in refused if _tags(t) <= tags] == []


def test_the_interpreter_tags_for_a_python() -> None:
    """cp3X and abi3 down to cp32 (PEP 384), none, then py3X down to py30 and any."""
    tags = TargetEnvironment.create(python_version="3.12", platform="linux_x86_64").tags()
    interpreters = list(dict.fromkeys(t.interpreter for t in tags))
    assert interpreters == [
        "cp312",
        *(f"cp3{minor}" for minor in range(11, 1, -1)),
        "py312",
        "py3",
        *(f"py3{minor}" for minor in range(11, -1, -1)),
    ]
    assert Tag("cp32", "abi3", "manylinux1_x86_64") in tags
    assert Tag("cp311", "cp311", "manylinux1_x86_64") not in tags
    assert tags[-1] == Tag("py30", "none", "any")


# pip's --platform for each target. pip widens a macOS tag itself (its mac_platforms) and
# manylinux2014 to its legacy aliases, but takes manylinux_2_X and musllinux as given: those
# are passed as lockctl passes them to pip (ops.pipreport), so pip checks the ABI side there.
_PIP_PLATFORMS = {
    "macos_arm64": ["macosx_14_0_arm64"],
    "macos_x86_64": ["macosx_14_0_x86_64"],
    "windows_amd64": ["win_amd64"],
}
_PROBES = {
    "macos_arm64": [
        "cp312-cp312-macosx_11_0_arm64",
        "cp312-cp312-macosx_10_9_universal2",
        "cp312-cp312-macosx_10_9_x86_64",
        "cp312-cp312-macosx_15_0_arm64",
        "cp39-abi3-macosx_11_0_arm64",
        "cp313-cp313-macosx_11_0_arm64",
        "py3-none-macosx_12_0_universal2",
    ],
    "macos_x86_64": [
        "cp312-cp312-macosx_10_9_x86_64",
        "cp312-cp312-macosx_10_6_intel",
        "cp312-cp312-macosx_11_0_arm64",
        "cp312-cp312-macosx_14_0_universal2",
        "cp312-cp312-macosx_10_3_x86_64",
    ],
    "linux_x86_64": [
        "cp312-cp312-manylinux_2_28_x86_64",
        "cp312-cp312-manylinux1_x86_64",
        "cp312-cp312-manylinux_2_39_x86_64",
        "cp312-cp312-musllinux_1_2_x86_64",
        "cp311-abi3-manylinux_2_17_x86_64",
        "cp312-cp312d-manylinux_2_17_x86_64",
    ],
    "linux_aarch64_musl": [
        "cp312-cp312-musllinux_1_1_aarch64",
        "cp312-cp312-manylinux_2_17_aarch64",
        "cp312-cp312-musllinux_1_2_x86_64",
        "py3-none-linux_aarch64",
    ],
    "windows_amd64": ["cp312-cp312-win_amd64", "cp312-cp312-win32", "cp312-none-win_amd64"],
}


@pytest.fixture(scope="module")
def probes() -> Iterator[IndexServer]:
    """One project per target, one version per wheel tag: pip lists the versions it can use."""
    with IndexServer() as server:
        for name, tags in _PROBES.items():
            for number, tag in enumerate(tags, start=1):
                server.add(make_wheel(f"probe-{name}", f"{number}.0", tag=tag))
        yield server


@pytest.mark.parametrize("name", sorted(_PROBES))
def test_pip_accepts_the_same_wheels(name: str, probes: IndexServer) -> None:
    target = TargetEnvironment.create(python_version="3.12", platform=name)
    platforms = _PIP_PLATFORMS.get(name, list(PLATFORMS[name].wheel_platforms))
    argv = [sys.executable, "-m", "pip", "index", "versions", f"probe-{name}"]
    argv += ["--index-url", probes.simple_url, "--disable-pip-version-check", "--no-input"]
    argv += [f"--platform={p}" for p in platforms]
    argv += ["--python-version", "3.12", "--implementation", "cp", "--abi", "cp312"]
    result = subprocess.run(
        [*argv, "--only-binary=:all:"], capture_output=True, text=True, check=False, timeout=120
    )
    assert result.returncode == 0, result.stderr
    listed = result.stdout.partition("Available versions:")[2].split(",")
    by_pip = {int(float(v.strip())) for v in listed if v.strip()}
    tags = set(target.tags())
    by_lockctl = {n for n, tag in enumerate(_PROBES[name], start=1) if _tags(tag) <= tags}
    assert by_lockctl == by_pip
    assert 0 < len(by_pip) < len(_PROBES[name])  # the probes hold both kinds
