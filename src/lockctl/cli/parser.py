"""argv -> one command dataclass. No work is done here."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from lockctl import __version__
from lockctl.cli.commands import Command, InputsCommand, MetadataCommand
from lockctl.cli.compile_cmd import add_compile_parser, compile_command
from lockctl.cli.override_cmd import add_override_parser, override_command
from lockctl.index import IndexOptions
from lockctl.ops.session import IndexRequest

__all__ = ["GlobalOptions", "parse_argv"]


class GlobalOptions(argparse.Namespace):
    debug: bool
    quiet: bool
    verbose: bool


def _add_index_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("index options (as pip's)")
    group.add_argument("-i", "--index-url", help="base URL of the simple index (default: pip's)")
    group.add_argument(
        "--extra-index-url",
        action="append",
        default=[],
        metavar="URL",
        help="more indexes, asked after --index-url (first that has a project wins)",
    )
    group.add_argument(
        "-f",
        "--find-links",
        action="append",
        default=[],
        metavar="PATH_OR_URL",
        help="a directory or HTML page of distribution files",
    )
    group.add_argument(
        "--no-index", action="store_true", default=None, help="ask no index, only --find-links"
    )
    group.add_argument(
        "--trusted-host",
        action="append",
        default=[],
        metavar="HOST",
        help="allow plain HTTP or an unverified certificate for HOST (as pip does)",
    )
    group.add_argument("--cache-dir", type=Path, help="cache directory (default: user cache)")
    group.add_argument("--offline", action="store_true", help="use only what is cached")
    group.add_argument("--refresh", action="store_true", help="refetch index pages")
    group.add_argument(
        "--allow-build",
        action="store_true",
        help="build sdists that have no static metadata (runs their code)",
    )
    group.add_argument(
        "--max-requests",
        type=int,
        default=16,
        metavar="N",
        help="requests to the index at once (default: 16)",
    )


def _index_request(ns: argparse.Namespace) -> IndexRequest:
    return IndexRequest(
        options=IndexOptions(
            index_url=ns.index_url,
            extra_index_urls=tuple(ns.extra_index_url),
            find_links=tuple(ns.find_links),
            no_index=ns.no_index,
            trusted_hosts=tuple(ns.trusted_host),
        ),
        cache_dir=ns.cache_dir,
        offline=ns.offline,
        refresh=ns.refresh,
        allow_build=ns.allow_build,
        max_workers=max(1, ns.max_requests),
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lockctl",
        description="Compile, prove and guard pip requirement lockfiles.",
    )
    parser.add_argument("--version", action="version", version=f"lockctl {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    parser.add_argument("-q", "--quiet", action="store_true", help="print only results and errors")
    parser.add_argument("-v", "--verbose", action="store_true", help="print retries and more")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    _add_index_options(add_compile_parser(commands))
    add_override_parser(commands)

    inputs = commands.add_parser(
        "inputs", help="list the requirements of .in/.txt files, with the file and line of each"
    )
    inputs.add_argument("files", nargs="+", type=Path, metavar="FILE")
    inputs.add_argument("--constraints", action="store_true", help="list -c constraints too")

    metadata = commands.add_parser(
        "metadata", help="show the newest matching release of requirements and its dependencies"
    )
    metadata.add_argument("requirements", nargs="*", metavar="REQUIREMENT")
    metadata.add_argument(
        "-r",
        "--requirement",
        dest="files",
        action="append",
        default=[],
        type=Path,
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
    return parser


def parse_argv(argv: Sequence[str]) -> tuple[GlobalOptions, Command]:
    """Parse; argparse itself exits with code 2 and a usage line on bad usage."""
    parser = build_parser()
    ns = parser.parse_args(argv, namespace=GlobalOptions())
    command: Command
    if ns.command == "override":
        command = override_command(ns)
    elif ns.command == "compile":
        command = compile_command(ns, argv, _index_request(ns))
    elif ns.command == "inputs":
        command = InputsCommand(files=tuple(ns.files), constraints=ns.constraints)
    elif ns.command == "metadata":
        if not ns.requirements and not ns.files:
            parser.error("metadata: give at least one REQUIREMENT or -r FILE")
        command = MetadataCommand(
            requirements=tuple(ns.requirements),
            files=tuple(ns.files),
            index=_index_request(ns),
            python_version=ns.python_version,
            as_json=ns.as_json,
            show_extras=ns.show_extras,
        )
    else:  # pragma: no cover - argparse rejects unknown commands first
        parser.error(f"unknown command {ns.command}")
    return ns, command
