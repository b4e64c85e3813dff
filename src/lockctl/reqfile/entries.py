"""One logical line to entries: what pip's ``ParsedLine`` and ``handle_line`` decide.

pip breaks a line at the first space-separated word that starts with ``-``: what comes
before is the requirement (never shell-split, because markers hold quotes), what comes after
is options (``break_args_options``). Where pip silently ignores something that cannot have
an effect (``--pre`` after a requirement, a second file after ``-r``, a stray word), this
module reports an error instead: in a lockfile tool a silently dropped option is a bug.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)

from lockctl.errors import RequirementsFileError, SourceSpan
from lockctl.urls import SecretURL, file_url_path, redact_text

from .limits import MAX_LINE_CHARS, MAX_NAME_CHARS, SHOWN_CHARS
from .lines import LogicalLine, MappedText, expand_env, expanded_length
from .model import BlankEntry, CommentEntry, Entry, OptionEntry, RequirementEntry
from .options import OptionError, ParsedOption, parse_options
from .shellwords import ShellSplitError, ShellWord, split_words

__all__ = ["IncludeRequest", "read_line"]

# pip's STRONG_HASHES: the only algorithms --hash accepts.
_HASH_ALGORITHMS = ("sha256", "sha384", "sha512")
# The patterns below see user text; each is linear. _URL and _NAME are tried at the start
# only, and nothing after their runs can make a shorter run match. _EGG_FRAGMENT's first
# "#egg=" or "&egg=" always matches, so the search reads the text once.
_URL = re.compile(r"^(?:[A-Za-z][A-Za-z0-9+.-]*://|file:)")
_ARCHIVE_SUFFIXES = (".whl", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".zip")
_EGG_FRAGMENT = re.compile(r"[#&]egg=(?P<egg>[^&]*)")
_NAME = re.compile(r"[A-Za-z0-9._-]*")  # PEP 508's identifier characters
_PEP508_HINT = 'a requirement follows PEP 508, e.g. name[extra]>=1.0; python_version >= "3.10"'


@dataclass(frozen=True, slots=True, kw_only=True)
class IncludeRequest:
    """An ``-r``/``-c`` line whose file the parser still has to read."""

    kind: Literal["requirement", "constraint"]
    target: str
    path: Path
    target_span: SourceSpan
    line: LogicalLine


def read_line(
    line: LogicalLine, *, environ: Mapping[str, str], base_dir: Path
) -> list[Entry] | IncludeRequest:
    """Entries for one logical line (several for a line with several global options)."""
    if not line.body.text:
        if line.comment is None:
            return [BlankEntry(source=line.source)]
        return [CommentEntry(source=line.source, comment=line.comment)]
    _check_length(line, len(line.body.text), when="")
    _check_length(line, expanded_length(line.body, environ), when=" after ${VAR} expansion")
    body = expand_env(line.body, environ)
    args, options_text = _break_args_options(body)
    options = _parse_option_text(line, options_text)
    context = _Context(line, options_text)
    if args.text:
        return [_requirement(context, args, options)]
    if any(o.spec.scope == "include" for o in options):
        return _include(context, options, base_dir)
    if any(o.spec.scope == "editable" for o in options):
        return [_editable(context, options)]
    _check_only_global(context, options)
    return [_global_option(line, option, base_dir) for option in options]


@dataclass(frozen=True, slots=True)
class _Context:
    """The line being read and its options text, which option word offsets refer to."""

    line: LogicalLine
    options_text: MappedText

    def word_span(self, word: ShellWord) -> SourceSpan:
        return self.line.span(self.options_text, word.start, word.end)


def _check_length(line: LogicalLine, length: int, *, when: str) -> None:
    """Refuse a line no real file has before any pattern or parser reads it.

    The caret goes under the start of the logical line, and the error keeps only the
    beginning of it, so that printing the error stays small.
    """
    if length <= MAX_LINE_CHARS:
        return
    first = line.physical[0]
    raise RequirementsFileError(
        f"line too long{when}: {length:,} characters; the limit is {MAX_LINE_CHARS:,}",
        span=_clipped(
            SourceSpan(
                path=line.source.path,
                line=first.number,
                column=1,
                text=first.content,
                length=max(len(first.content), 1),
            )
        ),
        hint="no requirement or option is this long; is this a requirements file?",
    )


def _name_length(text: str) -> int:
    """How long the project name that ``text`` starts with is."""
    match = _NAME.match(text)
    return 0 if match is None else match.end()


def _name_too_long(length: int, span: SourceSpan) -> RequirementsFileError:
    return RequirementsFileError(
        f"project name too long: {length:,} characters; the limit is {MAX_NAME_CHARS}",
        span=_clipped(span),
        hint="a project name is a word of letters, digits, '.', '_' and '-' (PEP 508)",
    )


def _clipped(span: SourceSpan) -> SourceSpan:
    """``span`` with at most ``SHOWN_CHARS`` of caret, and of its line up to the caret's end.

    The line is redacted before it is cut: cut first, a password whose '@' falls past the
    cut would no longer look like one.
    """
    length = min(span.length, SHOWN_CHARS)
    return replace(span, text=redact_text(span.text)[: span.column - 1 + length], length=length)


def _break_args_options(body: MappedText) -> tuple[MappedText, MappedText]:
    text = body.text
    for index, char in enumerate(text):
        if char == "-" and (index == 0 or text[index - 1] == " "):
            return body[: max(index - 1, 0)], body[index:]
    return body, body[len(text) :]


def _error(
    line: LogicalLine, text: MappedText, start: int, end: int, message: str, hint: str = ""
) -> RequirementsFileError:
    return RequirementsFileError(message, span=line.span(text, start, end), hint=hint)


def _parse_option_text(line: LogicalLine, text: MappedText) -> list[ParsedOption]:
    try:
        return parse_options(split_words(text.text))
    except ShellSplitError as exc:
        raise _error(
            line, text, exc.offset, exc.offset + 1, f"cannot split options: {exc.message}"
        ) from None
    except OptionError as exc:
        raise _error(line, text, exc.start, exc.end, exc.message, exc.hint) from None


def _requirement(
    context: _Context, args: MappedText, options: list[ParsedOption]
) -> RequirementEntry:
    line = context.line
    requirement = _parse_requirement(line, args)
    hashes, extra = _per_requirement(context, options, what="a requirement")
    return RequirementEntry(
        source=line.source,
        comment=line.comment,
        requirement=requirement,
        hashes=hashes,
        options=extra,
    )


def _parse_requirement(line: LogicalLine, args: MappedText) -> Requirement:
    name_length = _name_length(args.text)
    if name_length > MAX_NAME_CHARS:  # checked before packaging reads the name
        raise _name_too_long(name_length, line.span(args, 0, name_length))
    try:
        return Requirement(args.text)
    except InvalidRequirement as exc:
        first_word = args.text.split()[0]
        named = _named_archive(first_word, args.text)
        if named is not None:
            return named
        if _looks_like_url_or_path(first_word):
            raise _error(
                line,
                args,
                0,
                len(first_word),
                f"a bare URL or path is not supported as a requirement: {first_word}",
                hint="name it: write `name @ URL` (PEP 508), or `-e PATH` for an editable",
            ) from None
        start, end = _error_offsets(exc, len(args.text))
        message = getattr(exc, "message", None) or str(exc).splitlines()[0]
        raise _error(
            line, args, start, max(end, start + 1), f"invalid requirement: {message}", _PEP508_HINT
        ) from None


def _named_archive(word: str, text: str) -> Requirement | None:
    """A bare URL of a wheel or sdist (``file:dist/alpha-1.0-py3-none-any.whl``), named from
    its file name, as pip takes it and as pip-compile writes a relative ``file:`` reference in
    a lock; None for anything else (a path, a directory, a VCS URL: those need a name)."""
    if _URL.match(word) is None:
        return None
    filename = word.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    try:
        if filename.endswith(".whl"):
            name = parse_wheel_filename(filename)[0]
        elif filename.endswith((".tar.gz", ".zip")):
            name = parse_sdist_filename(filename)[0]
        else:
            return None
        return Requirement(f"{name} @ {text}")
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidRequirement):
        return None


def _error_offsets(exc: InvalidRequirement, length: int) -> tuple[int, int]:
    """packaging >= 26.4 puts the span on the error; older versions on its cause."""
    for candidate in (exc, exc.__cause__):
        span = getattr(candidate, "span", None)
        if isinstance(span, tuple) and len(span) == 2:
            start, end = span
            if isinstance(start, int) and isinstance(end, int):
                return min(start, length), min(end, length)
    return 0, length


def _looks_like_url_or_path(word: str) -> bool:
    return (
        _URL.match(word) is not None
        or word.startswith((".", "/", "~", "\\"))
        or word.lower().endswith(_ARCHIVE_SUFFIXES)
        or re.match(r"^[A-Za-z]:[\\/]", word) is not None
    )


def _per_requirement(
    context: _Context, options: list[ParsedOption], *, what: str
) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
    hashes: list[str] = []
    extra: list[tuple[str, str]] = []
    for option in options:
        value = option.value
        if option.spec.scope != "requirement" or value is None:
            raise RequirementsFileError(
                f"--{option.spec.name} cannot follow {what} on the same line",
                span=context.word_span(option.flag),
                hint="pip ignores it there; put it on a line of its own",
            )
        if option.spec.name == "hash":
            hashes.append(_check_hash(context, value))
        else:
            extra.append((option.spec.name, value.value))
    return tuple(hashes), tuple(extra)


def _check_hash(context: _Context, word: ShellWord) -> str:
    algorithm, colon, digest = word.value.partition(":")
    if not colon or not digest or algorithm not in _HASH_ALGORITHMS:
        raise RequirementsFileError(
            f"invalid --hash value {word.value!r}",
            span=context.word_span(word),
            hint="write --hash=ALGORITHM:HEXDIGEST with sha256, sha384 or sha512",
        )
    return word.value


def _editable(context: _Context, options: list[ParsedOption]) -> RequirementEntry:
    editables = [o for o in options if o.spec.scope == "editable"]
    if len(editables) > 1:
        raise RequirementsFileError(
            "only one -e may appear on a line",
            span=context.word_span(editables[1].flag),
        )
    value = editables[0].value
    assert value is not None  # -e takes a value, parse_options guarantees it
    rest = [o for o in options if o is not editables[0]]
    hashes, extra = _per_requirement(context, rest, what="-e")
    return RequirementEntry(
        source=context.line.source,
        comment=context.line.comment,
        requirement=_editable_requirement(context, value),
        hashes=hashes,
        options=extra,
        editable=True,
        editable_target=value.value,
    )


def _editable_requirement(context: _Context, target: ShellWord) -> Requirement | None:
    """The name pip would know before building: only from an ``#egg=name`` fragment."""
    match = _EGG_FRAGMENT.search(target.value)
    if match is None:
        return None
    egg = match["egg"]
    egg_length = _name_length(egg)
    if egg_length > MAX_NAME_CHARS:
        raise _name_too_long(egg_length, context.word_span(target))
    try:
        requirement = Requirement(egg)
    except InvalidRequirement:
        raise RequirementsFileError(
            f"invalid #egg= fragment {egg!r}",
            span=context.word_span(target),
            hint="#egg= must be a project name",
        ) from None
    if _URL.match(target.value) or "+" in target.value.split(":", 1)[0]:
        try:
            return Requirement(f"{egg} @ {target.value}")
        except InvalidRequirement:
            return requirement
    return requirement


