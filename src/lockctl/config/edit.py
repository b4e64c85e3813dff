"""``lockctl override add / remove / list``: edit the overrides in pyproject.toml in place.

Edits go through tomlkit, so the user's comments, order and formatting survive, and the file
is replaced atomically. ``add`` then ``remove`` gives back the file byte for byte when the
section and the ``overrides`` array were created by ``add``: ``remove`` deletes an array it
empties (unless a comment is in it) and a ``[tool.lockctl]`` header left with nothing under
it, with the blank line ``add`` put before it. The one file that does not come back is one
whose ``[tool.lockctl]`` header had nothing at all under it: after ``add`` and ``remove`` it
cannot be told apart from a file ``add`` gave the header to, and the empty header goes
(an empty table means what no table means).
"""

from __future__ import annotations

import re
from pathlib import Path

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name
from tomlkit.container import OutOfOrderTableProxy
from tomlkit.items import AbstractTable, AoT, Array, InlineTable, Item

from lockctl.atomic import edit_lock, write_atomically
from lockctl.config.document import BOM, SECTION, PyprojectFile, read_pyproject
from lockctl.config.locate import KeyPath, locate
from lockctl.config.model import OverrideEntry
from lockctl.config.validate import default_output, project_path, read_config
from lockctl.errors import ConfigError, UsageError

__all__ = ["add_override", "list_overrides", "remove_override"]

_LONE_LF = re.compile(r"(?<!\r)\n")


def add_override(
    path: Path, requirement: str, *, lock: str | None = None, reason: str | None = None
) -> str:
    """Add an override globally or to the lock writing ``lock``; replace one on the same
    project at that level. Returns what was done, for the user."""
    text = requirement.strip()
    name = _requirement_name(text)
    if reason is not None and not reason.strip():
        raise UsageError("the reason is empty", hint="leave out --reason, or say why")
    # Read under the lock: two edits at once each see the other's result, none is lost.
    with edit_lock(path):
        return _add(path, text, name, lock=lock, reason=reason)


def _add(
    path: Path, text: str, name: NormalizedName, *, lock: str | None, reason: str | None
) -> str:
    source = read_pyproject(path)
    table, at, where = _override_table(source, lock, create=True)
    if table is None:  # create=True makes it; this tells mypy so
        raise AssertionError(at)
    entry = _entry(text, reason)
    overrides = table.get("overrides")
    if overrides is None:
        array = tomlkit.array()
        array.append(entry)
        if isinstance(table, InlineTable):
            _add_to_inline_lock(source, table, at, array)
        else:
            table["overrides"] = array
            _separate_from_next_table(source, table, at)
        message = f"added override {text} {where}"
    else:
        array = _array(source, overrides, (*at, "overrides"))
        index = _index_of(array, name)
        if index is None:
            array.append(entry)
            message = f"added override {text} {where}"
        else:
            message = f"replaced override {_entry_text(array[index])} with {text} {where}"
            array[index] = entry
    _write(path, _with_bom(source, _keep_line_ends(source.text, source.document.as_string())))
    return message


def remove_override(path: Path, name: str, *, lock: str | None = None) -> str:
    """Remove the override on project ``name`` globally or from the lock writing ``lock``."""
    wanted = _requirement_name(name.strip())
    with edit_lock(path):
        return _remove(path, wanted, lock=lock)


def _remove(path: Path, wanted: NormalizedName, *, lock: str | None) -> str:
    source = read_pyproject(path)
    table, at, where = _override_table(source, lock, create=False)
    overrides = table.get("overrides") if table is not None else None
    if table is None or overrides is None:
        raise UsageError(f"there is no override for {wanted} {where}", hint="there are none")
    array = _array(source, overrides, (*at, "overrides"))
    index = _index_of(array, wanted)
    if index is None:
        present = [_entry_text(item) for item in array]
        raise UsageError(
            f"there is no override for {wanted} {where}",
            hint=f"the overrides there: {', '.join(present)}" if present else "there are none",
        )
    message = f"removed override {_entry_text(array[index])} {where}"
    del array[index]
    if not array and "#" not in array.as_string() and not array.trivia.comment:
        if isinstance(table, InlineTable):
            _remove_from_inline_lock(source, table, at)
        else:
            del table["overrides"]
    text = _keep_line_ends(source.text, source.document.as_string())
    if lock is None:
        text = _drop_empty_section(text)
    _write(path, _with_bom(source, text))
    return message


