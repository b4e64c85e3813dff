"""argv -> one command dataclass of ``lockctl.ops.commands``. No work is done here.

Every option's ``dest`` is the name of its field in the command's dataclass, and an option
that is not given is left out of the namespace (``argparse.SUPPRESS``), so the dataclass's
default is the only default. This module imports no layer below ``ops.commands``: building
the parser for ``--help`` or ``--version`` loads neither the resolver nor the HTTP client.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

from lockctl import __version__
from lockctl.cli.pipcompile import add_pip_compile_options, config_argv, find_config, pip_args_argv
from lockctl.defaults import MAX_REQUESTS, RUN_TIMEOUT
from lockctl.index.settings import IndexOptions
from lockctl.ops.commands import (
    DRIFT_KINDS,
    VERIFY_TIMEOUT,
    CheckCommand,
    Command,
    CompileCommand,
    DriftCommand,
    IndexRequest,
    InputsCommand,
    MetadataCommand,
    OverrideCommand,
    ReconcileCommand,
    VerifyCommand,
)
from lockctl.target import PLATFORMS
from lockctl.urls import redact_text

__all__ = ["GlobalOptions", "build_parser", "parse_argv"]

_Built = TypeVar("_Built")


class GlobalOptions(argparse.Namespace):
    debug: bool
    quiet: bool
    verbose: bool


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """-q, -v and --debug, before the command or after it (a command's parser suppresses
    their defaults, so ``lockctl -q compile`` is not undone by the command's own -q)."""
    default: Any = False if top else argparse.SUPPRESS
    parser.add_argument("--debug", action="store_true", default=default, help="show tracebacks")
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="print only results and errors"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="print retries and more"
    )


def _add_index_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("index options (as pip's)")
    group.add_argument("-i", "--index-url", help="base URL of the simple index (default: pip's)")
    group.add_argument(
        "--extra-index-url",
        dest="extra_index_urls",
        action="append",
        metavar="URL",
        help="more indexes, asked after --index-url (first that has a project wins)",
    )
    group.add_argument(
        "-f",
        "--find-links",
        action="append",
        metavar="PATH_OR_URL",
        help="a directory or HTML page of distribution files",
    )
    group.add_argument("--no-index", action="store_true", help="ask no index, only --find-links")
    group.add_argument(
        "--trusted-host",
        dest="trusted_hosts",
        action="append",
        metavar="HOST",
        help="allow plain HTTP or an unverified certificate for HOST (as pip does)",
    )
    group.add_argument("--cache-dir", type=_path, help="cache directory (default: user cache)")
    group.add_argument("--offline", action="store_true", help="use only what is cached")
    group.add_argument("--refresh", action="store_true", help="refetch index pages")
    group.add_argument(
        "--allow-build",
        action="store_true",
        help="build sdists that have no static metadata (runs their code)",
    )
    group.add_argument(
        "--max-requests",
        type=_positive,
        metavar="N",
        help=f"requests to the index at once (default: {MAX_REQUESTS})",
    )
    group.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"give up on the indexes after this long, retries included (default: {RUN_TIMEOUT:g})",
    )


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of 1 or more")
    return value


