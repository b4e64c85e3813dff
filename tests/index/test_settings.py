"""Where the index comes from: pip's default, pip's config, the environment, options, files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lockctl.index.pipconfig import pip_default_index_url
from lockctl.index.settings import IndexOptions, IndexSettings


def test_pip_default_index_is_read_from_pip_and_remembered(tmp_path: Path) -> None:
    url = pip_default_index_url(tmp_path)
    assert url.startswith("https://") and url.rstrip("/").endswith("/simple")
    (remembered,) = tmp_path.glob("pip-default-index-*.txt")
    remembered.write_text("https://remembered.test/simple")
    assert pip_default_index_url(tmp_path) == "https://remembered.test/simple"


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