def _include(context: _Context, options: list[ParsedOption], base_dir: Path) -> IncludeRequest:
    if len(options) > 1:
        raise RequirementsFileError(
            "an -r or -c line must hold nothing else",
            span=context.word_span(options[1].flag),
            hint="pip follows the first file and ignores the rest; use one line each",
        )
    option = options[0]
    value = option.value
    assert value is not None  # -r/-c take a value, parse_options guarantees it
    target = value.value
    span = context.word_span(value)
    if re.match(r"^https?://", target, re.IGNORECASE):
        raise RequirementsFileError(
            f"remote requirements files are not supported: {SecretURL(target)}",
            span=span,
            hint="download the file and include the local copy",
        )
    if target.lower().startswith("file:"):
        path = file_url_path(SecretURL(target))
    else:
        # pip joins a local include onto the including file's directory (os.path.join, so
        # an absolute target stays absolute).
        path = base_dir / target
    if "\0" in str(path):
        # No file system takes a NUL in a name; open() and realpath() raise ValueError.
        raise RequirementsFileError(
            "an included file's name cannot hold a NUL character", span=span
        )
    kind: Literal["requirement", "constraint"] = (
        "constraint" if option.spec.name == "constraint" else "requirement"
    )
    return IncludeRequest(kind=kind, target=target, path=path, target_span=span, line=context.line)


def _check_only_global(context: _Context, options: list[ParsedOption]) -> None:
    for option in options:
        if option.spec.scope == "requirement":
            raise RequirementsFileError(
                f"--{option.spec.name} must follow a requirement on the same line",
                span=context.word_span(option.flag),
                hint="pip ignores it here; join it to its requirement with a trailing backslash",
            )


def _global_option(line: LogicalLine, option: ParsedOption, base_dir: Path) -> OptionEntry:
    name = option.spec.name
    value = None if option.value is None else option.value.value
    url: SecretURL | None = None
    if value is not None and name in ("index-url", "extra-index-url", "find-links"):
        if _URL.match(value):
            url = SecretURL(value)
            value = url.redacted
        elif name == "find-links":
            # pip resolves a local find-links directory against the requirements file's
            # directory (handle_option_line). pip falls back to the working directory when
            # that path does not exist; lockctl always uses the file's directory, made
            # absolute as pip makes it (pip-compile writes that path back into the lock).
            value = str(Path(os.path.abspath(base_dir)) / value)  # noqa: PTH100 - keeps ".."
    return OptionEntry(source=line.source, comment=line.comment, name=name, value=value, url=url)