def _path(text: str) -> Path:
    """A path the user typed; an empty one (an unset shell variable) is refused, not "."."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the path is empty (an unset shell variable?)")
    return Path(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of seconds above 0")
    return value


def _add_compile(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "compile",
        help="resolve .in files into a pinned lockfile in the pip-tools format",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        type=_path,
        metavar="IN",
        help="input files (default: every lock of the project's [tool.lockctl])",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="locks compiled at once (default: the number of CPUs)",
    )
    parser.add_argument(
        "-o",
        "--output-file",
        type=_path,
        metavar="OUT",
        help="the lock to write (default: IN with .txt, for one input; '-': standard output)",
    )
    parser.add_argument("--version", action="version", version=f"lockctl {__version__}")
    _add_target_options(parser)
    _add_build_args(parser, help="a build argument for --from-dockerfile's ARG defaults")
    parser.add_argument(
        "--target",
        dest="stage",
        metavar="STAGE",
        help="the stage of --from-dockerfile whose FROM is the target",
    )
    change = parser.add_argument_group("what to resolve")
    change.add_argument(
        "-c",
        "--constraint",
        dest="constraints",
        action="append",
        type=_path,
        metavar="FILE",
        help="constrain versions with the requirements of FILE (as pip's -c)",
    )
    change.add_argument(
        "--extra",
        dest="extras",
        action="append",
        metavar="NAME",
        help="an extra of a pyproject.toml, setup.cfg or setup.py input (repeatable)",
    )
    change.add_argument(
        "--all-extras", action="store_true", help="every extra of the project inputs"
    )
    change.add_argument(
        "--override",
        dest="overrides",
        action="append",
        metavar="REQ",
        help="replace every requirement on REQ's project (repeatable)",
    )
    change.add_argument(
        "--override-file",
        dest="override_files",
        action="append",
        type=_path,
        metavar="FILE",
        help="overrides, one requirement per line",
    )
    change.add_argument(
        "-U",
        "--upgrade",
        action=argparse.BooleanOptionalAction,
        help="ignore the pins of the existing lock",
    )
    change.add_argument(
        "-P",
        "--upgrade-package",
        dest="upgrade_packages",
        action="append",
        metavar="NAME[==VER]",
        help="free one project from the existing lock (optionally to VER)",
    )
    change.add_argument("-p", "--pre", action="store_true", help="allow pre-releases")
    change.add_argument(
        "--exclude-newer",
        "--uploaded-prior-to",
        metavar="DATE_OR_DURATION",
        help="ignore files uploaded after a date (2026-11-01) or younger than 7d, 12h",
    )
    change.add_argument(
        "--pip-args",
        metavar="ARGS",
        help="pip options, as pip-compile passes them: index options, --pre, -c are honoured",
    )
    change.add_argument(
        "--config",
        dest="pip_tools_config",
        type=_path,
        metavar="FILE",
        help="read pip-compile's [tool.pip-tools] defaults from FILE (default: .pip-tools.toml "
        "or pyproject.toml beside the first input)",
    )
    change.add_argument(
        "--no-config",
        dest="no_pip_tools_config",
        action="store_true",
        help="read no [tool.pip-tools] defaults",
    )
    output = parser.add_argument_group("output")
    output.add_argument(
        "--generate-hashes",
        action="store_true",
        help="write --hash lines for every file of each pinned release",
    )
    output.add_argument(
        "--strip-extras",
        action=argparse.BooleanOptionalAction,
        help="leave extras out of the pins (default, as pip-tools 8)",
    )
    for name, what in (
        ("emit-index-url", "the --index-url and --extra-index-url lines"),
        ("emit-find-links", "the --find-links lines"),
        ("emit-trusted-host", "the --trusted-host lines"),
        ("emit-options", "every option line (index, find-links, trusted hosts, binaries)"),
        ("header", "the header"),
        ("annotate", "the '# via' lines"),
    ):
        output.add_argument(
            f"--{name}",
            dest=name.replace("-", "_"),
            action=argparse.BooleanOptionalAction,
            help=f"write {what} (default: yes)",
        )
    output.add_argument(
        "--annotation-style",
        choices=("split", "line"),
        help="'# via' on lines of their own (split, default) or beside the pin (line)",
    )
    output.add_argument(
        "--allow-unsafe",
        action=argparse.BooleanOptionalAction,
        help="pin pip, setuptools and distribute (default: yes, as pip-tools 8; --no-allow-unsafe "
        "names them in comments instead)",
    )
    output.add_argument(
        "--unsafe-package",
        dest="unsafe_packages",
        action="append",
        metavar="NAME",
        help="a project to treat as unsafe (repeatable; replaces pip, setuptools, distribute)",
    )
    output.add_argument(
        "--newline",
        type=str.lower,
        choices=("lf", "crlf", "native", "preserve"),
        help="line endings: preserve (default: the existing lock's, else the first input's)",
    )
    output.add_argument(
        "--format",
        choices=("txt", "pylock"),
        help="pip-tools .txt (default) or a PEP 751 pylock.toml",
    )
    output.add_argument(
        "-n", "--dry-run", action="store_true", help="print the lock, write nothing"
    )
    output.add_argument(
        "--json",
        dest="json_output",
        type=_path,
        metavar="FILE",
        help="also write the resolution as JSON to FILE",
    )
    output.add_argument(
        "--timings",
        type=_path,
        metavar="FILE",
        help="write a Chrome-trace JSON of the run's requests and resolver steps to FILE",
    )
    _add_index_options(parser)
    parser.add_argument(
        "-r", "--rebuild", dest="refresh", action="store_true", help="as --refresh (pip-compile's)"
    )
    add_pip_compile_options(parser)
    _add_global_options(parser, top=False)


def _add_override(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "override", help="add, remove or list the overrides in pyproject.toml", allow_abbrev=False
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    add = actions.add_parser(
        "add",
        help="add an override (replacing one on the same project)",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    add.add_argument("value", metavar="REQUIREMENT", help="for example 'rich>=13.9.4'")
    add.add_argument("--reason", help="why: written beside the pin in the lock")
    remove = actions.add_parser(
        "remove",
        help="remove the override on a project",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    remove.add_argument("value", metavar="NAME")
    listing = actions.add_parser(
        "list", help="list every override", argument_default=argparse.SUPPRESS, allow_abbrev=False
    )
    for sub in (add, remove, listing):
        sub.add_argument("--pyproject", type=_path, help="default: the nearest pyproject.toml")
        _add_global_options(sub, top=False)
    for sub in (add, remove):
        sub.add_argument(
            "--lock", metavar="OUTPUT", help="only for the lock that writes OUTPUT (default: all)"
        )


def _add_inputs(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    inputs = commands.add_parser(
        "inputs",
        help="list the requirements of .in/.txt files, with the file and line of each",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    inputs.add_argument("files", nargs="+", type=_path, metavar="FILE")
    inputs.add_argument("--constraints", action="store_true", help="list -c constraints too")
    _add_global_options(inputs, top=False)


def _add_metadata(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    metadata = commands.add_parser(
        "metadata",
        help="show the newest matching release of requirements and its dependencies",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    metadata.add_argument("requirements", nargs="*", metavar="REQUIREMENT")
    metadata.add_argument(
        "-r",
        "--requirement",
        dest="files",
        action="append",
        type=_path,
        metavar="FILE",
        help="take requirements from a file",
    )
    metadata.add_argument(
        "--python-version", metavar="X.Y", help="target Python (default: the running one)"
    )
    metadata.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
    metadata.add_argument(
        "--extras",
        dest="show_extras",
        action="store_true",
        help="also list the requirements of each extra",
    )
    _add_index_options(metadata)
    _add_global_options(metadata, top=False)


def _add_target_options(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group("target environment (default: this machine's)")
    target.add_argument("--python-version", metavar="X.Y", help="the Python the lock is for")
    target.add_argument(
        "--platform", choices=sorted(PLATFORMS), help="the platform the lock is for"
    )
    target.add_argument(
        "--from-dockerfile",
        type=_path,
        metavar="DOCKERFILE",
        help="take the Python from the Dockerfile's 'FROM python:X.Y' line",
    )


def _add_locks_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "locks",
        nargs="*",
        type=_path,
        metavar="LOCK",
        help="lock files (default: every lock of the project's [tool.lockctl])",
    )


def _add_check(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "check",
        help="say, offline and at once, whether each lock is in sync with its inputs",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    _add_locks_argument(parser)
    parser.add_argument(
        "--online", action="store_true", help="fetch the metadata the cache lacks to check pins"
    )
    parser.add_argument(
        "--fix", action="store_true", help="run the compile that brings the locks in sync"
    )
    parser.add_argument("--format", choices=("text", "json"), help="text (default) or json")
    _add_index_options(parser)
    _add_global_options(parser, top=False)


def _add_reconcile(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "reconcile",
        help="compare a hand-edited lock with what pip and lockctl really resolve",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    parser.add_argument("lock", type=_path, metavar="LOCK", help="the lock file (.txt)")
    parser.add_argument(
        "--input",
        type=_path,
        metavar="IN",
        help="its input (default: from the project, or LOCK.in)",
    )
    parser.add_argument(
        "--write", action="store_true", help="rewrite the lock into the smallest honest lock"
    )
    parser.add_argument("--format", choices=("text", "json"), help="text (default) or json")
    parser.add_argument(
        "--override",
        dest="overrides",
        action="append",
        metavar="REQ",
        help="replace every requirement on REQ's project (repeatable)",
    )
    _add_target_options(parser)
    _add_index_options(parser)
    _add_global_options(parser, top=False)


def _kinds(text: str) -> tuple[str, ...]:
    kinds = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [kind for kind in kinds if kind not in DRIFT_KINDS]
    if unknown or not kinds:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give a comma-separated list of {', '.join(DRIFT_KINDS)}"
        )
    return kinds


def _add_drift(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "drift",
        help="report outdated, yanked, vulnerable and unresolvable pins (the nightly job)",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    _add_locks_argument(parser)
    parser.add_argument(
        "--advisories",
        action="append",
        type=_path,
        metavar="PATH",
        help="an OSV advisory file or a folder of them (repeatable)",
    )
    parser.add_argument(
        "--fail-on",
        type=_kinds,
        metavar="KINDS",
        help=f"findings that make the exit code 1 (default: all of {','.join(DRIFT_KINDS)})",
    )
    parser.add_argument(
        "--format", choices=("table", "markdown", "json"), help="table (default), markdown, json"
    )
    parser.add_argument("--output", type=_path, metavar="FILE", help="write the report to FILE")
    parser.add_argument(
        "--update", action="store_true", help="write refreshed locks (as compile --upgrade)"
    )
    parser.add_argument(
        "--exclude-newer",
        metavar="DATE_OR_DURATION",
        help="ignore releases uploaded after a date (2026-11-01) or younger than 7d, 12h",
    )
    _add_index_options(parser)
    _add_global_options(parser, top=False)


def _add_build_args(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup, *, help: str
) -> None:
    """``--build-arg NAME=VALUE``, as ``docker build`` takes it (repeatable)."""
    parser.add_argument(
        "--build-arg",
        dest="build_args",
        action="append",
        type=_build_arg,
        metavar="NAME=VALUE",
        help=f"{help} (repeatable)",
    )


def _build_arg(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r}: write a build argument as NAME=VALUE")
    return name.strip(), value


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "verify",
        help="install locks in throwaway Docker containers: pip check, imports, image drift",
        argument_default=argparse.SUPPRESS,
        allow_abbrev=False,
    )
    parser.add_argument(
        "locks",
        nargs="*",
        type=_path,
        metavar="LOCK",
        help="lock files (.txt); none with --clear-cache",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=_positive,
        metavar="N",
        help="locks verified at once, each in its own containers (default: the number of CPUs)",
    )
    project = parser.add_argument_group("project mode: build the project's own Dockerfile")
    project.add_argument(
        "--dockerfile",
        type=_path,
        metavar="FILE",
        help="build FILE and compare its image with LOCK",
    )
    project.add_argument(
        "--context", type=_path, metavar="DIR", help="build context (default: FILE's folder)"
    )
    _add_build_args(project, help="a build argument")
    project.add_argument("--target", metavar="STAGE", help="the build stage to build")
    where = parser.add_argument_group("where the lock is installed")
    where.add_argument(
        "--base-image",
        metavar="IMAGE",
        help="lock-only mode: the image to install into (default: the project Dockerfile's FROM)",
    )
    where.add_argument(
        "--sandbox",
        choices=("container", "venv"),
        help="container (default), or a throwaway venv of this Python when no engine runs",
    )
    where.add_argument(
        "--python-version", metavar="X.Y", help="the target's Python, for --sandbox venv"
    )
    where.add_argument("-i", "--index-url", help="the index pip uses (default: the lock's, pip's)")
    where.add_argument("--extra-index-url", dest="extra_index_urls", action="append", metavar="URL")
    where.add_argument("--trusted-host", dest="trusted_hosts", action="append", metavar="HOST")
    where.add_argument(
        "--clear-cache",
        action="store_true",
        help="first remove the wheel cache lockctl keeps on the engine (volume lockctl-pip-cache)",
    )
    checks = parser.add_argument_group("checks and output")
    checks.add_argument(
        "--no-import-check",
        dest="import_check",
        action="store_false",
        help="do not import the root requirements' modules",
    )
    checks.add_argument(
        "--keep", action="store_true", help="keep the image that was built and print its tag"
    )
    checks.add_argument("--format", choices=("text", "json"), help="text (default) or json")
    checks.add_argument(
        "--timeout",
        type=_seconds,
        metavar="SECONDS",
        help=f"give up on builds and containers after this long (default: {VERIFY_TIMEOUT:g})",
    )
    _add_global_options(parser, top=False)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lockctl",
        description="Compile, prove and guard pip requirement lockfiles.",
        allow_abbrev=False,
    )
    parser.add_argument("--version", action="version", version=f"lockctl {__version__}")
    _add_global_options(parser, top=True)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_compile(commands)
    _add_override(commands)
    _add_check(commands)
    _add_reconcile(commands)
    _add_verify(commands)
    _add_drift(commands)
    _add_inputs(commands)
    _add_metadata(commands)
    return parser


def _build(kind: type[_Built], ns: argparse.Namespace, **given: Any) -> _Built:
    """The dataclass ``kind`` from the options that were given; a list becomes a tuple."""
    names = {field.name for field in fields(kind)}  # type: ignore[arg-type]
    values = {
        key: tuple(value) if isinstance(value, list) else value
        for key, value in vars(ns).items()
        if key in names
    }
    return kind(**{**values, **given})


def _index_request(ns: argparse.Namespace) -> IndexRequest:
    return _build(IndexRequest, ns, options=_build(IndexOptions, ns))


def _subparser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found: argparse.ArgumentParser = action.choices[name]
            return found
    raise AssertionError(f"no {name} command")  # pragma: no cover


def _pip_compile_layers(parser: argparse.ArgumentParser, ns: argparse.Namespace) -> None:
    """pip-compile's ``[tool.pip-tools]`` defaults under the command line, then ``--pip-args``.

    pip-compile takes its config file's values as click defaults (an option given on the
    command line replaces the file's value, lists too), and appends ``--pip-args`` after its
    own pip options, so an index there wins over ``-i``.
    """
    given = vars(ns)
    if not given.get("no_pip_tools_config"):
        path = given.get("pip_tools_config") or find_config(given.get("inputs", []), Path.cwd())
        if path is not None:
            if not path.is_file():
                parser.error(f"--config {path}: no such file")
            known = {
                option: action.nargs != 0
                for option, action in parser._option_string_actions.items()
                if option.startswith("--")
            }
            try:
                defaults = config_argv(path, known)
            except ValueError as error:
                parser.error(str(error))
            for key, value in vars(parser.parse_args(defaults)).items():
                if key in ("quiet", "verbose", "debug"):
                    setattr(ns, key, bool(given.get(key)) or value)
                elif key not in given:
                    setattr(ns, key, value)
    text = given.get("pip_args")
    if text:
        try:
            later = parser.parse_args(pip_args_argv(text))
        except ValueError as error:
            parser.error(str(error))
        for key, value in vars(later).items():
            if key in ("quiet", "verbose", "debug"):
                continue
            merged = [*given.get(key, []), *value] if isinstance(value, list) else value
            setattr(ns, key, merged)


# What a run does, not what the lock is: left out of the header's command line, as pip-compile
# leaves them out (COMPILE_EXCLUDE_OPTIONS), so the command a lock names can be run again as is.
_RUN_ONLY = frozenset(
    {
        "--dry-run",
        "--quiet",
        "--verbose",
        "--debug",
        "--rebuild",
        "--refresh",
        "--upgrade",
        "--no-upgrade",
        "--upgrade-package",
        "--cache-dir",
        "--no-reuse-hashes",
        "--no-config",
    }
)


def _header_words(words: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """The compile command line for the lock's header, without ``_RUN_ONLY`` options."""
    actions = parser._option_string_actions
    kept: list[str] = []
    skip_value = False
    for word in words:
        if skip_value:
            skip_value = False
            continue
        if word.startswith("--"):
            name, equals, _ = word.partition("=")
            attached = bool(equals)
        else:  # a short option, its value perhaps in the same word (-Pname)
            name = word if word in actions else word[:2]
            attached = name != word
        action = actions.get(name) if name.startswith("-") else None
        long_names = {o for o in action.option_strings if o.startswith("--")} if action else set()
        if action is None or not long_names & _RUN_ONLY:
            kept.append(word)
            continue
        skip_value = action.nargs in (None, 1) and not attached
    return kept


