"""Lock-only mode's install, without an engine: the layer it asks for, the wheelhouse's key
(one per index configuration), and the in-container script's choice of wheels to reuse. The
whole install runs for real in ``test_docker_reuse``."""

from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

import pytest

from lockctl.verify.lockinstall import (
    LOCK_IN_IMAGE,
    PIP_CACHE,
    WHEELHOUSE_SOURCE,
    index_key,
    lock_install_layer,
)
from lockctl.verify.wheelhouse import _link, _pins

_INDEX = (("PIP_INDEX_URL", "http://127.0.0.1:8080/simple/"),)


def test_the_layer_installs_the_lock_with_the_wheelhouse_on_the_cache_volume() -> None:
    layer = lock_install_layer(
        b"app==1.0\n", "base:1", tag="lockctl-verify:x", require_hashes=True, pip_environment=_INDEX
    )
    assert (layer.image, layer.tag, layer.cache) == ("base:1", "lockctl-verify:x", PIP_CACHE)
    assert layer.files == ((LOCK_IN_IMAGE, b"app==1.0\n"),)
    env, python = layer.command[: layer.command.index("python")], layer.command[-5:]
    assert "PIP_CONFIG_FILE=/dev/null" in env and "PIP_CACHE_DIR=/var/cache/lockctl/pip" in env
    assert "PIP_INDEX_URL=http://127.0.0.1:8080/simple/" in env
    wheelhouse = "/var/cache/lockctl/wheels/" + index_key(b"app==1.0\n", _INDEX)
    assert python == ("-c", WHEELHOUSE_SOURCE, wheelhouse, LOCK_IN_IMAGE, "--require-hashes")
    assert layer.instruction.endswith("pip install --no-deps --require-hashes -r " + LOCK_IN_IMAGE)


def test_without_a_cache_the_layer_is_the_plain_install() -> None:
    layer = lock_install_layer(b"app==1.0\n", "base:1", tag="t:1", require_hashes=False, cache=None)
    assert layer.cache is None
    assert "PIP_NO_CACHE_DIR=1" in layer.command
    assert layer.command[-7:] == (
        "python",
        "-m",
        "pip",
        "install",
        "--no-deps",
        "-r",
        LOCK_IN_IMAGE,
    )


def test_one_wheelhouse_per_index_configuration() -> None:
    lock = b"app==1.0\n    # via -r requirements.in\n"
    key = index_key(lock, _INDEX)
    assert index_key(b"helper==2.0\n", _INDEX) == key  # the pins do not matter
    assert index_key(lock, (*_INDEX, ("HTTPS_PROXY", "http://proxy.invalid"))) == key
    assert index_key(lock, (("PIP_INDEX_URL", "http://127.0.0.1:9090/simple/"),)) != key
    own = b"--index-url http://127.0.0.1:7070/simple/\napp==1.0\n"
    assert index_key(own, _INDEX) != key
    assert index_key(own.replace(b"url ", b"url="), _INDEX) != key


def test_only_the_locked_wheels_are_linked_into_a_run(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.txt"
    lock.write_text(
        "Zope.Interface==6.0 \\\n    --hash=sha256:00\n"
        "app[extra]==1.0\n    # via -r requirements.in\n"
        "--index-url http://127.0.0.1:1/simple/\n"
    )
    assert _pins(lock) == {("zope-interface", "6.0"), ("app", "1.0")}
    house, run = tmp_path / "house", tmp_path / "run"
    house.mkdir()
    run.mkdir()
    for name in (
        "zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "zope_interface-6.0-cp312-cp312-manylinux_2_17_x86_64.whl",
        "zope_interface-5.5-cp311-cp311-manylinux_2_17_x86_64.whl",
        "app-1.0-py3-none-any.whl",
        "app-1.0.tar.gz",
        "other-1.0-py3-none-any.whl",
    ):
        (house / name).write_bytes(b"wheel")
    _link(house, run, _pins(lock))
    assert sorted(path.name for path in run.iterdir()) == [
        "app-1.0-py3-none-any.whl",
        "zope.interface-6.0-cp311-cp311-manylinux_2_17_x86_64.whl",
        "zope_interface-6.0-cp312-cp312-manylinux_2_17_x86_64.whl",
    ]
    assert (run / "app-1.0-py3-none-any.whl").stat().st_ino == (
        (house / "app-1.0-py3-none-any.whl").stat().st_ino  # a link, not a copy
    )
    (run / "app-1.0-cp311-none-any.whl").write_bytes(b"wheel")  # downloaded by the run
    (run / "helper-1.0-py3-none-any.whl").write_bytes(b"wheel")  # a "helper @ URL" pin's
    _link(run, house, _pins(lock))  # back: what is there stays, the new pin's file joins
    assert (house / "app-1.0-cp311-none-any.whl").exists()
    assert not (house / "helper-1.0-py3-none-any.whl").exists()


def _refuse_links(source: object, target: object) -> None:
    raise PermissionError(1, "Operation not permitted")  # a volume without hard links


@pytest.mark.parametrize("links", [True, False])
def test_runs_placing_the_same_wheel_at_once_never_show_half_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, links: bool
) -> None:
    """Parallel runs (``verify --jobs``) write the same wheel back into one wheelhouse while
    others read it: a reader sees no file or the whole file, never a part, and no temporary
    copy is left."""
    if not links:
        monkeypatch.setattr(os, "link", _refuse_links)
    name = "app-1.0-py3-none-any.whl"
    content = os.urandom(1 << 22)
    pins = {("app", "1.0")}
    house = tmp_path / "house"
    house.mkdir()
    runs = [tmp_path / f"run{number}" for number in range(6)]
    for run in runs:
        run.mkdir()
        (run / name).write_bytes(content)
    seen: list[int] = []
    writing = threading.Event()

    def read() -> None:
        while writing.is_set() or not seen:
            with contextlib.suppress(FileNotFoundError):
                seen.append(len((house / name).read_bytes()))

    writing.set()
    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=_link, args=(run, house, pins)) for run in runs]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    writing.clear()
    reader.join()
    assert set(seen) <= {len(content)}, "a reader saw part of a wheel"
    assert (house / name).read_bytes() == content
    assert sorted(path.name for path in house.iterdir()) == [name]  # no temporary copy left
    linked = (house / name).stat().st_ino in {(run / name).stat().st_ino for run in runs}
    assert linked is links
