"""Open an index client from the options of one run: the one place that wires index/ together.

Every index and find-links location is checked before anything is asked of an index: one the
user gave that cannot be used is an input error naming where it was written (the option, or
the requirements file's line), never a failed request or a quiet fall-back to pip's default.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from lockctl.errors import RequirementsFileError, RequirementsFileErrors, SourceSpan
from lockctl.events import Reporter, ignore_events
from lockctl.index import (
    Cache,
    ClientOptions,
    FetchPolicy,
    HttpFetcher,
    IndexClient,
    IndexOptions,
    IndexSettings,
    default_cache_dir,
)
from lockctl.index.auth import CredentialStore
from lockctl.index.settings import (
    SettingName,
    check_options,
    location_error,
    location_problem,
)
from lockctl.ops.commands import IndexRequest
from lockctl.reqfile import OptionEntry, RequirementsFile, SourceLine
from lockctl.tracing import Tracer

__all__ = ["file_index_options", "open_index"]

_LOCATIONS = ("index-url", "extra-index-url", "find-links")


def file_index_options(files: Iterable[RequirementsFile]) -> IndexOptions:
    """The index options written inside requirement files (and the files they include).

    Raises ``RequirementsFileError`` (``RequirementsFileErrors`` for several) at each line
    whose index or find-links location cannot be used.
    """
    index_url: str | None = None
    extras: list[str] = []
    find_links: list[str] = []
    trusted: list[str] = []
    no_index: bool | None = None
    problems: dict[tuple[str, int, str], RequirementsFileError] = {}  # one per line and option
    for requirements in files:
        for located in requirements.iter_options():
            option = located.entry
            value = option.url.secret if option.url is not None else option.value
            problem = _location_error(option, value)
            if problem is not None:
                where = (str(option.source.path), option.source.line, option.name)
                problems.setdefault(where, problem)
            elif option.name == "index-url" and value:
                index_url = value
            elif option.name == "extra-index-url" and value:
                extras.append(value)
            elif option.name == "find-links" and value:
                find_links.append(value)
            elif option.name == "trusted-host" and value:
                trusted.append(value)
            elif option.name == "no-index":
                no_index = True
    if len(problems) == 1:
        raise next(iter(problems.values()))
    if problems:
        raise RequirementsFileErrors(tuple(problems.values()))
    return IndexOptions(
        index_url=index_url,
        extra_index_urls=tuple(extras),
        find_links=tuple(find_links),
        no_index=no_index,
        trusted_hosts=tuple(trusted),
    )


def open_index(
    request: IndexRequest,
    *,
    files: Iterable[RequirementsFile] = (),
    reporter: Reporter = ignore_events,
) -> IndexClient:
    """An index client for the CLI options, with the requirement files' options on top.

    pip's order: its defaults and configuration, then the command line, then the files
    (an ``-i`` inside a requirements file replaces the index given on the command line).
    """
    check_options(request.options, label=lambda name: SettingName(f"--{name}"), local_paths=True)
    check_options(
        request.config_options,
        label=lambda name: SettingName(name, "in [tool.lockctl] of pyproject.toml"),
        local_paths=True,
    )
    cache_dir = request.cache_dir or default_cache_dir()
    settings = IndexSettings.from_pip(
        request.config_options, request.options, file_index_options(files), cache_dir=cache_dir
    )
    credentials = CredentialStore((*settings.indexes, *settings.find_links), reporter=reporter)
    # The run's clock starts as the fetcher is made: request.timeout seconds from now, every
    # request fails at once (and one in flight is cut off).
    policy = replace(
        request.policy or FetchPolicy(),
        trusted_hosts=settings.trusted_hosts,
        run_deadline=request.timeout,
    )
    tracer = request.tracer or Tracer()
    fetcher = HttpFetcher(policy=policy, credentials=credentials, reporter=reporter, tracer=tracer)
    return IndexClient(
        settings,
        fetcher=fetcher,
        cache=Cache(cache_dir, reporter=reporter),
        options=ClientOptions(
            offline=request.offline,
            refresh=request.refresh,
            refresh_projects=request.refresh_projects,
            allow_build=request.allow_build,
            max_workers=request.max_requests,
            linger=request.linger,
        ),
        tracer=tracer,
    )


def _location_error(option: OptionEntry, value: str | None) -> RequirementsFileError | None:
    """The error for an index or find-links line whose location cannot be used, if it cannot."""
    if option.name not in _LOCATIONS or value is None:
        return None
    # A local find-links path is already resolved against the file's directory (the parser).
    problem = location_problem(value, find_links=option.name == "find-links", must_exist=True)
    if problem is None:
        return None
    error = location_error(SettingName(f"--{option.name}"), value, problem)
    return RequirementsFileError(
        error.message, span=_value_span(option.source, value), hint=error.hint
    )


def _value_span(source: SourceLine, value: str) -> SourceSpan:
    """Where ``value`` is written on ``source``'s line; the whole first line if it is not."""
    at = source.text.find(value) if value else -1
    if at < 0:
        return source.span()
    before = source.text[:at]
    start = before.rfind("\n") + 1
    return SourceSpan(
        path=source.path,
        line=source.line + before.count("\n"),
        column=at - start + 1,
        text=source.text[start:].split("\n", 1)[0],
        length=len(value),
    )