def list_overrides(path: Path) -> list[tuple[str | None, OverrideEntry]]:
    """Every override in file order: (None, entry) for global ones, then (the lock's output
    relative to the pyproject's directory, entry) for each listed lock's own."""
    config, problems = read_config(read_pyproject(path), check_files=False)
    if problems:
        raise ConfigError(tuple(problems))
    found: list[tuple[str | None, OverrideEntry]] = [(None, e) for e in config.overrides]
    for lock in config.locks:
        output = lock.output
        shown = output.relative_to(config.root) if output.is_relative_to(config.root) else output
        found += [(shown.as_posix(), entry) for entry in lock.overrides]
    return found


def _requirement_name(text: str) -> NormalizedName:
    try:
        return canonicalize_name(Requirement(text).name)
    except InvalidRequirement as exc:
        detail = str(exc).splitlines()[0]
        raise UsageError(f"invalid requirement {text!r}: {detail}") from None


def _entry(requirement: str, reason: str | None) -> Item:
    if reason is None:
        return tomlkit.string(requirement)
    # Built from text so it reads like the documented form, spaces inside the braces.
    quoted = tomlkit.string(requirement).as_string()
    because = tomlkit.string(reason.strip()).as_string()
    entry: Item = tomlkit.parse(f"entry = {{ requirement = {quoted}, reason = {because} }}\n")[
        "entry"
    ]
    return entry


def _entry_text(item: object) -> str:
    if isinstance(item, AbstractTable):
        return str(item.get("requirement", "?"))
    return str(item)


def _index_of(array: Array, name: NormalizedName) -> int | None:
    for index, item in enumerate(array):
        text = item.get("requirement") if isinstance(item, AbstractTable) else item
        if not isinstance(text, str):
            continue
        try:
            if canonicalize_name(Requirement(text).name) == name:
                return index
        except InvalidRequirement:
            continue  # load_config reports it; it overrides nothing to match here
    return None


def _array(source: PyprojectFile, value: object, at: KeyPath) -> Array:
    if not isinstance(value, Array):
        raise ConfigError((source.problem(at, "must be an array of requirements"),))
    return value


# A table as tomlkit hands it out: a proxy when its parts are apart in the file (PEP 621's
# [project] between [tool.black] and [tool.ruff], say).
_Table = AbstractTable | OutOfOrderTableProxy


def _table(source: PyprojectFile, value: object, at: KeyPath) -> _Table:
    if not isinstance(value, (AbstractTable, OutOfOrderTableProxy)):
        raise ConfigError((source.problem(at, "must be a table"),))
    return value


def _override_table(
    source: PyprojectFile, lock: str | None, *, create: bool
) -> tuple[_Table | None, KeyPath, str]:
    """The table whose ``overrides`` to edit, its path, and how to name it to the user.

    The table is None when it does not exist and ``create`` is false.
    """
    if lock is not None:
        return _lock_table(source, lock)
    document = source.document
    if "tool" not in document:
        if not create:
            return None, SECTION, "in [tool.lockctl]"
        document["tool"] = tomlkit.table(is_super_table=True)
    tool = _table(source, document["tool"], ("tool",))
    if "lockctl" not in tool:
        if not create:
            return None, SECTION, "in [tool.lockctl]"
        tool["lockctl"] = tomlkit.table()
    return _table(source, tool["lockctl"], SECTION), SECTION, "in [tool.lockctl]"


def _lock_table(source: PyprojectFile, lock: str) -> tuple[_Table, KeyPath, str]:
    tool = source.document.get("tool")
    section = _table(source, tool, ("tool",)).get("lockctl") if tool is not None else None
    locks = _table(source, section, SECTION).get("lock") if section is not None else None
    if locks is None:
        raise UsageError(
            f"no [[tool.lockctl.lock]] table writes {lock}",
            hint="list the lock in pyproject.toml to give it overrides of its own",
        )
    at = (*SECTION, "lock")
    if not isinstance(locks, (AoT, Array)):
        raise ConfigError((source.problem(at, "must be an array of tables"),))
    root = source.path.resolve().parent
    for index, table in enumerate(locks):
        if isinstance(table, AbstractTable) and _writes(table, lock, root):
            return table, (*at, index), f"in the lock writing {lock}"
    outputs = [_output_text(t) for t in locks if isinstance(t, AbstractTable)]
    raise UsageError(
        f"no [[tool.lockctl.lock]] table writes {lock}",
        hint=f"the locks write: {', '.join(o for o in outputs if o)}",
    )


