"""pip-compile's command line on ``lockctl compile``: its no-op and refused options, its
``--pip-args`` and its ``[tool.pip-tools]`` defaults.

Every option of pip-compile 7.x is one of three things here: an option of ``lockctl compile``
with the same meaning (declared in ``cli.parser``), a no-op (``NO_OPS``: it changes nothing
lockctl does), or refused (``REFUSED``: what to use instead). tests/cli/test_pipcompile_options.py
walks the installed pip-compile's ``--help`` and fails on an option that is none of these.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "CONFIG_FILE_NAMES",
    "NO_OPS",
    "REFUSED",
    "add_pip_compile_options",
    "config_argv",
    "find_config",
    "pip_args_argv",
]

# pip-compile options that mean nothing for lockctl: accepted, and they change nothing.
NO_OPS: Mapping[str, str] = {
    "--resolver": "lockctl has one resolver, a backtracking one (--resolver=backtracking)",
    "--max-rounds": "lockctl's resolver has no round limit to set",
    "--reuse-hashes": "hashes come from the index page, which is cached",
    "--no-reuse-hashes": "hashes come from the index page, which is cached",
    "--build-isolation": "lockctl builds sdists only in isolation (--allow-build)",
    "--no-build-isolation": "lockctl builds sdists only in isolation (--allow-build)",
    "--color": "lockctl writes no colour",
    "--no-color": "lockctl writes no colour",
}

# pip-compile (and pip-sync) options lockctl compile does not offer, and what to use instead.
REFUSED: Mapping[str, str] = {
    "--cert": "set PIP_CERT=FILE (or cert in pip's configuration), which lockctl reads as pip does",
    "--client-cert": "lockctl does not send client certificates; use an index that needs none",
    "--build-deps-for": "list the build requirements in a .in file and compile that",
    "--all-build-deps": "list the build requirements in a .in file and compile that",
    "--only-build-deps": "list the build requirements in a .in file and compile that",
    "--python-executable": "name the target instead: --python-version X.Y (and --platform)",
    "--src-file": "name the input files as arguments: lockctl compile requirements.in",
}

# pip options inside --pip-args that lockctl honours, as the compile option they stand for.
_PIP_ARGS_MEANING = {
    "-i": "--index-url",
    "--index-url": "--index-url",
    "--extra-index-url": "--extra-index-url",
    "-f": "--find-links",
    "--find-links": "--find-links",
    "--trusted-host": "--trusted-host",
    "--no-index": "--no-index",
    "--pre": "--pre",
    "-c": "--constraint",
    "--constraint": "--constraint",
    "--cache-dir": None,  # pip's own cache: lockctl keeps its own (--cache-dir of compile)
    "--no-cache-dir": None,
    "--timeout": None,  # pip's per-request socket timeout; lockctl's --timeout is the run's
    "--retries": None,  # lockctl retries on its own schedule
    "--use-pep517": None,
    "--no-use-pep517": None,
    "--no-build-isolation": None,
    "--disable-pip-version-check": None,
    "--progress-bar": None,
    "-q": None,
    "--quiet": None,
    "-v": None,
    "--verbose": None,
    "--isolated": None,
    "--exists-action": None,
}
_PIP_ARGS_FLAGS = frozenset(
    {
        "--no-index",
        "--pre",
        "--no-cache-dir",
        "--use-pep517",
        "--no-use-pep517",
        "--no-build-isolation",
        "--disable-pip-version-check",
        "-q",
        "--quiet",
        "-v",
        "--verbose",
        "--isolated",
    }
)
_PIP_ARGS_REFUSED = {
    "--no-binary": "lockctl resolves from wheels and static sdist metadata and does not "
    "honour --no-binary yet; leave it out",
    "--only-binary": "lockctl does not honour --only-binary yet; leave it out",
    "--prefer-binary": "it changes which versions are chosen and lockctl does not honour it; "
    "leave it out",
    "--cert": REFUSED["--cert"],
    "--client-cert": REFUSED["--client-cert"],
    "--proxy": "set HTTPS_PROXY (and NO_PROXY), which lockctl reads",
}

CONFIG_FILE_NAMES = (".pip-tools.toml", "pyproject.toml")  # pip-tools' DEFAULT_CONFIG_FILE_NAMES

# [tool.pip-tools] keys that are pip-compile's parameter names rather than its options.
_CONFIG_KEY_OPTIONS = {
    "upgrade_packages": "--upgrade-package",
    "pip_args_str": "--pip-args",
    "pip_args": "--pip-args",
    "resolver_name": "--resolver",
    "build_deps_targets": "--build-deps-for",
    "extras": "--extra",
    "constraint": "--constraint",
}
# pip-sync's keys: pip-tools shares one table between its two commands.
_SYNC_ONLY_KEYS = frozenset({"ask", "force", "user", "user_only", "python_executable"})


class _NoOp(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        pass


class _Refused(argparse.Action):
    def __call__(self, parser: Any, namespace: Any, values: Any, option: Any = None) -> None:
        parser.error(f"{option} is not supported by lockctl compile: {REFUSED[str(option)]}")


def add_pip_compile_options(parser: argparse.ArgumentParser) -> None:
    """The no-op and refused options, in their own group of ``--help``."""
    group = parser.add_argument_group("pip-compile options that change nothing here")
    group.add_argument(
        "--resolver",
        action=_NoOp,
        type=_backtracking,
        metavar="backtracking",
        help=NO_OPS["--resolver"],
    )
    group.add_argument(
        "--max-rounds", action=_NoOp, type=int, metavar="N", help=NO_OPS["--max-rounds"]
    )
    for pair in (
        ("--reuse-hashes", "--no-reuse-hashes"),
        ("--build-isolation", "--no-build-isolation"),
        ("--color", "--no-color"),
    ):
        group.add_argument(*pair, action=_NoOp, nargs=0, help=NO_OPS[pair[0]])
    refused = parser.add_argument_group(
        "pip-compile options refused (the message says what to use)"
    )
    for option in REFUSED:
        takes_value = option not in ("--all-build-deps", "--only-build-deps")
        refused.add_argument(
            option,
            action=_Refused,
            nargs=1 if takes_value else 0,
            help=argparse.SUPPRESS,
        )


def _backtracking(text: str) -> str:
    if text != "backtracking":
        raise argparse.ArgumentTypeError(
            f"{text!r}: lockctl has one resolver, a backtracking one; use --resolver=backtracking "
            "or leave the option out"
        )
    return text


def pip_args_argv(text: str) -> list[str]:
    """``--pip-args "..."`` as compile options, or ``ValueError`` naming the one refused.

    pip-compile passes them to pip after its own options, so an ``-i`` here wins over the
    command line's (the caller appends the result to the command line for that reason).
    """
    try:
        words = shlex.split(text)
    except ValueError as error:
        raise ValueError(f"--pip-args {text!r} cannot be split into words: {error}") from None
    argv: list[str] = []
    at = 0
    while at < len(words):
        word = words[at]
        name, equals, inline = word.partition("=") if word.startswith("--") else (word, "", "")
        if name in _PIP_ARGS_REFUSED:
            raise ValueError(f"--pip-args {name}: {_PIP_ARGS_REFUSED[name]}")
        if name not in _PIP_ARGS_MEANING:
            raise ValueError(
                f"--pip-args {word!r}: lockctl does not know what this pip option would change; "
                "leave it out, or use the compile option of the same meaning"
            )
        meaning = _PIP_ARGS_MEANING[name]
        if name in _PIP_ARGS_FLAGS:
            at += 1
            value = None
        elif equals:
            at += 1
            value = inline
        elif at + 1 < len(words):
            value = words[at + 1]
            at += 2
        else:
            raise ValueError(f"--pip-args {name} needs a value")
        if meaning is not None:
            argv += [meaning] if value is None else [meaning, value]
    return argv


def find_config(inputs: Sequence[Path], cwd: Path) -> Path | None:
    """pip-tools' config file: ``.pip-tools.toml`` or ``pyproject.toml`` beside the first
    input that has one (the working directory with no inputs), as ``select_config_file``."""
    # Not resolve(): an input that is a symlink loop is for compile to report, not this.
    places = [
        Path(os.path.abspath(cwd / path))  # noqa: PTH100
        for path in inputs
        if str(path) != "-"
    ] or [cwd]
    for place in places:
        folder = place if place.is_dir() else place.parent
        for name in CONFIG_FILE_NAMES:
            if (folder / name).is_file():
                return folder / name
    return None


def read_config(path: Path) -> dict[str, Any]:
    """The ``[tool.pip-tools]`` table (with its ``compile`` table merged in), or ``{}``.

    A ``pyproject.toml`` that is not TOML gives ``{}``: it is the project's file, and lockctl's
    own reading of it reports the line (a ``.pip-tools.toml`` is pip-tools' alone: refused).
    """
    try:
        document = _parse_toml(path.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as error:
        if path.name == "pyproject.toml":
            return {}
        raise ValueError(f"{path}: cannot be read as TOML: {error}") from None
    tools = document.get("tool", {})
    if not isinstance(tools, dict) or "lockctl" in tools:
        return {}  # the project's own [tool.lockctl] decides; pip-tools' table is not read
    table = tools.get("pip-tools", {})
    if not isinstance(table, dict):
        raise ValueError(f"{path}: [tool.pip-tools] is not a table")
    merged = {key: value for key, value in table.items() if key not in ("compile", "sync")}
    compile_table = table.get("compile", {})
    if isinstance(compile_table, dict):
        merged.update(compile_table)
    return merged


def _parse_toml(text: str) -> dict[str, Any]:
    """``ValueError`` (both parsers' errors are ValueErrors) for text that is not TOML."""
    if sys.version_info >= (3, 11):
        import tomllib  # the standard library's: fast, and a project file is read again later

        return tomllib.loads(text)
    import tomlkit

    parsed: dict[str, Any] = tomlkit.parse(text).unwrap()
    return parsed


def config_argv(path: Path, known: Mapping[str, bool]) -> list[str]:
    """``[tool.pip-tools]`` of ``path`` as compile options (``ValueError`` for a bad key).

    ``known`` maps each long option of ``lockctl compile`` to whether it takes a value. Keys
    are pip-compile's option or parameter names, with ``-`` or ``_``; ``false`` for a switch
    writes its ``--no-`` form where there is one, as pip-tools inverts it.
    """
    argv: list[str] = []
    for key, value in read_config(path).items():
        normal = key.lstrip("-").replace("-", "_").lower()
        if normal in _SYNC_ONLY_KEYS:
            continue
        if normal == "src_files":
            values = value if isinstance(value, list) else [value]
            argv += [str(item) for item in values]
            continue
        option = _CONFIG_KEY_OPTIONS.get(normal, "--" + normal.replace("_", "-"))
        if option not in known:
            raise ValueError(f"{path}: [tool.pip-tools] key {key!r} is not a pip-compile option")
        argv += _config_option(path, key, option, value, known)
    return argv


def _config_option(
    path: Path, key: str, option: str, value: Any, known: Mapping[str, bool]
) -> list[str]:
    if isinstance(value, bool):
        if known[option]:
            raise ValueError(f"{path}: [tool.pip-tools] {key} = {value}: give it a value")
        if value:
            return [option]
        negative = option[2:].removeprefix("no-")
        flipped = f"--{negative}" if option.startswith("--no-") else f"--no-{negative}"
        return [flipped] if flipped in known else []
    values = value if isinstance(value, list) else [value]
    if not known[option] or not all(isinstance(item, str | int | float) for item in values):
        raise ValueError(f"{path}: [tool.pip-tools] {key} = {value!r} is not a value it takes")
    return [word for item in values for word in (option, str(item))]
