"""Which indexes and find-links locations to ask, and in what order.

Layers, lowest first, as pip applies them: pip's built-in default; pip's configuration files;
``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` / ``PIP_FIND_LINKS`` / ``PIP_NO_INDEX``; command-line
options; then the options inside the requirement files (``-i`` there replaces the index,
``--extra-index-url`` and ``-f`` add to the lists).

With several indexes, the first index (in this order) that has a project is the only one asked
for its files. That is lockctl's defence against dependency confusion: a project name registered
on a public index cannot shadow a private one listed first. Find-links locations are local
and explicit, so their files are always added, as pip adds them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lockctl.index.pipconfig import pip_config_values, pip_default_index_url
from lockctl.urls import SecretURL

__all__ = ["IndexOptions", "IndexSettings", "location_url"]


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexOptions:
    """Index options from one layer; None or empty means "this layer says nothing"."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool | None = None
    trusted_hosts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexSettings:
    index_url: SecretURL | None  # None with --no-index
    extra_index_urls: tuple[SecretURL, ...] = ()
    find_links: tuple[SecretURL, ...] = ()
    trusted_hosts: tuple[str, ...] = ()
    index_is_default: bool = False  # the index is pip's built-in default, not a user's choice

    @property
    def indexes(self) -> tuple[SecretURL, ...]:
        """Indexes in priority order: the first one that has a project wins."""
        first = () if self.index_url is None else (self.index_url,)
        return first + tuple(u for u in self.extra_index_urls if u != self.index_url)

    @classmethod
    def combine(cls, layers: Iterable[IndexOptions], *, default_index: str) -> IndexSettings:
        index_url = default_index
        chosen = False
        extras: list[str] = []
        find_links: list[str] = []
        trusted: list[str] = []
        no_index = False
        for layer in layers:
            if layer.index_url:
                index_url = layer.index_url
                chosen = True
            if layer.no_index is not None:
                no_index = layer.no_index
            extras += [u for u in layer.extra_index_urls if u not in extras]
            find_links += [u for u in layer.find_links if u not in find_links]
            trusted += [h for h in layer.trusted_hosts if h not in trusted]
        return cls(
            index_url=None if no_index else SecretURL(index_url).with_trailing_slash(),
            extra_index_urls=()
            if no_index
            else tuple(SecretURL(u).with_trailing_slash() for u in extras),
            find_links=tuple(location_url(u) for u in find_links),
            trusted_hosts=tuple(trusted),
            index_is_default=not chosen and not no_index,
        )

    @classmethod
    def from_pip(
        cls,
        *later_layers: IndexOptions,
        cache_dir: Path,
        environ: Mapping[str, str] | None = None,
    ) -> IndexSettings:
        """pip's default, pip's config files and environment, then ``later_layers``."""
        env = os.environ if environ is None else environ
        layers = [_config_layer(pip_config_values(env)), _environment_layer(env), *later_layers]
        if any(layer.index_url for layer in layers):
            default = ""  # replaced below; asking pip costs a subprocess on the first run
        else:
            default = pip_default_index_url(cache_dir)
        return cls.combine(layers, default_index=default)


def location_url(location: str) -> SecretURL:
    """A find-links or index location as a URL: local paths become ``file://`` URLs."""
    if "://" in location:
        return SecretURL(location)
    return SecretURL(Path(location).expanduser().resolve().as_uri())


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _truthy(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def _layer(setting: Callable[[str], str | None]) -> IndexOptions:
    """The index options one source of pip settings gives, looked up by pip's option names."""
    return IndexOptions(
        index_url=setting("index-url"),
        extra_index_urls=_split(setting("extra-index-url")),
        find_links=_split(setting("find-links")),
        no_index=_truthy(setting("no-index")),
        trusted_hosts=_split(setting("trusted-host")),
    )


def _config_layer(values: Mapping[str, str]) -> IndexOptions:
    return _layer(values.get)


def _environment_layer(env: Mapping[str, str]) -> IndexOptions:
    # pip's rule: every long option --some-name can be set as PIP_SOME_NAME.
    return _layer(lambda name: env.get("PIP_" + name.upper().replace("-", "_")))
