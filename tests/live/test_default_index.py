"""A few reads from the real default index (pip's default, learned from pip at run time).

Marked ``live``: they need the network, and CI runs them.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from packaging.version import Version

from lockctl.index import DistributionFile, IndexClient, ProjectPage
from lockctl.ops.commands import IndexRequest
from lockctl.ops.session import open_index

pytestmark = pytest.mark.live


@pytest.fixture
def client(tmp_path: Path) -> Iterator[IndexClient]:
    with open_index(IndexRequest(cache_dir=tmp_path)) as opened:
        yield opened


def _wheel(client: IndexClient, name: str, version: str, tag: str) -> DistributionFile:
    page = client.project(name)
    assert isinstance(page, ProjectPage)
    (wheel,) = [f for f in page.releases()[Version(version)] if tag in f.filename]
    return wheel


def test_the_default_index_is_pips(client: IndexClient) -> None:
    (index,) = client.settings.indexes
    assert index.scheme == "https" and index.secret.endswith("/simple/")


def test_mlflow_metadata_by_range_read(client: IndexClient) -> None:
    wheel = _wheel(client, "mlflow", "3.4.0", "py3-none-any")
    before = client.fetcher.stats.bytes_received  # type: ignore[attr-defined]
    metadata = client.metadata(wheel)
    transferred = client.fetcher.stats.bytes_received - before  # type: ignore[attr-defined]
    requires = {str(r) for r in metadata.requires_dist}
    assert {"mlflow-skinny==3.4.0", "fastmcp<3,>=2.0.0", "pandas<3"} <= requires
    assert metadata.requires_python is not None and str(metadata.requires_python) == ">=3.10"
    assert wheel.size is not None and transferred < wheel.size / 50, (transferred, wheel.size)
    assert client.sources == {"range": 1}


def test_pandas_metadata_by_range_read(client: IndexClient) -> None:
    wheel = _wheel(client, "pandas", "2.1.1", "cp311-cp311-manylinux_2_17_x86_64")
    before = client.fetcher.stats.bytes_received  # type: ignore[attr-defined]
    metadata = client.metadata(wheel)
    transferred = client.fetcher.stats.bytes_received - before  # type: ignore[attr-defined]
    requires = {str(r) for r in metadata.requires_dist}
    assert {'numpy>=1.23.2; python_version == "3.11"', "pytz>=2020.1", "tzdata>=2022.1"} <= requires
    assert wheel.size is not None and transferred < wheel.size / 20, (transferred, wheel.size)


def test_a_missing_project_is_a_value(client: IndexClient) -> None:
    page = client.project("lockctl-this-project-does-not-exist-4d1f")
    assert not isinstance(page, ProjectPage)
    assert "was not found on https://" in str(page)
