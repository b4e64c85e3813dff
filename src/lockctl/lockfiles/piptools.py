"""A ``Resolution`` as the ``.txt`` file pip-compile writes, byte for byte.

The layout is pip-tools 7.6's ``OutputWriter``, checked against the real ``pip-compile`` by
tests/lockfiles/test_parity.py:

- the header (Python ``X.Y`` of the target, the command or ``CUSTOM_COMPILE_COMMAND``);
- index options, find-links, trusted hosts and format controls, then a blank line;
- pins sorted by canonical name, ``name==version``, a root requirement's marker as
  `` ; marker``, ``--hash`` lines sorted as strings, then the ``# via`` annotation;
- "unsafe" packages (pip, setuptools, distribute) in their own section at the end.

Two deliberate differences: lockctl adds one ``# override:`` comment per override under the
pin it changed (format in ``lockctl.lockfiles.comments``), and an index URL is written with
its password redacted (pip-tools writes credentials as given; lockctl never writes a secret).
"""

from __future__ import annotations

from collections.abc import Iterator

from packaging.markers import Marker
from packaging.utils import NormalizedName

from lockctl.resolver.models import EditableProject, Resolution, ResolvedPin
from lockctl.urls import redact_text

from .comments import format_override, format_via, root_source, via_sources
from .digest import format_digest
from .format import (
    COMMAND_INDENT,
    COMMAND_INTRO,
    HASH_ALGORITHMS,
    PYTHON_INTRO,
    UNHASHED_WARNING,
    UNSAFE_HEADING,
    UNSAFE_UNPINNED_WARNING,
)
from .options import LockWriteOptions

__all__ = ["render_piptools"]

_ANNOTATION_COLUMN = 24  # pip-tools pads the requirement to this width before a "line" note


def render_piptools(resolution: Resolution, options: LockWriteOptions) -> str:
    """The lock's text, with ``options.newline`` line endings (pip-compile's ``--newline``)."""
    return "".join(line + "\n" for line in _lines(resolution, options)).replace(
        "\n", options.newline
    )


def _lines(resolution: Resolution, options: LockWriteOptions) -> Iterator[str]:
    pins = sorted(resolution.pins, key=lambda pin: pin.name)
    unsafe_names = options.unsafe_packages if options.unsafe_style != "inline" else frozenset()
    safe = [pin for pin in pins if pin.name not in unsafe_names]
    unsafe = [pin for pin in pins if pin.name in unsafe_names]
    hashes = {pin.name: _hashes(pin) for pin in pins} if options.generate_hashes else {}
    has_hashes = any(hashes.values())

    wrote_anything = False
    for line in (*_header(options), *_flags(options)):
        wrote_anything = True
        yield line
    for editable in resolution.editables:  # pip-tools sorts editables first
        wrote_anything = True
        if has_hashes:
            yield UNHASHED_WARNING  # an -e line has no hash; pip-tools warns as for a pin
        yield _format_editable(editable, options)
    for pin in safe:
        wrote_anything = True
        if has_hashes and not hashes[pin.name]:
            yield UNHASHED_WARNING
        yield _format_pin(pin, hashes.get(pin.name, ()), options)
    if unsafe:
        wrote_anything = True
        yield ""
        yield from _unsafe_section(unsafe, hashes, options, has_hashes=has_hashes)
    if not wrote_anything:
        yield ""  # pip-tools writes one empty line rather than an empty file


def _header(options: LockWriteOptions) -> Iterator[str]:
    if not options.emit_header:
        return
    yield "#"
    yield f"{PYTHON_INTRO}{options.python_version}"
    yield COMMAND_INTRO
    yield "#"
    yield f"{COMMAND_INDENT}{options.header_command}"
    yield "#"
    if options.digest is not None:  # lockctl's own line: what decided this lock
        yield format_digest(options.digest)
        yield "#"


def _dedup(values: tuple[str, ...]) -> list[str]:
    return list(dict.fromkeys(values))


def _flags(options: LockWriteOptions) -> Iterator[str]:
    if not options.emit_options:
        return
    lines: list[str] = []
    if options.emit_index_url:
        urls = [url.redacted for url in options.extra_index_urls]
        if options.index_url is not None:
            lines.append(f"--index-url {options.index_url.redacted}")
            urls = [url for url in urls if url != options.index_url.redacted]
        lines += [f"--extra-index-url {url}" for url in _dedup(tuple(urls))]
    if options.emit_find_links:
        # A find-links entry may be a URL with credentials.
        lines += [f"--find-links {redact_text(link)}" for link in _dedup(options.find_links)]
    if options.emit_trusted_host:
        lines += [f"--trusted-host {host}" for host in _dedup(options.trusted_hosts)]
    lines += _format_controls(options)
    if lines:
        yield from lines
        yield ""


