"""Turn errors and events into the messages a person reads. The only place that words them."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable

from lockctl.cli.conflicts import render_conflict
from lockctl.errors import (
    ConfigError,
    HashMismatch,
    IncludeError,
    IndexFailure,
    LockctlError,
    RequirementsFileError,
    RequirementsFileErrors,
    SourceSpan,
    ToolFailure,
)
from lockctl.events import (
    PROGRESS,
    WARNINGS,
    CacheEntryCorrupt,
    CacheUnusable,
    Event,
    NetrcUnreadable,
    PreviousLockIgnored,
    ProjectListProgress,
    Reporter,
    Retrying,
)
from lockctl.resolver import ResolutionConflict, UnknownProject
from lockctl.urls import redact_text

__all__ = ["event_reporter", "render_error", "render_event", "render_span"]


def render_span(span: SourceSpan) -> str:
    """``file:line:column``, the line itself, and a caret under the bad text."""
    text = span.text.splitlines()[0] if span.text else ""
    shown = redact_text(text)
    if shown != text:  # the line held a password: the caret can no longer line up, so skip it
        return f"{span.path}:{span.line}:{span.column}\n    {shown}"
    pad = "".join("\t" if ch == "\t" else " " for ch in text[: max(span.column - 1, 0)])
    underline = "^" * max(min(span.length, len(text) - span.column + 1), 1)
    return f"{span.path}:{span.line}:{span.column}\n    {text}\n    {pad}{underline}"


def render_error(error: LockctlError) -> str:
    """One paragraph: what went wrong, where, and what to do (the error's hint, if any)."""
    return _with_hint(_what_and_where(error), _hint(error))


def _what_and_where(error: LockctlError) -> str:
    if isinstance(error, ResolutionConflict):
        return render_conflict(error)
    if isinstance(error, RequirementsFileError):
        return f"error: {error.message}\n  --> {render_span(error.span)}"
    if isinstance(error, RequirementsFileErrors):
        parts = [f"error: {error.message}:"]
        parts += [render_error(each).replace("\n", "\n  ") for each in error.errors]
        return "\n  ".join(parts)
    if isinstance(error, IncludeError):
        text = f"error: {error.message}"
        if error.span is not None:
            text += f"\n  --> {render_span(error.span)}"
        return text
    if isinstance(error, ConfigError):
        lines = [f"error: {error.message}:"]
        lines += [f"  {problem}" for problem in error.problems]
        return "\n".join(lines)
    if isinstance(error, HashMismatch):
        return (
            f"error: {error.message}\n  url: {error.url}\n"
            f"  expected {error.algorithm}:{error.expected}\n"
            f"  got      {error.algorithm}:{error.actual}"
        )
    if isinstance(error, IndexFailure):
        where = f"\n  url: {error.url}" if error.url else ""
        return f"error: {redact_text(error.message)}{where}"
    if isinstance(error, ToolFailure):
        text = f"error: {redact_text(error.message)}\n  command: {shlex.join(error.command)}"
        if error.output:
            text += "".join(f"\n  | {line}" for line in redact_text(error.output).splitlines())
        return text
    return f"error: {redact_text(error.message)}"


def _hint(error: LockctlError) -> str:
    if isinstance(error, UnknownProject):
        if error.suggestions:
            return f"did you mean {' or '.join(error.suggestions)}?"
        if error.gave_up_after is not None:
            return (
                "check the spelling (no close names were suggested: the index's list of "
                f"projects did not arrive within {_seconds(error.gave_up_after)}), or add the "
                "index that has it with --extra-index-url"
            )
        return "check the spelling, or add the index that has it with --extra-index-url"
    if isinstance(error, HashMismatch):
        if error.from_url:
            return "the file is not the one the URL's hash names; nothing was used"
        return "the file changed on the index or was corrupted in transit; nothing was used"
    return error.hint


def event_reporter(
    *, verbose: bool, write: Callable[[str], None] | None = None, quiet: bool = False
) -> Reporter:
    """A reporter that words the warnings always, what the run waits for unless ``quiet`` (its
    start and end; every step with ``-v``), and every other event with ``-v``; by default it
    writes to stderr."""

    def report(event: Event) -> None:
        if isinstance(event, PROGRESS):
            shown = not quiet and (verbose or _starts_or_ends(event))
        else:
            shown = verbose or isinstance(event, WARNINGS)
        if shown:
            text = render_event(event)
            if write is None:
                print(text, file=sys.stderr)
            else:
                write(text)

    return report


def _starts_or_ends(event: ProjectListProgress) -> bool:
    return event.received == 0 or event.names is not None


def render_event(event: Event) -> str:
    if isinstance(event, Retrying):
        return (
            f"warning: {event.reason} from {event.url}; retry {event.attempt} in {event.delay:.1f}s"
        )
    if isinstance(event, PreviousLockIgnored):
        return f"warning: not keeping the pins of {event.path}: {event.reason}"
    if isinstance(event, CacheUnusable):
        keeps = (
            "its entries are read, nothing new is kept"
            if event.readable
            else "running without a cache (slower)"
        )
        return f"warning: the cache {event.path} {event.reason}; {keeps}"
    if isinstance(event, NetrcUnreadable):
        return f"warning: not using {event.path} for credentials: {event.reason}"
    if isinstance(event, ProjectListProgress):
        return _project_list_progress(event)
    if isinstance(event, CacheEntryCorrupt):
        return (
            f"warning: ignoring corrupt cache entry {event.path} ({event.reason}); fetching again"
        )
    raise AssertionError(f"unknown event {event!r}")


def _project_list_progress(event: ProjectListProgress) -> str:
    size = _size(event.received)
    if event.names is not None:
        return f"read {event.names:,} project names from {event.index} ({size}); cached for a day"
    if event.received == 0:
        total = f" ({_size(event.expected)})" if event.expected else ""
        return (
            f"fetching the list of projects of {event.index}{total} to suggest a close name "
            f"(waiting at most {_seconds(event.limit)})"
        )
    of = f" of {_size(event.expected)}" if event.expected else ""
    return f"  {size}{of} of the list of projects received"


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} bytes"
    return f"{count / 1e6:.1f} MB" if count >= 100_000 else f"{count / 1e3:.0f} kB"


def _seconds(value: float) -> str:
    """A wait as a person reads it: ``5 s``, ``2.5 s``."""
    return f"{value:.1f}".removesuffix(".0") + " s"


def _with_hint(text: str, hint: str) -> str:
    return f"{text}\n  hint: {hint}" if hint else text
