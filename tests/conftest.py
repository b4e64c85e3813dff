from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.support.fixtures"]

_PIP_INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX")


@pytest.fixture(autouse=True)
def _isolated_pip_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read this machine's pip configuration or index settings."""
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in _PIP_INDEX_VARIABLES:
        monkeypatch.delenv(name, raising=False)