def _format_controls(options: LockWriteOptions) -> list[str]:
    # pip applies --only-binary over --no-binary and names over :all:, reading first to last,
    # so pip-tools writes :all: first, then the names sorted.
    lines: list[str] = []
    no_binary, only_binary = set(options.no_binary), set(options.only_binary)
    if ":all:" in no_binary:
        lines.append("--no-binary :all:")
        no_binary.discard(":all:")
    if ":all:" in only_binary:
        lines.append("--only-binary :all:")
        only_binary.discard(":all:")
    lines += [f"--no-binary {name}" for name in sorted(no_binary)]
    lines += [f"--only-binary {name}" for name in sorted(only_binary)]
    return lines


def _hashes(pin: ResolvedPin) -> tuple[str, ...]:
    """One hash per file of the release, as pip-tools lists them (every file, every tag).

    pip-tools writes sha256 only (downloading a file to hash it when the index gives none);
    this writer is pure, so a file without sha256 contributes its best other strong hash,
    and a file with no hash at all is left out.
    """
    found: set[str] = set()
    for dist in pin.release.all_files:
        for algorithm in HASH_ALGORITHMS:
            digest = dist.hashes.get(algorithm)
            if digest:
                found.add(f"{algorithm}:{digest}")
                break
    return tuple(sorted(found))


def _marker(pin: ResolvedPin) -> Marker | None:
    # pip-tools keeps the marker of the last input line naming the project (a dict built in
    # input order); markers on dependencies are evaluated away by the resolver.
    marker: Marker | None = None
    for root in pin.roots:
        if root.origin.parent is not None or not root.write_marker:
            continue  # an editable's dependency, or a pyproject extra's: pip-tools writes none
        if root.kind != "override" and root.requirement.marker is not None:
            marker = root.requirement.marker
    return marker


def _requirement_text(pin: ResolvedPin, options: LockWriteOptions) -> str:
    extras = "" if options.strip_extras or not pin.extras else f"[{','.join(sorted(pin.extras))}]"
    text = f"{pin.name}{extras}=={pin.version}"
    direct = pin.release.direct_reference
    if direct is not None:
        # ``name[extras] @ URL`` as pip-tools writes a direct reference (the input's extras).
        name, at, url = direct.partition(" @ ")
        text = f"{name.partition('[')[0] if options.strip_extras else name}{at}{url}"
    marker = _marker(pin)
    return text if marker is None else f"{text} ; {marker}"


def _format_pin(pin: ResolvedPin, hashes: tuple[str, ...], options: LockWriteOptions) -> str:
    line = _requirement_text(pin, options)
    for digest in hashes:
        line += f" \\\n    --hash={digest}"
    if options.annotate:
        line = _annotate(line, pin, has_hashes=bool(hashes), options=options)
    return line


def _format_editable(editable: EditableProject, options: LockWriteOptions) -> str:
    """``-e`` and the project's absolute ``file:`` URL, as pip-tools writes an editable
    (``ireq.link.url``)."""
    line = f"-e {editable.url}"
    if not options.annotate:
        return line
    sources = {s for root in editable.roots if (s := root_source(root, options.paths_relative_to))}
    return _with_via(line, sources, has_hashes=False, options=options)


def _annotate(line: str, pin: ResolvedPin, *, has_hashes: bool, options: LockWriteOptions) -> str:
    relative_to = options.paths_relative_to
    line = _with_via(line, via_sources(pin, relative_to), has_hashes=has_hashes, options=options)
    for note in pin.overrides:
        line += "\n    " + format_override(note, relative_to)
        if note.override.reason:
            line += f"\n    #   reason: {note.override.reason}"
    return line


def _with_via(line: str, sources: set[str], *, has_hashes: bool, options: LockWriteOptions) -> str:
    if sources:
        style = options.annotation_style
        annotation = format_via(sources, style=style, strip_extras=options.strip_extras)
        separator = "  " if style == "line" and not has_hashes else "\n    "
        joined = f"{line:{_ANNOTATION_COLUMN}}{separator}{annotation}"
        line = "\n".join(part.rstrip() for part in joined.splitlines())
    return line


def _unsafe_section(
    pins: list[ResolvedPin],
    hashes: dict[NormalizedName, tuple[str, ...]],
    options: LockWriteOptions,
    *,
    has_hashes: bool,
) -> Iterator[str]:
    pinned = options.unsafe_style != "omit"
    yield UNSAFE_UNPINNED_WARNING if has_hashes and not pinned else UNSAFE_HEADING
    for pin in pins:
        if pinned:
            yield _format_pin(pin, hashes.get(pin.name, ()), options)
        else:
            yield f"# {pin.name}"
