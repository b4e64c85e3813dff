"""PEP 751 export: the document parses, validates, and carries every file with its hashes."""

from __future__ import annotations

from typing import Any

import tomlkit
from packaging.pylock import Pylock

from lockctl.index.models import DistributionFile
from lockctl.lockfiles import render_pylock
from lockctl.target import TargetEnvironment
from lockctl.urls import SecretURL
from tests.lockfiles.builders import BASE, dist, override, pin, resolution, root

TARGET = TargetEnvironment.create(python_version="3.11", platform="linux_x86_64")
INDEX = "http://127.0.0.1:8/simple/"


def _render() -> dict[str, Any]:
    locked = resolution(
        pin(
            "Django",
            "4.2.0",
            roots=[root("django")],
            files=[
                dist("django-4.2.0-py3-none-any.whl", "aa", size=10),
                dist("django-4.2.0.tar.gz", "bb", size=None),
            ],
        ),
        pin(
            "asgiref",
            "3.7.2",
            parents=["django"],
            files=[dist("asgiref-3.7.2-py3-none-any.whl", "cc")],
            overrides=[override("asgiref>=3.7", "overrides.txt", ("django", "asgiref<3.7"))],
        ),
    )
    text = render_pylock(locked, target=TARGET, index_url=SecretURL(INDEX))
    data: dict[str, Any] = tomlkit.parse(text).unwrap()
    return data


def test_document_validates_against_packaging_pylock() -> None:
    data = _render()
    Pylock.from_dict(data).validate()


def test_structure() -> None:
    data = _render()
    assert data["lock-version"] == "1.0"
    assert data["created-by"] == "lockctl"
    assert data["requires-python"] == ">=3.11"
    assert data["environments"] == [
        'python_version == "3.11" and sys_platform == "linux" and platform_machine == "x86_64"'
    ]
    asgiref, django = data["packages"]
    assert django["name"] == "django" and django["version"] == "4.2.0"
    assert django["index"] == INDEX
    assert django["dependencies"] == [{"name": "asgiref"}]
    assert django["sdist"] == {
        "name": "django-4.2.0.tar.gz",
        "url": BASE + "django-4.2.0.tar.gz",
        "hashes": {"sha256": "bb"},
    }
    assert django["wheels"] == [
        {
            "name": "django-4.2.0-py3-none-any.whl",
            "url": BASE + "django-4.2.0-py3-none-any.whl",
            "size": 10,
            "hashes": {"sha256": "aa"},
        }
    ]
    assert "dependencies" not in asgiref
    assert asgiref["tool"]["lockctl"]["overrides"] == [
        {
            "requirement": "asgiref>=3.7",
            "from": "overrides.txt",
            "replaces": [{"requirement": "asgiref<3.7", "asked-by": "django"}],
        }
    ]


def test_credentials_are_not_written() -> None:
    locked = resolution(pin("a", "1", files=[dist("a-1-py3-none-any.whl", "dd")]))
    text = render_pylock(locked, target=TARGET, index_url="http://bot:s3cr3t@127.0.0.1:8/simple/")
    assert "s3cr3t" not in text and "bot" not in text


def test_index_is_optional_and_file_credentials_are_dropped() -> None:
    secret = DistributionFile(
        filename="a-1-py3-none-any.whl",
        url=SecretURL("http://bot:s3cr3t@127.0.0.1:8/files/a-1-py3-none-any.whl"),
        hashes={"sha256": "dd"},
    )
    text = render_pylock(resolution(pin("a", "1", files=[secret])), target=TARGET, index_url=None)
    data = tomlkit.parse(text).unwrap()
    [package] = data["packages"]
    assert "index" not in package
    assert package["wheels"][0]["url"] == "http://127.0.0.1:8/files/a-1-py3-none-any.whl"
    Pylock.from_dict(data).validate()
