"""Where the index comes from: pip's default, pip's config, the environment, options, files."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from lockctl.errors import ToolFailure, UsageError
from lockctl.index.pipconfig import pip_default_index_url
from lockctl.index.settings import (
    IndexOptions,
    IndexSettings,
    SettingName,
    check_options,
    location_problem,
)


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


@pytest.mark.parametrize(
    ("value", "find_links", "problem"),
    [
        ("https://index.test/simple", False, None),
        ("http://127.0.0.1:8080/simple/", False, None),
        (Path("/srv/simple").as_uri(), False, None),
        ("", False, "is empty"),
        ("  ", True, "is empty"),
        ("not-a-url", False, "is not an http(s) or file URL"),
        ("ftp://host/simple", False, "is not an http(s) or file URL"),
        ("ftp://host/wheels", True, "is not an http(s) or file URL"),
        ("http:///simple", False, "has no host"),
        ("http://127.0.0.1:99999/simple", False, "has a port that is not a number from 0 to 65535"),
        ("./wheels", True, None),
    ],
)
def test_location_problem(value: str, find_links: bool, problem: str | None) -> None:
    assert location_problem(value, find_links=find_links) == problem


def test_a_local_find_links_path_must_exist_only_when_asked(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone")
    assert location_problem(missing, find_links=True) is None
    assert location_problem(missing, find_links=True, must_exist=True) == "does not exist"
    assert location_problem(tmp_path.as_uri(), find_links=True, must_exist=True) is None
    gone_url = (tmp_path / "gone").as_uri()
    assert location_problem(gone_url, find_links=True, must_exist=True) == "does not exist"


def test_check_options_names_the_setting_and_redacts_the_value() -> None:
    options = IndexOptions(
        index_url="https://index.test/simple", extra_index_urls=("ftp://me:s3cret@host/simple",)
    )
    with pytest.raises(UsageError) as caught:
        check_options(options, label=lambda name: SettingName(f"--{name}"))
    assert caught.value.exit_code == 2
    assert caught.value.message == (
        "--extra-index-url 'ftp://me:****@host/simple' is not an http(s) or file URL"
    )
    with pytest.raises(UsageError, match=r"^--index-url is empty$") as empty:
        check_options(IndexOptions(index_url=""), label=lambda name: SettingName(f"--{name}"))
    assert "default index" in empty.value.hint


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PIP_INDEX_URL", "", "PIP_INDEX_URL is empty"),
        ("PIP_EXTRA_INDEX_URL", " ", "PIP_EXTRA_INDEX_URL is empty"),
        ("PIP_FIND_LINKS", "", "PIP_FIND_LINKS is empty"),
        ("PIP_INDEX_URL", "index.test/simple", "PIP_INDEX_URL 'index.test/simple' is not an"),
    ],
)
def test_an_unusable_index_in_the_environment_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    # An unset variable (PIP_INDEX_URL=$PRIVATE) must not send private names to pip's default.
    monkeypatch.setenv(variable, value)
    with pytest.raises(UsageError) as caught:
        IndexSettings.from_pip(cache_dir=tmp_path)
    assert caught.value.message.startswith(message)


def test_an_unusable_index_in_pip_configuration_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "pip.conf"
    config.write_text("[global]\nindex-url =\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(config))
    with pytest.raises(UsageError, match=f"^index-url in {config} is empty$"):
        IndexSettings.from_pip(cache_dir=tmp_path)
    # A find-links directory that is gone is pip's to ignore, not an error (pip warns).
    config.write_text(f"[global]\nfind-links = {tmp_path / 'gone'}\n")
    settings = IndexSettings.from_pip(IndexOptions(index_url="https://x.test"), cache_dir=tmp_path)
    assert [u.secret for u in settings.find_links] == [(tmp_path / "gone").as_uri()]


def test_a_missing_home_is_no_pip_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.delenv("PIP_CONFIG_FILE")
    monkeypatch.delenv("HOME", raising=False)
    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    settings = IndexSettings.from_pip(IndexOptions(index_url="https://x.test"), cache_dir=tmp_path)
    assert settings.indexes[0].secret == "https://x.test/"  # and the files outside home are read
