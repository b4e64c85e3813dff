"""``with_option_lines``: the index lines pip-compile writes, from the locations as given."""

from __future__ import annotations

from pathlib import Path

import pytest

from lockctl.index import IndexOptions, IndexSettings
from lockctl.lockfiles import LockWriteOptions
from lockctl.ops.optionlines import with_option_lines

DEFAULT = "https://index.example.invalid/simple"  # stands for pip's default index


@pytest.fixture(autouse=True)
def _pip_default(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    asked: list[Path] = []

    def default(cache_dir: Path) -> str:
        asked.append(cache_dir)
        return DEFAULT

    monkeypatch.setattr("lockctl.index.pipconfig.pip_default_index_url", default)
    return asked


def _lines(*layers: IndexOptions, tmp_path: Path) -> tuple[str | None, list[str]]:
    settings = IndexSettings.combine(layers, default_index=DEFAULT)
    options = with_option_lines(
        LockWriteOptions(python_version="3.11"), settings, cache_dir=tmp_path
    )
    index = None if options.index_url is None else options.index_url.secret
    return index, [url.secret for url in options.extra_index_urls]


def test_pip_default_is_skipped_only_as_the_first_index(tmp_path: Path) -> None:
    # pip-compile: "index == 0 and index_url.rstrip('/') == default" is skipped.
    assert _lines(IndexOptions(index_url=DEFAULT + "/"), tmp_path=tmp_path) == (None, [])
    private = "https://private.example.invalid/simple"
    assert _lines(
        IndexOptions(index_url=private, extra_index_urls=(DEFAULT,)), tmp_path=tmp_path
    ) == (private, [DEFAULT])


def test_the_default_is_never_written_as_an_extra_index(tmp_path: Path) -> None:
    # With no -i the list starts with the default as pip spells it: the same text is deduped.
    extra = "https://extra.example.invalid/simple/"
    assert _lines(IndexOptions(extra_index_urls=(DEFAULT, extra)), tmp_path=tmp_path) == (
        None,
        [extra],
    )


def test_urls_are_kept_as_given_and_pip_is_asked_only_for_a_plausible_default(
    tmp_path: Path, _pip_default: list[Path]
) -> None:
    given = "http://127.0.0.1:8000/simple"
    assert _lines(IndexOptions(index_url=given), tmp_path=tmp_path) == (given, [])
    assert _pip_default == []  # plain http is never pip's default: pip is not asked


def test_no_index_writes_no_index(tmp_path: Path) -> None:
    options = IndexOptions(no_index=True, find_links=("wheels/", "~/nowhere-here"))
    settings = IndexSettings.combine([options], default_index=DEFAULT)
    written = with_option_lines(
        LockWriteOptions(python_version="3.11"), settings, cache_dir=tmp_path
    )
    assert written.index_url is None and written.extra_index_urls == ()
    assert written.find_links == ("wheels/", "~/nowhere-here")  # "~" kept: it does not exist
