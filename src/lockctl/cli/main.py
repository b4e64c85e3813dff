"""``main(argv) -> int``: the one place that maps exceptions to exit codes.

0 ok; 1 out of sync, drift, verification failed, or a lookup that found nothing;
2 bad input or usage; 3 the index, the network, pip or the container engine failed;
4 an internal error (a bug in lockctl: please report it); 130 interrupted.

Each command's module is imported only when that command runs, so ``lockctl --version``
and ``lockctl --help`` load neither the resolver nor the HTTP client.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from lockctl.cli.parser import GlobalOptions, parse_argv
from lockctl.errors import LockctlError
from lockctl.ops.commands import (
    CheckCommand,
    Command,
    CompileCommand,
    DriftCommand,
    InputsCommand,
    MetadataCommand,
    OverrideCommand,
    ReconcileCommand,
    VerifyCommand,
)
from lockctl.urls import redact_text

__all__ = ["main", "run"]

EXIT_INTERNAL = 4
EXIT_INTERRUPTED = 130  # 128 + SIGINT, as a shell reports it
EXIT_TERMINATED = 143  # 128 + SIGTERM


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so every ``finally`` runs: temporary files are
    removed and no output is left half-placed (``lockctl.atomic``)."""


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def main(argv: Sequence[str] | None = None) -> int:
    options, command = parse_argv(sys.argv[1:] if argv is None else argv)
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if _in_main_thread() else None
    try:
        return _run(command, options)
    except LockctlError as error:
        if options.debug:
            _print_traceback()
        from lockctl.cli.render import render_error

        print(render_error(error), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except _Terminated:
        print("terminated", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as error:  # a bug: say so plainly, keep the traceback behind --debug
        if options.debug:
            _print_traceback()
        print(
            f"internal error: {redact_text(f'{type(error).__name__}: {error}')}\n"
            "  hint: rerun with --debug for the traceback and report it",
            file=sys.stderr,
        )
        return EXIT_INTERNAL
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run() -> None:
    """The ``lockctl`` program: ``main()``, then exit with its code.

    After an interrupt, exit at once: a request that nobody waits for any more may still hold
    a thread of the HTTP pool, and waiting for it to time out would make Ctrl-C take as long.
    Every file is already whole by then (``lockctl.atomic``), and the page worker process ends
    when its pipe closes.
    """
    code = main()
    if code in (EXIT_INTERRUPTED, EXIT_TERMINATED):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _run(command: Command, options: GlobalOptions) -> int:
    if isinstance(command, CompileCommand):
        if not command.index.offline:  # pages are fetched elsewhere while this one imports
            from lockctl.index.fetchworker import start_early

            start_early()
        from lockctl.cli.compile_cmd import run_compile

        return run_compile(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    if isinstance(command, CheckCommand):
        from lockctl.cli.check_cmd import run_check

        return run_check(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    if isinstance(command, ReconcileCommand):
        from lockctl.cli.reconcile_cmd import run_reconcile

        return run_reconcile(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    if isinstance(command, VerifyCommand):
        from lockctl.cli.verify_cmd import run_verify

        return run_verify(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    if isinstance(command, DriftCommand):
        from lockctl.cli.drift_cmd import run_drift

        return run_drift(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    if isinstance(command, OverrideCommand):
        from lockctl.cli.override_cmd import run_override

        return run_override(command, sys.stdout)
    if isinstance(command, InputsCommand):
        from lockctl.cli.show import run_inputs

        return run_inputs(command, sys.stdout)
    if isinstance(command, MetadataCommand):
        from lockctl.cli.show import run_metadata

        return run_metadata(command, sys.stdout, quiet=options.quiet, verbose=options.verbose)
    raise AssertionError(f"unhandled command {command!r}")


def _print_traceback() -> None:
    import traceback  # only with --debug

    traceback.print_exc()
