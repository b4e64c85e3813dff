"""Which indexes and find-links locations to ask, and in what order.

Layers, lowest first, as pip applies them: pip's built-in default; pip's configuration files;
``PIP_INDEX_URL`` / ``PIP_EXTRA_INDEX_URL`` / ``PIP_FIND_LINKS`` / ``PIP_NO_INDEX``; command-line
options; then the options inside the requirement files (``-i`` there replaces the index,
``--extra-index-url`` and ``-f`` add to the lists).

With several indexes, the first index (in this order) that has a project is the only one asked
for its files. That is lockctl's defence against dependency confusion: a project name registered
on a public index cannot shadow a private one listed first. Find-links locations are local
and explicit, so their files are always added, as pip adds them.

A location that cannot be used is refused before anything is asked (``check_options``): an index
that is not an http(s) or ``file:`` URL, and any empty value. pip ignores an empty setting and
falls back to its default index; lockctl does not, because an unset variable in
``PIP_INDEX_URL=$PRIVATE_INDEX`` would otherwise send the names of private projects to it.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from lockctl.errors import UsageError
from lockctl.index.pipconfig import pip_config_settings, pip_default_index_url
from lockctl.urls import SecretURL, file_url_path, redact_text

__all__ = [
    "IndexOptions",
    "IndexSettings",
    "Labeller",
    "SettingName",
    "check_options",
    "location_problem",
    "location_url",
]


class SettingName(NamedTuple):
    """How a message names a setting: ``--index-url``, or ``index-url`` and where it is written."""

    name: str
    where: str = ""  # "in /etc/pip.conf"


# How a layer names one of its settings (given pip's name for it) in a message.
Labeller = Callable[[str], SettingName]
_URL_SCHEMES = ("http", "https", "file")


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
    # The same locations as the user wrote them (no trailing slash added, paths as paths):
    # pip-compile writes its option lines that way; index_url None when pip's default is used.
    given: IndexOptions = IndexOptions()

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
            given=IndexOptions(
                index_url=index_url if chosen and not no_index else None,
                extra_index_urls=() if no_index else tuple(extras),
                find_links=tuple(find_links),
                no_index=no_index,
                trusted_hosts=tuple(trusted),
            ),
        )

    @classmethod
    def from_pip(
        cls,
        *later_layers: IndexOptions,
        cache_dir: Path,
        environ: Mapping[str, str] | None = None,
    ) -> IndexSettings:
        """pip's default, pip's config files and environment, then ``later_layers``.

        Raises ``UsageError`` for a location in pip's configuration or environment that cannot
        be used; the later layers are the caller's to check (``check_options``).
        """
        env = os.environ if environ is None else environ
        layers = [_config_layer(env), _environment_layer(env), *later_layers]
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


def location_problem(value: str, *, find_links: bool, must_exist: bool = False) -> str | None:
    """Why ``value`` cannot be an index (or, ``find_links``, a find-links location); None if it can.

    An index is an http(s) or ``file:`` URL with, for http(s), a host and a valid port; a
    find-links location may also be a local path, which ``must_exist`` asks to be there. The
    answer completes a sentence that starts with the setting's name and value.
    """
    if not value.strip():
        return "is empty"
    if "://" not in value and not value.lower().startswith("file:"):
        if not find_links:
            return "is not an http(s) or file URL"
        return "does not exist" if must_exist and not Path(value).expanduser().exists() else None
    parts = urllib.parse.urlsplit(value)
    scheme = parts.scheme.lower()
    if scheme not in _URL_SCHEMES:
        return "is not an http(s) or file URL"
    if scheme == "file":
        exists = file_url_path(SecretURL(value)).exists()
        return "does not exist" if must_exist and find_links and not exists else None
    if not parts.hostname:
        return "has no host"
    try:
        parts.port  # noqa: B018 - urllib checks the port only when asked for it
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None


def check_options(options: IndexOptions, *, label: Labeller, local_paths: bool = False) -> None:
    """Raise ``UsageError`` for the first location in ``options`` that cannot be used.

    ``label`` names a setting as the user wrote it. ``local_paths``: a local find-links path
    must exist (for what the user gave this run; a stale path in pip's configuration is
    ignored, as pip ignores it).
    """
    named = [("index-url", options.index_url)] if options.index_url is not None else []
    named += [("extra-index-url", url) for url in options.extra_index_urls]
    named += [("find-links", link) for link in options.find_links]
    for name, value in named:
        problem = location_problem(value, find_links=name == "find-links", must_exist=local_paths)
        if problem is not None:
            raise location_error(label(name), value, problem)


def location_error(setting: SettingName, value: str, problem: str) -> UsageError:
    """The error for a location that cannot be used: the setting, its value, and why."""
    where = f" {setting.where}" if setting.where else ""
    if problem == "is empty":
        return UsageError(
            f"{setting.name}{where} is empty",
            hint="give a URL, or leave the setting out: an empty value (an unset variable?) "
            "is refused, not replaced by pip's default index, which would learn the names of "
            "your projects",
        )
    return UsageError(f"{setting.name} {redact_text(value)!r}{where} {problem}")


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(value.split()) if value else ()


def _truthy(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    return value.strip().lower() in ("1", "true", "yes", "on")


def _layer(setting: Callable[[str], str | None], label: Labeller) -> IndexOptions:
    """The index options one source of pip settings gives, looked up by pip's option names.

    An empty value is refused here, where it is still a value: split, it would be no value.
    """
    for name in ("index-url", "extra-index-url", "find-links"):
        value = setting(name)
        if value is not None and not value.strip():
            raise location_error(label(name), value, "is empty")
    options = IndexOptions(
        index_url=setting("index-url"),
        extra_index_urls=_split(setting("extra-index-url")),
        find_links=_split(setting("find-links")),
        no_index=_truthy(setting("no-index")),
        trusted_hosts=_split(setting("trusted-host")),
    )
    check_options(options, label=label)
    return options


def _config_layer(env: Mapping[str, str]) -> IndexOptions:
    settings = pip_config_settings(env)

    def label(name: str) -> SettingName:
        return SettingName(name, f"in {settings[name].file}")

    return _layer(lambda name: settings[name].value if name in settings else None, label)


def _environment_layer(env: Mapping[str, str]) -> IndexOptions:
    # pip's rule: every long option --some-name can be set as PIP_SOME_NAME.
    def variable(name: str) -> str:
        return "PIP_" + name.upper().replace("-", "_")

    return _layer(lambda name: env.get(variable(name)), lambda name: SettingName(variable(name)))