def _joined_values(argv: Sequence[str], parser: argparse.ArgumentParser) -> list[str]:
    """Each compile option's value joined to it (``--pip-args=--retries 3``) when the value
    starts with ``-``: argparse would take it for an option, and pip-compile (click) takes the
    word after an option that needs a value as that value, whatever it looks like."""
    # The command is the first word that is not an option (lockctl's own options take none).
    command = next((at for at, word in enumerate(argv) if not word.startswith("-")), None)
    if command is None or argv[command] != "compile":
        return list(argv)
    actions = _subparser(parser, "compile")._option_string_actions
    start = command + 1
    joined = list(argv[:start])
    words = iter(argv[start:])
    for word in words:
        action = actions.get(word)
        if action is None or action.nargs not in (None, 1):
            joined.append(word)
            continue
        value = next(words, None)
        if value is None:
            joined.append(word)
        elif value.startswith("-") and len(value) > 1:
            joined.append(f"{word}={value}" if word.startswith("--") else f"{word}{value}")
        else:
            joined += [word, value]
    return joined


def _more_inputs(parser: argparse.ArgumentParser, ns: argparse.Namespace, rest: list[str]) -> None:
    """Inputs written after an option (``lockctl compile a.in -o x.txt b.in``), which click
    (pip-compile) takes and argparse leaves over; anything else left over is an error, as
    ``parse_args`` says it."""
    if ns.command == "compile":
        unknown = [word for word in rest if word.startswith("-") and word != "-"]
        if not unknown:
            ns.inputs = [*getattr(ns, "inputs", []), *(_path(word) for word in rest)]
        rest = unknown
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")


