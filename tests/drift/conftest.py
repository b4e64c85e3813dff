"""A lock compiled against the loopback index, then an index that moved on.

``stale_lock`` compiles ``requirements.in`` (app, tool<2, old, dropped, vuln) while the index
holds the first releases; ``moved_on`` then changes the index the way the nightly job must
notice: new releases inside and outside the specifiers, a pinned release yanked with a
reason, another one's files removed, a new release that needs a newer Python.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lockctl.cli.main import main
from tests.support.dists import make_wheel
from tests.support.indexserver import IndexServer

TARGET = ("--python-version", "3.11", "--platform", "linux_x86_64")
INPUT = "app\ntool<2\nold\ndropped\nvuln\n"  # lines 2-6, after the -i line


@pytest.fixture
def stale_lock(
    tmp_path: Path, index_server: IndexServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    for wheel in (
        make_wheel("app", "1.0", requires_dist=["lib<2"]),
        make_wheel("lib", "1.0"),
        make_wheel("tool", "1.0"),
        make_wheel("old", "0.9"),
        make_wheel("old", "1.0"),
        make_wheel("dropped", "1.0"),
        make_wheel("vuln", "1.0"),
    ):
        index_server.add(wheel)
    (tmp_path / "requirements.in").write_text(f"-i {index_server.simple_url}\n{INPUT}")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOCKCTL_CACHE_DIR", str(tmp_path / "cache"))
    assert main(["-q", "compile", "requirements.in", *TARGET]) == 0
    yield tmp_path / "requirements.txt"


def move_on(index: IndexServer) -> None:
    """What happened on the index since the lock was compiled."""
    index.add(make_wheel("lib", "1.5"))  # inside app's lib<2: outdated
    index.add(make_wheel("lib", "2.0"))  # outside it: blocked by app's metadata
    index.add(make_wheel("tool", "1.1", requires_python=">=3.13"))  # not for Python 3.11
    index.add(make_wheel("tool", "2.0"))  # outside tool<2 of requirements.in: blocked
    index.yank("old-1.0-py3-none-any.whl", "broken build, use 0.9")
    index.remove("dropped-1.0-py3-none-any.whl")
    index.add(make_wheel("dropped", "1.1"))
    index.add(make_wheel("vuln", "1.1"))


@pytest.fixture
def moved_on(stale_lock: Path, index_server: IndexServer) -> Path:
    move_on(index_server)
    return stale_lock


def osv(
    ident: str,
    name: str,
    *,
    introduced: str = "0",
    fixed: str | None = None,
    versions: tuple[str, ...] = (),
    aliases: tuple[str, ...] = (),
    ecosystem: str = "PyPI",
    severity: str | None = None,
) -> dict[str, Any]:
    """An OSV advisory as a vulnerability database exports it."""
    events: list[dict[str, str]] = [{"introduced": introduced}]
    if fixed is not None:
        events.append({"fixed": fixed})
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": ident,
        "modified": "2026-11-20T00:00:00Z",
        "aliases": list(aliases),
        "summary": f"{name} is vulnerable",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": name},
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "versions": list(versions),
            }
        ],
    }
    if severity is not None:
        record["database_specific"] = {"severity": severity}
    return record


def write_json(path: Path, document: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1))
    return path