def _output_text(table: AbstractTable) -> str | None:
    output, input_text = table.get("output"), table.get("input")
    if isinstance(output, str):
        return str(output)
    if isinstance(input_text, str):
        return default_output(Path(input_text)).as_posix()
    return None


def _writes(table: AbstractTable, lock: str, root: Path) -> bool:
    """Whether ``table`` writes ``lock``, as written or naming the same file."""
    written = _output_text(table)
    if written is None:
        return False
    return written == lock or project_path(root, written) == project_path(root, lock)


def _separate_from_next_table(source: PyprojectFile, table: _Table, at: KeyPath) -> None:
    """A new ``overrides`` key that is alone under its header and followed at once by
    another header gets a blank line after it, as tables are separated in the file."""
    text = source.document.as_string()
    lines = locate(text)
    line = lines.keys.get((*at, "overrides"))
    header = lines.header_line(at)
    if line is None or header != line - 1:
        return
    following = text.splitlines()[line:]
    if following and following[0].lstrip().startswith("["):
        table["overrides"].trivia.trail += "\n"


def _add_to_inline_lock(
    source: PyprojectFile, table: InlineTable, at: KeyPath, array: Array
) -> None:
    """``lock = [{ input = "a.in" }]``: tomlkit would append the key after the space before
    the closing brace, so the entry is rebuilt from its text and put back in its place."""
    inner = table.as_string().rstrip().removesuffix("}").rstrip()
    comma = "" if inner.endswith("{") else ","
    rebuilt = tomlkit.parse(f"lock = {inner}{comma} overrides = {array.as_string()} }}\n")
    locks = source.document["tool"]["lockctl"]["lock"]
    locks[at[-1]] = rebuilt["lock"]


def _remove_from_inline_lock(source: PyprojectFile, table: InlineTable, at: KeyPath) -> None:
    """tomlkit leaves the space that stood before a deleted inline key; the entry is rebuilt
    from its text with the closing space it had."""
    closing = table.as_string()[len(table.as_string().rstrip().removesuffix("}").rstrip()) :]
    del table["overrides"]
    inner = table.as_string().rstrip().removesuffix("}").rstrip()
    rebuilt = tomlkit.parse(f"lock = {inner}{closing}\n")
    locks = source.document["tool"]["lockctl"]["lock"]
    locks[at[-1]] = rebuilt["lock"]


def _drop_empty_section(text: str) -> str:
    """Cut a ``[tool.lockctl]`` header with nothing under it but blank lines."""
    lines = locate(text)
    header = lines.header_line(SECTION)
    if header is None:
        return text
    end = lines.next_header_after(header)
    rows = text.splitlines(keepends=True)
    region = rows[header - 1 : (end - 1 if end is not None else len(rows))]
    if "#" in region[0] or any(row.strip() for row in region[1:]):
        return text
    before = "".join(rows[: header - 1])
    after = "".join(rows[end - 1 :]) if end is not None else ""
    if end is None and before.strip():
        # The header was the last thing: drop the blank line that separated it, too.
        newline = "\r\n" if before.endswith("\r\n") else "\n"
        before = before.rstrip("\r\n") + newline
    return before + after


def _with_bom(source: PyprojectFile, edited: str) -> str:
    """A file that started with a byte-order mark keeps it."""
    return (BOM if source.bom else "") + edited


def _keep_line_ends(original: str, edited: str) -> str:
    """tomlkit writes new lines with \\n; a file written with \\r\\n throughout stays so."""
    if "\r\n" not in original or _LONE_LF.search(original):
        return edited
    return _LONE_LF.sub("\r\n", edited)


def _write(path: Path, text: str) -> None:
    # Imported here: config is a base module that the lockfile layer may import.

    write_atomically(path, text)