def parse_argv(argv: Sequence[str]) -> tuple[GlobalOptions, Command]:
    """Parse; argparse itself exits with code 2 and a usage line on bad usage."""
    parser = build_parser()
    joined = _joined_values(argv, parser)
    ns, rest = parser.parse_known_args(joined, namespace=GlobalOptions())
    _more_inputs(parser, ns, rest)
    command: Command
    if ns.command == "override":
        command = _build(OverrideCommand, ns)
    elif ns.command == "compile":
        _pip_compile_layers(_subparser(parser, "compile"), ns)
        if getattr(ns, "output_file", None) == Path("-"):
            ns.dry_run = True  # pip-compile -o -: the lock on standard output, nothing written
        after = joined[joined.index("compile") + 1 :] if "compile" in joined else []
        after = _header_words(after, _subparser(parser, "compile"))
        command = _build(
            CompileCommand,
            ns,
            index=_index_request(ns),
            command_line=redact_text(shlex.join(["lockctl", "compile", *after])),
        )
    elif ns.command == "check":
        command = _build(CheckCommand, ns, index=_index_request(ns))
    elif ns.command == "drift":
        command = _build(DriftCommand, ns, index=_index_request(ns))
    elif ns.command == "reconcile":
        command = _build(ReconcileCommand, ns, index=_index_request(ns))
    elif ns.command == "verify":
        command = _build(VerifyCommand, ns, locks=tuple(getattr(ns, "locks", ())))
    elif ns.command == "inputs":
        command = _build(InputsCommand, ns)
    elif ns.command == "metadata":
        if not getattr(ns, "requirements", None) and not getattr(ns, "files", None):
            parser.error("metadata: give at least one REQUIREMENT or -r FILE")
        command = _build(MetadataCommand, ns, index=_index_request(ns))
    else:  # pragma: no cover - argparse rejects unknown commands first
        parser.error(f"unknown command {ns.command}")
    return ns, command
