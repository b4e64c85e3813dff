"""Where the index comes from: pip's default, pip's config, the environment, options, files."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from lockctl.errors import ToolFailure
from lockctl.index.pipconfig import pip_default_index_url
from lockctl.index.settings import IndexOptions, IndexSettings


def test_pip_default_index_is_read_from_pip_and_remembered(tmp_path: Path) -> None:
    url = pip_default_index_url(tmp_path)
    assert url.startswith("https://") and url.rstrip("/").endswith("/simple")
    (remembered,) = tmp_path.glob("pip-default-index-*.txt")
    remembered.write_text("https://remembered.test/simple")
    assert pip_default_index_url(tmp_path) == "https://remembered.test/simple"


def test_no_pip_is_a_tool_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name: None if name == "pip" else find_spec(name)
    )
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(ToolFailure) as caught:
        pip_default_index_url(tmp_path)
    assert caught.value.exit_code == 3
    assert caught.value.message.startswith("pip is not installed")
    assert caught.value.command == ("pip", "install", "--help")
    assert caught.value.hint == "pass --index-url or set PIP_INDEX_URL"


def test_pip_help_without_a_default_is_a_tool_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "python"  # stands in for ``python -m pip install --help``
    fake.write_text("#!/bin/sh\necho 'Usage: pip install [options]'\necho 'pip broke' >&2\n")
    fake.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    with pytest.raises(ToolFailure) as caught:
        pip_default_index_url(tmp_path / "cache")
    assert caught.value.exit_code == 3
    assert caught.value.message == "could not read pip's default index from 'pip install --help'"
    assert caught.value.command == (str(fake), "-m", "pip", "install", "--help")
    assert caught.value.output == "Usage: pip install [options]\npip broke"
    assert caught.value.hint == "pass --index-url or set PIP_INDEX_URL"


def test_layers_apply_in_pip_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "pip.conf"
    config.write_text(
        "[global]\nindex-url = https://config.test/simple\n"
        "extra-index-url = https://extra1.test/simple\n    https://extra2.test/simple\n"
        "[install]\nfind-links = /wheels\n"
    )
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    settings = IndexSettings.from_pip(cache_dir=tmp_path)
    assert [u.secret for u in settings.indexes] == [
        "https://config.test/simple/",
        "https://extra1.test/simple/",
        "https://extra2.test/simple/",
    ]
    assert [u.secret for u in settings.find_links] == [Path("/wheels").as_uri()]

    monkeypatch.setenv("PIP_INDEX_URL", "https://env.test/simple")
    from_file = IndexOptions(
        index_url="https://file.test/simple", extra_index_urls=("https://x.test",)
    )
    settings = IndexSettings.from_pip(
        IndexOptions(index_url="https://cli.test"), from_file, cache_dir=tmp_path
    )
    assert [u.secret for u in settings.indexes][:2] == [
        "https://file.test/simple/",
        "https://extra1.test/simple/",
    ]


def test_no_index_leaves_only_find_links(tmp_path: Path) -> None:
    settings = IndexSettings.combine(
        [IndexOptions(no_index=True, find_links=(str(tmp_path),))], default_index="https://d.test"
    )
    assert settings.indexes == ()
    assert [u.secret for u in settings.find_links] == [tmp_path.resolve().as_uri()]


def test_config_file_devnull_turns_config_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".pip").mkdir()
    (tmp_path / ".pip" / "pip.conf").write_text("[global]\nindex-url = https://home.test/simple\n")
    settings = IndexSettings.from_pip(
        IndexOptions(index_url="https://cli.test/simple"), cache_dir=tmp_path
    )
    assert [u.secret for u in settings.indexes] == ["https://cli.test/simple/"]
